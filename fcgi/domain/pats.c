/* pats: personal API tokens: make, list, revoke, check. */
#include <string.h>

#include "arena.h"
#include "auth_row.h"
#include "pats.h"
#include "principal.h"
#include "timeutil.h"

#define PAT_TOUCH_US	(60 * INT64_C(1000000))	/* last_used_at is at most this stale */

/* A nullable time column. */
static int64_t
col_time(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, col);
}

/* Binds a time, NULL for TIME_NULL. */
static void
bind_time(sqlite3_stmt *st, int idx, int64_t t)
{
	if (t == TIME_NULL)
		sqlite3_bind_null(st, idx);
	else
		sqlite3_bind_int64(st, idx, t);
}

enum dbrc
pats_count(struct db *db, int64_t uid, int64_t *n)
{
	static const char sql[] =
	    "SELECT count(*) FROM personal_tokens WHERE user_id = ?";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, uid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	db_done(st, rc);
	return rc == SQLITE_ROW ? DB_OK : db_rc(db, rc, "pat count");
}

/* Inserts the row of token tok for uid; its id in *id. */
static enum dbrc
pat_insert(struct db *db, int64_t uid, const char *tok, const char *name,
    unsigned scopes, int64_t expires_at, int64_t now, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO personal_tokens (user_id, digest, name, prefix, scopes,"
	    " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = db_prep(db, sql);
	unsigned char d[32];
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	token_digest(tok, d);
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_blob(st, 2, d, 32, SQLITE_TRANSIENT);
	db_bind_text(st, 3, name);
	sqlite3_bind_text(st, 4, tok, PAT_SHOWN, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, (int)scopes);
	bind_time(st, 6, expires_at);
	sqlite3_bind_int64(st, 7, now);
	rc = db_done(st, sqlite3_step(st));
	if (rc != SQLITE_DONE)
		return db_rc(db, rc, "pat insert");
	*id = sqlite3_last_insert_rowid(db->h);
	return DB_OK;
}

enum dbrc
pats_create(struct db *db, int64_t uid, const char *name, unsigned scopes,
    int64_t expires_at, struct arena *a, char tok[PAT_LEN + 1], struct pat *out)
{
	int64_t	 n = 0, now = now_us();
	enum dbrc rc;

	memcpy(tok, PAT_PREFIX, PAT_PREFIX_LEN);
	if (token_random(tok + PAT_PREFIX_LEN) < 0)
		return DB_ERROR;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = pats_count(db, uid, &n)) == DB_OK && n >= PAT_MAX_PER_USER)
		rc = DB_INVALID;
	if (rc == DB_OK)
		rc = pat_insert(db, uid, tok, name, scopes, expires_at, now, &out->id);
	if (rc == DB_OK && (rc = db_commit(db)) == DB_OK) {
		out->name = arena_strdup(a, name);
		out->prefix = arena_strndup(a, tok, PAT_SHOWN);
		out->scopes = scopes;
		out->expires_at = expires_at;
		out->created_at = now;
		out->last_used_at = TIME_NULL;
		return out->name != NULL && out->prefix != NULL ? DB_OK : DB_ERROR;
	}
	db_rollback(db);
	return rc;
}

enum dbrc
pats_page(struct db *db, int64_t uid, int64_t limit, int64_t offset,
    void (*fn)(void *, const struct pat *), void *ctx)
{
	static const char sql[] =
	    "SELECT id, name, prefix, scopes, expires_at, created_at, last_used_at"
	    " FROM personal_tokens WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?";
	sqlite3_stmt *st = db_prep(db, sql);
	struct pat p;
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p.id = sqlite3_column_int64(st, 0);
		p.name = db_col_text(st, 1);
		p.prefix = db_col_text(st, 2);
		p.scopes = (unsigned)sqlite3_column_int(st, 3);
		p.expires_at = col_time(st, 4);
		p.created_at = sqlite3_column_int64(st, 5);
		p.last_used_at = col_time(st, 6);
		fn(ctx, &p);
	}
	db_done(st, rc);
	return rc == SQLITE_DONE ? DB_OK : db_rc(db, rc, "pat page");
}

enum dbrc
pats_delete(struct db *db, int64_t uid, int64_t id)
{
	static const char sql[] =
	    "DELETE FROM personal_tokens WHERE id = ?1 AND user_id = ?2";
	enum dbrc rc;
	int	 n;

	if ((rc = db_change2(db, sql, id, uid, "pat delete", &n)) != DB_OK)
		return rc;
	return n == 1 ? DB_OK : DB_NOTFOUND;
}

enum dbrc
pats_delete_user(struct db *db, int64_t uid)
{
	static const char sql[] = "DELETE FROM personal_tokens WHERE user_id = ?";
	sqlite3_stmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, uid);
	return db_rc(db, db_done(st, sqlite3_step(st)), "pat delete user");
}

enum dbrc
pats_check(struct db *db, const char *tok, struct arena *a,
    struct principal *p, int *touch)
{
	static const char sql[] =
	    "SELECT t.id, t.scopes, t.last_used_at, " AUTH_USER_COLUMNS("u")
	    " FROM personal_tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE t.digest = ?1 AND (t.expires_at IS NULL OR t.expires_at > ?2)"
	    " AND u.is_active = 1";
	struct auth_lookup l;
	int64_t	 now = now_us(), used;
	enum dbrc rc;

	*touch = 0;
	if (strlen(tok) != PAT_LEN || strncmp(tok, PAT_PREFIX, PAT_PREFIX_LEN) != 0)
		return DB_NOTFOUND;
	if ((rc = auth_lookup(db, sql, tok, now, "pat check", &l)) != DB_OK)
		return rc;
	p->token_id = sqlite3_column_int64(l.st, 0);
	p->scopes = (unsigned)sqlite3_column_int(l.st, 1);
	used = col_time(l.st, 2);
	if ((rc = auth_fill(&l, p, 3, VIA_PAT, a)) != DB_OK)
		return rc;
	*touch = used == TIME_NULL || now - used >= PAT_TOUCH_US || now < used;
	return DB_OK;
}

enum dbrc
pats_touch(struct db *db, int64_t id)
{
	static const char sql[] =
	    "UPDATE personal_tokens SET last_used_at = ?2 WHERE id = ?1";
	enum dbrc rc;
	int	 n;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = db_change2(db, sql, id, now_us(), "pat touch", &n)) == DB_OK &&
	    (rc = db_commit(db)) == DB_OK)
		return DB_OK;
	db_rollback(db);
	return rc;
}
