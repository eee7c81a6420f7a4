/* username: trimming, NFKC, the one-script rule and the lookup key (ICU). */
#include <string.h>

#include <sqlite3.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "db.h"
#include "username.h"
#include "users.h"

/*
 * Longest trimmed input looked at, in bytes: NFKC composes at most a few
 * code points into one character, so no longer text normalises to
 * USERNAME_MAX characters.  The UTF-16 work buffers are as long.
 */
#define IN_MAX	4096

/* 1 for the whitespace Python's str.strip() removes (DRF's trim_whitespace). */
static int
is_space(UChar32 c)
{
	return u_isUWhiteSpace(c) || (c >= 0x1c && c <= 0x1f);
}

/* Narrows [*s, *s + *n) to its text without leading and trailing whitespace. */
static void
trim(const char **s, int32_t *n)
{
	const uint8_t *p = (const uint8_t *)*s;
	int32_t	 i = 0, j = *n, k;
	UChar32	 c;

	while (i < j) {
		k = i;
		U8_NEXT(p, k, j, c);
		if (c < 0 || !is_space(c))
			break;
		i = k;
	}
	while (j > i) {
		k = j;
		U8_PREV(p, i, k, c);
		if (c < 0 || !is_space(c))
			break;
		j = k;
	}
	*s += i;
	*n = j - i;
}

/* Trims in and converts it to UTF-16 in u (IN_MAX units); its length, -1 too long, -2 not UTF-8. */
static int32_t
to_utf16(const char *in, UChar *u)
{
	UErrorCode err = U_ZERO_ERROR;
	size_t	 len = strlen(in);
	int32_t	 n, un;

	if (len > IN_MAX * 4)
		return -1;
	n = (int32_t)len;
	trim(&in, &n);
	if (n > IN_MAX)
		return -1;
	u_strFromUTF8(u, IN_MAX, &un, in, n, &err);
	if (err == U_INVALID_CHAR_FOUND)
		return -2;
	return U_SUCCESS(err) ? un : -1;
}

/* Writes u[0..n) as UTF-8 into out; 0, or -1 when it does not fit. */
static int
to_utf8(const UChar *u, int32_t n, char *out, size_t outlen)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t	 len;

	u_strToUTF8(out, (int32_t)(outlen > INT32_MAX ? INT32_MAX : outlen), &len,
	    u, n, &err);
	if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING ||
	    (size_t)len >= outlen)
		return -1;
	return 0;
}

/* 1 when u[0..n) mixes scripts (UTS #39 below single-script restrictive). */
static int
mixed_scripts(const UChar *u, int32_t n)
{
	static USpoofChecker *sc;	/* process state: made once, then read only */
	UErrorCode err = U_ZERO_ERROR;
	int32_t	 r;

	if (sc == NULL) {
		sc = uspoof_open(&err);
		uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL, &err);
		uspoof_setRestrictionLevel(sc, USPOOF_SINGLE_SCRIPT_RESTRICTIVE);
		if (U_FAILURE(err)) {
			uspoof_close(sc);
			sc = NULL;
			return 1;	/* cannot tell: refuse */
		}
	}
	r = uspoof_check2(sc, u, n, NULL, &err);
	return U_FAILURE(err) || (r & USPOOF_RESTRICTION_LEVEL) != 0;
}

enum uname
username_clean(const char *in, char *out, size_t outlen)
{
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);
	UChar	 u[IN_MAX], v[IN_MAX];
	int32_t	 un, vn;

	if (U_FAILURE(err) || (un = to_utf16(in, u)) == -1)
		return UNAME_LONG;
	if (un < 0)
		return UNAME_CHARS;
	if (un == 0)
		return UNAME_BLANK;
	vn = unorm2_normalize(nfkc, u, un, v, IN_MAX, &err);
	if (U_FAILURE(err) || u_countChar32(v, vn) > USERNAME_MAX ||
	    to_utf8(v, vn, out, outlen) < 0)
		return UNAME_LONG;
	if (!users_valid_name(out))
		return UNAME_CHARS;
	if (mixed_scripts(v, vn))
		return UNAME_MIXED;
	return UNAME_OK;
}

int
username_blank(const char *s)
{
	size_t	 len = strlen(s);
	int32_t	 n = len > INT32_MAX ? INT32_MAX : (int32_t)len;

	trim(&s, &n);
	return n == 0;
}

const char *
username_message(enum uname rc)
{
	switch (rc) {
	case UNAME_OK:
		return NULL;
	case UNAME_BLANK:
		return "This field may not be blank.";
	case UNAME_LONG:
		return "Ensure this field has no more than 150 characters.";
	case UNAME_CHARS:
		return "Enter a valid username. This value may contain only letters, "
		    "numbers, and @/./+/-/_ characters.";
	case UNAME_MIXED:
		break;
	}
	return "Enter a username in one script: letters from different alphabets "
	    "(such as Latin and Cyrillic) cannot be mixed.";
}

int
username_key(const char *name, char *out, size_t outlen)
{
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *cf;
	UChar	 u[IN_MAX], v[IN_MAX];
	const unsigned char *p;
	int32_t	 un, vn, i, o;
	size_t	 k;

	/* ASCII names, most of them, fold to lower case without ICU */
	for (p = (const unsigned char *)name; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0' && (p == (const unsigned char *)name ||
	    (!is_space(name[0]) && !is_space(p[-1])))) {
		if ((size_t)(p - (const unsigned char *)name) >= outlen)
			return -1;
		for (k = 0; name[k] != '\0'; k++)
			out[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ?
			    name[k] - 'A' + 'a' : name[k]);
		out[k] = '\0';
		return 0;
	}
	cf = unorm2_getNFKCCasefoldInstance(&err);
	if (U_FAILURE(err) || (un = to_utf16(name, u)) < 0)
		return -1;
	vn = unorm2_normalize(cf, u, un, v, IN_MAX, &err);
	if (U_FAILURE(err))
		return -1;
	/* the fold leaves dotless i as it is and makes dotted I "i" + U+0307 */
	for (i = o = 0; i < vn; i++) {
		if (v[i] == 0x0307 && o > 0 && v[o - 1] == 'i')
			continue;
		v[o++] = v[i] == 0x0131 ? 'i' : v[i];
	}
	return to_utf8(v, o, out, outlen);
}

/*
 * SQLite's own from here on (dbstmt.h): SQL username_key(text), the key of
 * a stored name, NULL when it has none, for SQLite's migration 012.
 * PostgreSQL's migrations start after it and need no such function.
 */
static void
sql_username_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *name;
	char	 key[USERNAME_KEY_BUF];

	(void)argc;
	if ((name = sqlite3_value_text(argv[0])) == NULL ||
	    username_key((const char *)name, key, sizeof(key)) < 0) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
}

int
username_sql_register(struct db *db)
{
	if (!db_is_sqlite())
		return 0;
	return sqlite3_create_function(db->h, "username_key", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_username_key, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}
