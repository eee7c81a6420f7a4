/* users: account rows. */
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "arena.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

int
users_fold(const char *in, char *out, size_t outlen)
{
	static locale_t utf8;
	mbstate_t in_st, out_st;
	const char *p = in, *end = in + strlen(in);
	size_t	 n, o = 0, k;
	wchar_t	 wc;
	char	 tmp[MB_LEN_MAX];
	locale_t old;
	int	 rc = 0;

	if (utf8 == (locale_t)0 &&
	    (utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == (locale_t)0)
		return -1;
	old = uselocale(utf8);
	memset(&in_st, 0, sizeof(in_st));
	memset(&out_st, 0, sizeof(out_st));
	while (p < end) {
		/* ASCII, most names, folds without the locale's conversions */
		if ((unsigned char)*p < 0x80) {
			if (o + 1 >= outlen) {
				rc = -1;
				break;
			}
			out[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			p++;
			continue;
		}
		n = mbrtowc(&wc, p, (size_t)(end - p), &in_st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			rc = -1;
			break;
		}
		p += n;
		k = wcrtomb(tmp, (wchar_t)towlower((wint_t)wc), &out_st);
		if (k == (size_t)-1 || o + k >= outlen) {
			rc = -1;
			break;
		}
		memcpy(out + o, tmp, k);
		o += k;
	}
	uselocale(old);
	if (rc == 0)
		out[o] = '\0';
	return rc;
}

enum dbrc
users_create(struct db *db, const char *username, const char *email,
    const char *phc, int is_staff, int is_superuser, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO users (username, username_key, email, password,"
	    " is_staff, is_superuser, date_joined) VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct dbstmt *st = db_prep(db, sql);
	char	 key[USERNAME_KEY_BUF];

	if (st == NULL)
		return DB_ERROR;
	if (username_key(username, key, sizeof(key)) < 0)
		return DB_INVALID;
	db_bind_text(st, 1, username);
	db_bind_text(st, 2, key);
	db_bind_text(st, 3, email ? email : "");
	db_bind_text(st, 4, phc);
	db_bind_int(st, 5, is_staff != 0);
	db_bind_int(st, 6, is_superuser != 0);
	db_bind_i64(st, 7, now_us());
	return db_insert_id(db, st, "user insert", id);
}

/* Fills u from a row of the user columns (in USER_COLS order). */
static enum dbrc
user_row(struct dbstmt *st, struct arena *a, struct user *u)
{
	u->id = db_col_i64(st, 0);
	u->username = arena_strdup(a, db_col_text(st, 1));
	u->email = arena_strdup(a, db_col_text(st, 2));
	u->password = arena_strdup(a, db_col_text(st, 3));
	u->is_staff = db_col_int(st, 4);
	u->is_superuser = db_col_int(st, 5);
	u->is_active = db_col_int(st, 6);
	u->telegram_id = db_col_i64(st, 7);
	u->date_joined = db_col_i64(st, 8);
	u->last_login = db_col_isnull(st, 9) ? TIME_NULL :
	    db_col_i64(st, 9);
	if (u->username == NULL || u->email == NULL || u->password == NULL)
		return DB_ERROR;
	return DB_OK;
}

#define USER_COLS "SELECT id, username, email, password, is_staff, is_superuser," \
	" is_active, telegram_id, date_joined, last_login FROM users"

/* Steps st once and reads the user row; DB_NOTFOUND when there is none. */
static enum dbrc
user_step(struct db *db, struct dbstmt *st, struct arena *a, struct user *u)
{
	enum dbrc drc;
	int	 rc;

	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "user find");
	}
	drc = user_row(st, a, u);
	db_done(st, rc);
	return drc;
}

enum dbrc
users_find_by_name(struct db *db, const char *username, struct arena *a,
    struct user *u)
{
	static const char sql[] = USER_COLS " WHERE username_key = ?";
	struct dbstmt *st = db_prep(db, sql);
	char	 key[USERNAME_KEY_BUF];

	if (st == NULL)
		return DB_ERROR;
	if (username_key(username, key, sizeof(key)) < 0) {
		db_done(st, 0);
		return DB_NOTFOUND;
	}
	db_bind_text(st, 1, key);
	return user_step(db, st, a, u);
}

enum dbrc
users_get(struct db *db, int64_t id, struct arena *a, struct user *u)
{
	static const char sql[] = USER_COLS " WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	return user_step(db, st, a, u);
}

enum dbrc
users_set_password(struct db *db, int64_t id, const char *phc)
{
	static const char sql[] = "UPDATE users SET password = ? WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, phc);
	db_bind_i64(st, 2, id);
	rc = db_done(st, db_step(st));
	if (rc != DB_DONE)
		return db_rc(db, rc, "user password");
	return db_changes(db) ? DB_OK : DB_NOTFOUND;
}

enum dbrc
users_touch_login(struct db *db, int64_t id)
{
	static const char sql[] = "UPDATE users SET last_login = ? WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now_us());
	db_bind_i64(st, 2, id);
	return db_rc(db, db_done(st, db_step(st)), "user login time");
}

int
users_valid_name(const char *name)
{
	static locale_t utf8;
	mbstate_t st;
	const char *p = name, *end = name + strlen(name);
	size_t	 n;
	wchar_t	 wc;
	locale_t old;
	int	 ok = p < end;

	if (utf8 == (locale_t)0 &&
	    (utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == (locale_t)0)
		return 0;
	old = uselocale(utf8);
	memset(&st, 0, sizeof(st));
	while (ok && p < end) {
		n = mbrtowc(&wc, p, (size_t)(end - p), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			ok = 0;
			break;
		}
		p += n;
		if (!iswalnum((wint_t)wc) && wc != L'@' && wc != L'.' &&
		    wc != L'+' && wc != L'-' && wc != L'_')
			ok = 0;
	}
	uselocale(old);
	return ok;
}

/* 1 when c may appear in an unquoted local part (RFC 5322 atext). */
static int
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

int
users_valid_email(const char *e)
{
	const char *at = strrchr(e, '@'), *p, *label;
	size_t	 n;
	int	 labels = 0, alpha_tld = 0;

	if (at == NULL || at == e || strlen(e) > 254)
		return 0;
	/* local part: dot-atom (no leading, trailing or double dots) */
	for (p = e; p < at; p++) {
		if (*p == '.') {
			if (p == e || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!atext((unsigned char)*p))
			return 0;
	}
	if (strcmp(at + 1, "localhost") == 0)
		return 1;
	/* domain: labels of letters, digits and inner hyphens; an alphabetic TLD of 2+ */
	for (label = p = at + 1;; p++) {
		if (*p == '.' || *p == '\0') {
			n = (size_t)(p - label);
			if (n == 0 || n > 63 || label[0] == '-' || p[-1] == '-')
				return 0;
			labels++;
			alpha_tld = n >= 2;
			for (const char *q = label; q < p; q++)
				if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
					alpha_tld = 0;
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	}
	return labels >= 2 && alpha_tld;
}

/* Builds the LIKE pattern %q% from q's key with %, _ and \ escaped. */
static char *
like_pattern(struct arena *a, const char *q)
{
	char	 key[USERNAME_KEY_BUF], *out, *o;
	size_t	 i;

	if (username_key(q, key, sizeof(key)) < 0)
		return NULL;
	if ((out = arena_alloc(a, strlen(key) * 2 + 3)) == NULL)
		return NULL;
	o = out;
	*o++ = '%';
	for (i = 0; key[i] != '\0'; i++) {
		if (key[i] == '%' || key[i] == '_' || key[i] == '\\')
			*o++ = '\\';
		*o++ = key[i];
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

enum dbrc
users_search(struct db *db, const char *q, int active_only, int64_t limit,
    int64_t offset, struct arena *a, int64_t *count, struct user_brief **rows,
    size_t *n)
{
	static const char csql[] =
	    "SELECT count(*) FROM users WHERE (is_active = 1 OR ?2 = 0)"
	    " AND username_key LIKE ?1 ESCAPE '\\'";
	static const char lsql[] =
	    "SELECT id, username, is_active, is_staff, email, last_login FROM users"
	    " WHERE (is_active = 1 OR ?2 = 0) AND username_key LIKE ?1 ESCAPE '\\'"
	    " ORDER BY username_key, id LIMIT ?3 OFFSET ?4";
	struct dbstmt *st;
	struct user_brief *out;
	const char *pat;
	size_t	 k = 0;
	int	 rc;

	*n = 0;
	*rows = NULL;
	if ((pat = like_pattern(a, q ? q : "")) == NULL) {
		*count = 0;
		return DB_OK;	/* a search that cannot be folded matches nobody */
	}
	if ((st = db_prep(db, csql)) == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, pat);
	db_bind_int(st, 2, active_only);
	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return db_rc(db, rc, "user count");
	}
	*count = db_col_i64(st, 0);
	db_done(st, rc);
	if (limit <= 0 || offset >= *count)
		return DB_OK;
	if (limit > *count - offset)
		limit = *count - offset;
	if ((out = arena_alloc(a, sizeof(*out) * (size_t)limit)) == NULL)
		return DB_ERROR;
	if ((st = db_prep(db, lsql)) == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, pat);
	db_bind_int(st, 2, active_only);
	db_bind_i64(st, 3, limit);
	db_bind_i64(st, 4, offset);
	while (k < (size_t)limit && (rc = db_step(st)) == DB_ROW) {
		out[k].id = db_col_i64(st, 0);
		out[k].username = arena_strdup(a, db_col_text(st, 1));
		out[k].is_active = db_col_int(st, 2);
		out[k].is_staff = db_col_int(st, 3);
		out[k].email = arena_strdup(a, db_col_text(st, 4));
		out[k].last_login = db_col_isnull(st, 5) ?
		    TIME_NULL : db_col_i64(st, 5);
		if (out[k].username == NULL || out[k].email == NULL) {
			db_done(st, 0);
			return DB_ERROR;
		}
		k++;
	}
	db_done(st, rc);
	if (rc != DB_ROW && rc != DB_DONE)
		return db_rc(db, rc, "user search");
	*rows = out;
	*n = k;
	return DB_OK;
}

enum dbrc
users_set_active(struct db *db, int64_t id, int active)
{
	static const char sql[] = "UPDATE users SET is_active = ? WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_int(st, 1, active != 0);
	db_bind_i64(st, 2, id);
	rc = db_done(st, db_step(st));
	if (rc != DB_DONE)
		return db_rc(db, rc, "user active");
	return db_changes(db) ? DB_OK : DB_NOTFOUND;
}
