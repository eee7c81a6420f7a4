/* users: account rows. */
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "arena.h"
#include "timeutil.h"
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
	sqlite3_stmt *st = db_prep(db, sql);
	char	 key[1024];
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	if (users_fold(username, key, sizeof(key)) < 0)
		return DB_INVALID;
	db_bind_text(st, 1, username);
	db_bind_text(st, 2, key);
	db_bind_text(st, 3, email ? email : "");
	db_bind_text(st, 4, phc);
	sqlite3_bind_int(st, 5, is_staff != 0);
	sqlite3_bind_int(st, 6, is_superuser != 0);
	sqlite3_bind_int64(st, 7, now_us());
	rc = db_done(st, sqlite3_step(st));
	if (rc != SQLITE_DONE)
		return db_rc(db, rc, "user insert");
	*id = sqlite3_last_insert_rowid(db->h);
	return DB_OK;
}

enum dbrc
users_find_by_name(struct db *db, const char *username, struct arena *a,
    struct user *u)
{
	static const char sql[] =
	    "SELECT id, username, email, password, is_staff, is_superuser,"
	    " is_active, telegram_id, date_joined, last_login"
	    " FROM users WHERE username_key = ?";
	sqlite3_stmt *st = db_prep(db, sql);
	char	 key[1024];
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	if (users_fold(username, key, sizeof(key)) < 0)
		return DB_NOTFOUND;
	db_bind_text(st, 1, key);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st, rc);
		return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "user find");
	}
	u->id = sqlite3_column_int64(st, 0);
	u->username = arena_strdup(a, db_col_text(st, 1));
	u->email = arena_strdup(a, db_col_text(st, 2));
	u->password = arena_strdup(a, db_col_text(st, 3));
	u->is_staff = sqlite3_column_int(st, 4);
	u->is_superuser = sqlite3_column_int(st, 5);
	u->is_active = sqlite3_column_int(st, 6);
	u->telegram_id = sqlite3_column_int64(st, 7);
	u->date_joined = sqlite3_column_int64(st, 8);
	u->last_login = sqlite3_column_type(st, 9) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, 9);
	db_done(st, rc);
	if (u->username == NULL || u->email == NULL || u->password == NULL)
		return DB_ERROR;
	return DB_OK;
}

enum dbrc
users_set_password(struct db *db, int64_t id, const char *phc)
{
	static const char sql[] = "UPDATE users SET password = ? WHERE id = ?";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, phc);
	sqlite3_bind_int64(st, 2, id);
	rc = db_done(st, sqlite3_step(st));
	if (rc != SQLITE_DONE)
		return db_rc(db, rc, "user password");
	return sqlite3_changes(db->h) ? DB_OK : DB_NOTFOUND;
}

enum dbrc
users_touch_login(struct db *db, int64_t id)
{
	static const char sql[] = "UPDATE users SET last_login = ? WHERE id = ?";
	sqlite3_stmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now_us());
	sqlite3_bind_int64(st, 2, id);
	return db_rc(db, db_done(st, sqlite3_step(st)), "user login time");
}
