/* tokens: issue and check opaque access and refresh tokens. */
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "arena.h"
#include "auth_row.h"
#include "calendar.h"
#include "config.h"
#include "pats.h"
#include "principal.h"
#include "timeutil.h"
#include "tokens.h"

int
token_random(char out[TOKEN_LEN + 1])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[33];
	size_t	 i, o = 0;

	if (getrandom(raw, 32, 0) != 32)
		return -1;
	raw[32] = 0;
	for (i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		if (o < TOKEN_LEN)
			out[o++] = b64[v >> 6 & 63];
		if (o < TOKEN_LEN)
			out[o++] = b64[v & 63];
	}
	out[TOKEN_LEN] = '\0';
	return 0;
}

/*
 * Every authenticated request hashes its token: the SHA-256 implementation
 * is fetched and the context made once per process (EVP_Digest() with
 * EVP_sha256() looks the algorithm up and allocates on each call).
 */
void
token_digest(const char *s, unsigned char out[32])
{
	token_digest_n(s, strlen(s), out);
}

void
token_digest_n(const void *s, size_t len, unsigned char out[32])
{
	static EVP_MD	*md;
	static EVP_MD_CTX *ctx;
	unsigned int n = 32;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL &&
	    (ctx = EVP_MD_CTX_new()) == NULL) {
		EVP_MD_free(md);
		md = NULL;
	}
	if (md == NULL || !EVP_DigestInit_ex2(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, s, len) || !EVP_DigestFinal_ex(ctx, out, &n))
		EVP_Digest(s, len, out, &n, EVP_sha256(), NULL);
}

/* Inserts one token row; its id in *id. */
static enum dbrc
token_insert(struct db *db, const char *tok, int kind, int64_t uid,
    int64_t family, int64_t refresh_id, int64_t expires, int64_t now, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO auth_tokens (digest, kind, user_id, family, refresh_id,"
	    " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct dbstmt *st = db_prep(db, sql);
	unsigned char d[32];

	if (st == NULL)
		return DB_ERROR;
	token_digest(tok, d);
	db_bind_blob(st, 1, d, 32, DB_TRANSIENT);
	db_bind_int(st, 2, kind);
	db_bind_i64(st, 3, uid);
	db_bind_i64(st, 4, family);
	if (refresh_id)
		db_bind_i64(st, 5, refresh_id);
	db_bind_i64(st, 6, expires);
	db_bind_i64(st, 7, now);
	return db_insert_id(db, st, "token insert", id);
}

enum dbrc
tokens_issue(struct db *db, const struct config *cfg, int64_t uid,
    int64_t family, struct token_pair *tp)
{
	static const char fam_sql[] =
	    "UPDATE auth_tokens SET family = id WHERE id = ?";
	int64_t	 now = now_us(), aid;
	struct dbstmt *st;
	enum dbrc rc;

	if (token_random(tp->refresh) < 0 || token_random(tp->access) < 0)
		return DB_ERROR;
	tp->refresh_expires = now + cfg->refresh_token_ttl * 1000000;
	tp->access_expires = now + cfg->access_token_ttl * 1000000;
	rc = token_insert(db, tp->refresh, TOKEN_REFRESH, uid, family, 0,
	    tp->refresh_expires, now, &tp->refresh_id);
	if (rc != DB_OK)
		return rc;
	if (family == 0) {
		if ((st = db_prep(db, fam_sql)) == NULL)
			return DB_ERROR;
		db_bind_i64(st, 1, tp->refresh_id);
		if ((rc = db_rc(db, db_done(st, db_step(st)), "token family")) != DB_OK)
			return rc;
		family = tp->refresh_id;
	}
	return token_insert(db, tp->access, TOKEN_ACCESS, uid, family,
	    tp->refresh_id, tp->access_expires, now, &aid);
}

/* one index holds what it tests and the user's id (sql/030) */
const char tokens_check_sql[] =
    "SELECT t.id, " AUTH_USER_COLUMNS("u")
    " FROM auth_tokens t JOIN users u ON u.id = t.user_id"
    " WHERE t.digest = ? AND t.kind = 1 AND t.revoked = 0"
    " AND t.expires_at > ? AND u.is_active = 1";

enum dbrc
tokens_check_access(struct db *db, const char *tok, struct arena *a,
    struct principal *p)
{
	struct auth_lookup l;
	enum dbrc rc;

	if (strlen(tok) != TOKEN_LEN)
		return DB_NOTFOUND;
	if ((rc = auth_lookup(db, tokens_check_sql, tok, now_us(), "token check",
	    &l)) != DB_OK)
		return rc;
	p->token_id = db_col_i64(l.st, 0);
	return auth_fill(&l, p, 1, VIA_BEARER, a);
}

/* Revokes every live token of a login (reuse detection). */
static enum dbrc
revoke_family(struct db *db, int64_t family)
{
	static const char sql[] =
	    "UPDATE auth_tokens SET revoked = 2 WHERE family = ? AND revoked = 0";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, family);
	return db_rc(db, db_done(st, db_step(st)), "token family revoke");
}

/*
 * Finds the refresh token tok (any state) inside the open transaction:
 * DB_NOTFOUND for unknown, expired, or of an inactive user (or not of uid
 * when uid != 0); DB_INVALID after revoking its family when it was already
 * rotated or revoked (reuse); DB_OK with its id, family and user otherwise.
 */
static enum dbrc
find_refresh(struct db *db, const char *tok, int64_t uid, int64_t *id,
    int64_t *family, int64_t *user)
{
	static const char sql[] =
	    "SELECT t.id, t.family, t.user_id, t.revoked, t.expires_at > ?, u.is_active"
	    " FROM auth_tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE t.digest = ? AND t.kind = 2";
	struct dbstmt *st;
	unsigned char d[32];
	int	 rc, revoked, live, active;
	enum dbrc drc;

	if (tok == NULL || strlen(tok) != TOKEN_LEN)
		return DB_NOTFOUND;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(tok, d);
	db_bind_i64(st, 1, now_us());
	db_bind_blob(st, 2, d, 32, DB_TRANSIENT);
	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "refresh find");
	}
	*id = db_col_i64(st, 0);
	*family = db_col_i64(st, 1);
	*user = db_col_i64(st, 2);
	revoked = db_col_int(st, 3);
	live = db_col_int(st, 4);
	active = db_col_int(st, 5);
	db_done(st, rc);
	if (!live || !active || (uid != 0 && *user != uid))
		return DB_NOTFOUND;
	if (revoked != 0) {
		if ((drc = revoke_family(db, *family)) != DB_OK)
			return drc;
		return DB_INVALID;
	}
	return DB_OK;
}

/* Sets revoked on the token id and, with access, on the access tokens issued with it. */
static enum dbrc
mark(struct db *db, int64_t id, int how, int access)
{
	static const char one[] = "UPDATE auth_tokens SET revoked = ? WHERE id = ?";
	static const char acc[] =
	    "UPDATE auth_tokens SET revoked = ? WHERE refresh_id = ? AND revoked = 0";
	struct dbstmt *st;
	enum dbrc rc;

	if ((st = db_prep(db, one)) == NULL)
		return DB_ERROR;
	db_bind_int(st, 1, how);
	db_bind_i64(st, 2, id);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "token mark")) != DB_OK || !access)
		return rc;
	if ((st = db_prep(db, acc)) == NULL)
		return DB_ERROR;
	db_bind_int(st, 1, how);
	db_bind_i64(st, 2, id);
	return db_rc(db, db_done(st, db_step(st)), "token mark access");
}

/* Commits when rc is DB_OK or DB_INVALID (a family revoked), else rolls back. */
static enum dbrc
finish(struct db *db, enum dbrc rc)
{
	enum dbrc crc;

	if (rc != DB_OK && rc != DB_INVALID) {
		db_rollback(db);
		return rc;
	}
	if ((crc = db_commit(db)) != DB_OK) {
		db_rollback(db);
		return crc;
	}
	return rc;
}

enum dbrc
tokens_rotate(struct db *db, const struct config *cfg, const char *tok,
    struct token_pair *tp)
{
	int64_t	 id, family, uid;
	enum dbrc rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	rc = find_refresh(db, tok, 0, &id, &family, &uid);
	if (rc == DB_OK && (rc = mark(db, id, 1, 0)) == DB_OK)
		rc = tokens_issue(db, cfg, uid, family, tp);
	return finish(db, rc);
}

enum dbrc
tokens_revoke(struct db *db, const char *tok, int64_t uid)
{
	int64_t	 id, family, owner;
	enum dbrc rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	rc = find_refresh(db, tok, uid, &id, &family, &owner);
	if (rc == DB_OK)
		rc = mark(db, id, 2, 1);
	return finish(db, rc);
}

enum dbrc
tokens_revoke_user(struct db *db, int64_t uid)
{
	static const char sql[] =
	    "UPDATE auth_tokens SET revoked = 2 WHERE user_id = ? AND revoked = 0";
	struct dbstmt *st = db_prep(db, sql);
	enum dbrc rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, uid);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "token revoke user")) != DB_OK ||
	    (rc = pats_delete_user(db, uid)) != DB_OK)
		return rc;
	return cal_feed_delete(db, uid);
}

enum dbrc
tokens_purge(struct db *db, int limit, int *n)
{
	static const char sql[] =
	    "DELETE FROM auth_tokens WHERE id IN (SELECT id FROM auth_tokens"
	    " WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)";

	return db_change2(db, sql, now_us(), limit, "token purge", n);
}
