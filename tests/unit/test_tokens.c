/*
 * test_tokens: random opaque tokens stored as SHA-256, rotation and reuse
 * detection, revocation, sessions, the shared rate limiter and the purges,
 * on a temporary SQLite database migrated with the embedded migrations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "authn.h"
#include "config.h"
#include "db.h"
#include "ratemap.h"
#include "request.h"
#include "sessions.h"
#include "throttle.h"
#include "timeutil.h"
#include "tokens.h"
#include "unit_db.h"
#include "username.h"
#include "users.h"
#include "tap.h"

static struct db db;
static struct ratemap *limits;

/* throttle_take as 0 (allowed), 1 (refused, the wait in *wait) or -1 (storage failure). */
static int
take(const char *key, const struct rate *rate, int64_t now, int64_t *wait)
{
	if (throttle_take(limits, key, rate, now, wait) != DB_OK)
		return -1;
	return *wait > 0;
}

/* 1 when the database file (and its WAL) contains the bytes of s. */
static int
file_has(const char *dir, const char *s)
{
	static const char *const suffix[] = { "/t.db", "/t.db-wal" };
	char	 path[512], *data;
	size_t	 i, n, sl = strlen(s);
	long	 len;
	FILE	*f;
	int	 found = 0;

	for (i = 0; i < 2 && !found; i++) {
		snprintf(path, sizeof(path), "%s%s", dir, suffix[i]);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		data = malloc((size_t)len + 1);
		n = fread(data, 1, (size_t)len, f);
		fclose(f);
		for (size_t k = 0; k + sl <= n; k++)
			if (memcmp(data + k, s, sl) == 0) {
				found = 1;
				break;
			}
		free(data);
	}
	return found;
}

/* Runs one statement returning an integer. */
static long long
scalar(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db.h, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
main(void)
{
	static const char hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	struct config cfg;
	struct token_pair tp, tp2, tp3, other;
	struct principal p;
	struct session s;
	struct arena a = { 0 };
	struct req r;
	char	 dir[] = "/tmp/test_tokens.XXXXXX", path[300], err[256], t1[TOKEN_LEN + 1],
		 t2[TOKEN_LEN + 1], got[65], cmd[400], plan[1024];
	unsigned char d[32];
	int64_t	 uid, uid2, wait, now;
	struct rate rate = { 3, 60 };
	FILE	*devnull = fopen("/dev/null", "w");
	int	 i, n, good = 1;

	/* token_random and token_digest */
	ok(token_random(t1) == 0 && token_random(t2) == 0, "random tokens");
	is_int(strlen(t1), TOKEN_LEN, "43 characters: 256 bits in base64url");
	for (i = 0; i < TOKEN_LEN; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t1[i]) == NULL)
			good = 0;
	ok(good, "base64url alphabet");
	ok(strcmp(t1, t2) != 0, "two tokens differ");
	token_digest("abc", d);
	for (i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	is_str(got, hex, "SHA-256 of abc");

	/* a migrated temporary database */
	ok(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(path, sizeof(path), "%s/t.db", dir);
	ok(db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) == 0, "open: %s", err);
	username_sql_register(&db);
	ok(db_migrate(&db, devnull) == 0, "migrate");
	/* every request's token check: one index, no token row read (sql/031) */
	unit_plan(db.h, tokens_check_sql, plan, sizeof(plan));
	ok(strstr(plan, "COVERING INDEX auth_tokens_check") != NULL,
	    "the token check reads the token from one index alone: %s", plan);
	ok(config_load(&cfg, NULL, err, sizeof(err)) == 0, "config");
	ok(users_create(&db, "Alice", "a@example.com", "x", 0, 0, &uid) == DB_OK, "user");
	ok(users_create(&db, "bob", "", "x", 0, 0, &uid2) == DB_OK, "second user");
	is_int(users_create(&db, "ALICE", "", "x", 0, 0, &now), DB_CONFLICT,
	    "same name in another case");

	/* issue and check */
	ok(tokens_issue(&db, &cfg, uid, 0, &tp) == DB_OK, "issue");
	ok(!file_has(dir, tp.access) && !file_has(dir, tp.refresh), "no token in clear in the database");
	is_int(scalar("SELECT count(*) FROM auth_tokens WHERE length(digest) = 32"), 2, "two digests");
	memset(&p, 0, sizeof(p));
	ok(tokens_check_access(&db, tp.access, &a, &p) == DB_OK, "access token works");
	is_int(p.id, uid, "its user");
	is_str(p.username, "Alice", "username");
	is_int(p.via, VIA_BEARER, "via bearer");
	is_int(tokens_check_access(&db, tp.refresh, &a, &p), DB_NOTFOUND, "a refresh token is no access token");
	is_int(tokens_check_access(&db, "short", &a, &p), DB_NOTFOUND, "malformed");

	/* rotation and reuse */
	ok(tokens_issue(&db, &cfg, uid, 0, &other) == DB_OK, "another login");
	ok(tokens_rotate(&db, &cfg, tp.refresh, &tp2) == DB_OK, "rotate");
	ok(strcmp(tp2.refresh, tp.refresh) != 0, "new refresh token");
	ok(tokens_check_access(&db, tp2.access, &a, &p) == DB_OK, "new access works");
	ok(tokens_check_access(&db, tp.access, &a, &p) == DB_OK, "old access lives until it expires");
	is_int(tokens_rotate(&db, &cfg, tp.access, &tp3), DB_NOTFOUND, "an access token cannot refresh");
	is_int(tokens_rotate(&db, &cfg, tp.refresh, &tp3), DB_INVALID, "reuse detected");
	is_int(tokens_check_access(&db, tp2.access, &a, &p), DB_NOTFOUND, "reuse revoked the new access");
	is_int(tokens_check_access(&db, tp.access, &a, &p), DB_NOTFOUND, "and the old one");
	is_int(tokens_rotate(&db, &cfg, tp2.refresh, &tp3), DB_INVALID, "and the new refresh");
	ok(tokens_check_access(&db, other.access, &a, &p) == DB_OK, "another login is untouched");
	is_int(db.in_tx, 0, "no transaction left open");

	/* revoke (blacklist, logout) */
	is_int(tokens_revoke(&db, other.refresh, uid2), DB_NOTFOUND, "not the caller's token");
	ok(tokens_revoke(&db, other.refresh, uid) == DB_OK, "revoke");
	is_int(tokens_check_access(&db, other.access, &a, &p), DB_NOTFOUND, "its access is revoked");
	is_int(tokens_revoke(&db, other.refresh, 0), DB_INVALID, "revoking twice is reuse");

	/* an inactive user */
	ok(tokens_issue(&db, &cfg, uid2, 0, &tp) == DB_OK, "bob logs in");
	ok(users_set_active(&db, uid2, 0) == DB_OK, "bob deactivated");
	is_int(tokens_check_access(&db, tp.access, &a, &p), DB_NOTFOUND, "inactive: access refused");
	is_int(tokens_rotate(&db, &cfg, tp.refresh, &tp3), DB_NOTFOUND, "inactive: refresh refused");
	ok(users_set_active(&db, uid2, 1) == DB_OK && tokens_revoke_user(&db, uid2) == DB_OK,
	    "reactivated, tokens revoked");
	is_int(tokens_check_access(&db, tp.access, &a, &p), DB_NOTFOUND, "revoked for the user");

	/* sessions */
	ok(sessions_create(&db, &cfg, uid, &s) == DB_OK, "session");
	ok(!file_has(dir, s.id), "session id not in clear");
	memset(&p, 0, sizeof(p));
	ok(sessions_check(&db, s.id, &a, &p) == DB_OK, "session works");
	is_int(p.via, VIA_COOKIE, "via cookie");
	is_str(p.csrf, s.csrf, "CSRF token");
	ok(p.session_id > 0 && p.id == uid, "session and user ids");
	is_int(sessions_check(&db, "nope", &a, &p), DB_NOTFOUND, "malformed id");
	memset(&r, 0, sizeof(r));
	http_session_cookie(&r, &s);
	snprintf(cmd, sizeof(cmd), "Set-Cookie: sessionid=%s; Max-Age=%lld; Path=/; HttpOnly; SameSite=Lax\r\n",
	    s.id, (long long)cfg.session_ttl);
	ok(r.headers.p && (strcmp(r.headers.p, cmd) == 0 ||
	    strstr(r.headers.p, "HttpOnly; SameSite=Lax") != NULL), "cookie: %s", r.headers.p);
	ok(strstr(r.headers.p, "Secure") == NULL, "not Secure over plain HTTP");
	buf_reset(&r.headers);
	r.https = 1;
	http_session_clear(&r);
	ok(strstr(r.headers.p, "sessionid=;") && strstr(r.headers.p, "Max-Age=0") &&
	    strstr(r.headers.p, "; Secure"), "cleared, Secure over HTTPS: %s", r.headers.p);
	buf_free(&r.headers);
	ok(sessions_delete(&db, s.id) == DB_OK, "delete");
	is_int(sessions_check(&db, s.id, &a, &p), DB_NOTFOUND, "deleted session refused");
	ok(sessions_create(&db, &cfg, uid, &s) == DB_OK && users_set_active(&db, uid, 0) == DB_OK,
	    "a session of a user then deactivated");
	is_int(sessions_check(&db, s.id, &a, &p), DB_NOTFOUND, "inactive: session refused");
	users_set_active(&db, uid, 1);

	/* the limiter: 3/minute allows a burst of 3, then one every 20 s */
	now = 1000000000000LL;
	ok((limits = throttle_open(&db, NULL)) != NULL, "the limiter state is mapped");
	for (i = 0; i < 3; i++)
		is_int(take("k", &rate, now, &wait), 0, "request %d allowed", i + 1);
	is_int(take("k", &rate, now, &wait), 1, "4th refused");
	is_int(wait, 20, "wait 20 s");
	is_int(take("k", &rate, now + 5000000, &wait), 1, "refused 5 s later");
	is_int(wait, 15, "wait 15 s: a refusal costs nothing");
	is_int(take("other", &rate, now, &wait), 0, "another key has its own budget");
	is_int(take("k", &rate, now + 20000000, &wait), 0, "allowed after 20 s");
	is_int(take("k", &rate, now + 20000000, &wait), 1, "then refused again");
	is_int(take("k", &(struct rate){ 0, 0 }, now, &wait), 0, "off");
	is_int(throttle_take(NULL, "k", &rate, now, &wait), DB_ERROR,
	    "no map: a storage failure, never a pass");
	is_int(throttle_take(NULL, "k", &(struct rate){ 0, 0 }, now, &wait), DB_OK,
	    "no map, limit off: allowed");
	is_int(throttle_peek(limits, "k", &rate, now + 20000000, &wait), DB_OK, "peek");
	ok(wait > 0, "peek sees the refusal");
	is_int(throttle_peek(limits, "k", &rate, now + 40000000, &wait), DB_OK, "peek later");
	is_int(wait, 0, "peek counts nothing: budget back after 20 s");
	is_int(take("k", &rate, now + 40000000, &wait), 0, "and the take is allowed");
	snprintf(cmd, sizeof(cmd), "%s-limits", sqlite3_db_filename(db.h, "main"));
	ok(access(cmd, F_OK) == 0, "the state is in a file beside the database");
	is_int(scalar("SELECT count(*) FROM sqlite_master WHERE name = 'throttle'"), 0,
	    "and no longer a table of it");

	/* purges delete expired rows only, in batches */
	for (i = 0; i < 5; i++)
		sqlite3_exec(db.h, "INSERT INTO auth_tokens (digest, kind, user_id, family, expires_at,"
		    " created_at) VALUES (randomblob(32), 2, 1, 1, 1, 1)", NULL, NULL, NULL);
	sqlite3_exec(db.h, "INSERT INTO sessions (digest, user_id, csrf, expires_at, created_at)"
	    " VALUES (randomblob(32), 1, 'c', 1, 1)", NULL, NULL, NULL);
	ok(tokens_purge(&db, 3, &n) == DB_OK && n == 3, "a batch of 3 expired tokens");
	ok(tokens_purge(&db, 3, &n) == DB_OK && n == 2, "then the last 2");
	ok(tokens_purge(&db, 3, &n) == DB_OK && n == 0, "then none");
	ok(sessions_purge(&db, 10, &n) == DB_OK && n == 1, "expired session purged");
	ok(sessions_check(&db, s.id, &a, &p) == DB_OK, "live session kept");

	arena_free(&a);
	config_free(&cfg);
	ratemap_close(limits);
	db_close(&db);
	fclose(devnull);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "temporary folder removed");
	return tap_done();
}
