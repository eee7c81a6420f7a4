/* sessions: admin login sessions stored hashed, with a CSRF token each. */
#include <string.h>

#include "arena.h"
#include "auth_row.h"
#include "config.h"
#include "principal.h"
#include "sessions.h"
#include "timeutil.h"

enum dbrc
sessions_create(struct db *db, const struct config *cfg, int64_t uid,
    struct session *s)
{
	static const char sql[] =
	    "INSERT INTO sessions (digest, user_id, csrf, expires_at, created_at)"
	    " VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	unsigned char d[32];
	int64_t	 now = now_us();
	int	 rc;

	if (token_random(s->id) < 0 || token_random(s->csrf) < 0)
		return DB_ERROR;
	s->expires = now + cfg->session_ttl * 1000000;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(s->id, d);
	sqlite3_bind_blob(st, 1, d, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, uid);
	db_bind_text(st, 3, s->csrf);
	sqlite3_bind_int64(st, 4, s->expires);
	sqlite3_bind_int64(st, 5, now);
	rc = db_done(st, sqlite3_step(st));
	return rc == SQLITE_DONE ? DB_OK : db_rc(db, rc, "session insert");
}

enum dbrc
sessions_delete(struct db *db, const char *sid)
{
	static const char sql[] = "DELETE FROM sessions WHERE digest = ?";
	sqlite3_stmt *st;
	unsigned char d[32];
	int	 rc;

	if (sid == NULL || strlen(sid) != TOKEN_LEN)
		return DB_OK;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(sid, d);
	sqlite3_bind_blob(st, 1, d, 32, SQLITE_TRANSIENT);
	rc = db_done(st, sqlite3_step(st));
	return rc == SQLITE_DONE ? DB_OK : db_rc(db, rc, "session delete");
}

enum dbrc
sessions_check(struct db *db, const char *sid, struct arena *a,
    struct principal *p)
{
	static const char sql[] =
	    "SELECT s.id, s.csrf, " AUTH_USER_COLUMNS("u")
	    " FROM sessions s JOIN users u ON u.id = s.user_id"
	    " WHERE s.digest = ? AND s.expires_at > ? AND u.is_active = 1";
	struct auth_lookup l;
	enum dbrc rc;

	if (sid == NULL || strlen(sid) != TOKEN_LEN)
		return DB_NOTFOUND;
	if ((rc = auth_lookup(db, sql, sid, now_us(), "session check", &l)) != DB_OK)
		return rc;
	p->session_id = sqlite3_column_int64(l.st, 0);
	p->csrf = arena_strdup(a, db_col_text(l.st, 1));
	rc = auth_fill(&l, p, 2, VIA_COOKIE, a);
	if (p->csrf == NULL || rc != DB_OK) {
		memset(p, 0, sizeof(*p));
		return DB_ERROR;
	}
	return DB_OK;
}

enum dbrc
sessions_delete_user(struct db *db, int64_t uid)
{
	static const char sql[] = "DELETE FROM sessions WHERE user_id = ?";
	sqlite3_stmt *st;

	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, uid);
	return db_rc(db, db_done(st, sqlite3_step(st)), "session delete user");
}

enum dbrc
sessions_purge(struct db *db, int limit, int *n)
{
	static const char sql[] =
	    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
	    " WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)";

	return db_change2(db, sql, now_us(), limit, "session purge", n);
}
