/* tokens: issue and check opaque access and refresh tokens. */
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "arena.h"
#include "config.h"
#include "request.h"
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

void
token_digest(const char *s, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

/* Inserts one token row; its id in *id. */
static enum dbrc
token_insert(struct db *db, const char *tok, int kind, int64_t uid,
    int64_t family, int64_t refresh_id, int64_t expires, int64_t now, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO auth_tokens (digest, kind, user_id, family, refresh_id,"
	    " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = db_prep(db, sql);
	unsigned char d[32];
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	token_digest(tok, d);
	sqlite3_bind_blob(st, 1, d, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, kind);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_int64(st, 4, family);
	if (refresh_id)
		sqlite3_bind_int64(st, 5, refresh_id);
	sqlite3_bind_int64(st, 6, expires);
	sqlite3_bind_int64(st, 7, now);
	rc = db_done(st, sqlite3_step(st));
	if (rc != SQLITE_DONE)
		return db_rc(db, rc, "token insert");
	*id = sqlite3_last_insert_rowid(db->h);
	return DB_OK;
}

enum dbrc
tokens_issue(struct db *db, const struct config *cfg, int64_t uid,
    int64_t family, struct token_pair *tp)
{
	static const char fam_sql[] =
	    "UPDATE auth_tokens SET family = id WHERE id = ?";
	int64_t	 now = now_us(), aid;
	sqlite3_stmt *st;
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
		sqlite3_bind_int64(st, 1, tp->refresh_id);
		if ((rc = db_rc(db, db_done(st, sqlite3_step(st)), "token family")) != DB_OK)
			return rc;
		family = tp->refresh_id;
	}
	return token_insert(db, tp->access, TOKEN_ACCESS, uid, family,
	    tp->refresh_id, tp->access_expires, now, &aid);
}

enum dbrc
tokens_check_access(struct db *db, const char *tok, struct arena *a,
    struct principal *p)
{
	static const char sql[] =
	    "SELECT t.id, u.id, u.username, u.is_staff, u.is_superuser"
	    " FROM auth_tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE t.digest = ? AND t.kind = 1 AND t.revoked = 0"
	    " AND t.expires_at > ? AND u.is_active = 1";
	sqlite3_stmt *st = db_prep(db, sql);
	unsigned char d[32];
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	if (strlen(tok) != TOKEN_LEN)
		return DB_NOTFOUND;
	token_digest(tok, d);
	sqlite3_bind_blob(st, 1, d, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_us());
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p->token_id = sqlite3_column_int64(st, 0);
		p->id = sqlite3_column_int64(st, 1);
		p->username = arena_strdup(a, db_col_text(st, 2));
		p->is_staff = sqlite3_column_int(st, 3);
		p->is_superuser = sqlite3_column_int(st, 4);
		p->via = VIA_BEARER;
		db_done(st, rc);
		if (p->username == NULL) {
			p->id = 0;
			return DB_ERROR;
		}
		return DB_OK;
	}
	db_done(st, rc);
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "token check");
}
