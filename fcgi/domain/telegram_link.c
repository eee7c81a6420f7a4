/* telegram_link: link codes, the confirm rule, the Bot scheme, bot state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "arena.h"
#include "auth_row.h"
#include "buf.h"
#include "config.h"
#include "principal.h"
#include "telegram_link.h"
#include "timeutil.h"
#include "tokens.h"
#include "tx.h"

int
tg_parse_id(const char *s, int64_t *out)
{
	char	*end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || (*s == '-' && end == s + 1) ||
	    v == 0)
		return -1;
	*out = v;
	return 0;
}

/* True for exactly TG_CODE_LEN lowercase hex characters. */
static int
code_wellformed(const char *code)
{
	size_t	 i;

	for (i = 0; i < TG_CODE_LEN; i++)
		if (!((code[i] >= '0' && code[i] <= '9') ||
		    (code[i] >= 'a' && code[i] <= 'f')))
			return 0;
	return code[TG_CODE_LEN] == '\0';
}

enum dbrc
tg_link_create(struct db *db, int64_t uid, int64_t ttl, char code[TG_CODE_LEN + 1])
{
	static const char sql[] =
	    "INSERT INTO telegram_links (user_id, digest, expires_at, created_at)"
	    " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
	    " digest = excluded.digest, expires_at = excluded.expires_at,"
	    " created_at = excluded.created_at";
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TG_CODE_LEN / 2], d[32];
	struct dbstmt *st;
	int64_t	 now = now_us();
	size_t	 i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return DB_ERROR;
	for (i = 0; i < sizeof(raw); i++) {
		code[2 * i] = hex[raw[i] >> 4];
		code[2 * i + 1] = hex[raw[i] & 15];
	}
	code[TG_CODE_LEN] = '\0';
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(code, d);
	db_bind_i64(st, 1, uid);
	db_bind_blob(st, 2, d, 32, DB_TRANSIENT);
	db_bind_i64(st, 3, now + ttl * 1000000);
	db_bind_i64(st, 4, now);
	return db_rc(db, db_done(st, db_step(st)), "telegram link code");
}

enum dbrc
tg_link_confirm(struct db *db, const struct config *cfg, const char *code,
    int64_t tgid, struct token_pair *tp, int64_t *uid)
{
	static const char find_sql[] =
	    "SELECT l.user_id FROM telegram_links l JOIN users u ON u.id = l.user_id"
	    " WHERE l.digest = ? AND l.expires_at > ? AND u.is_active = 1";
	static const char other_sql[] =
	    "SELECT 1 FROM users WHERE telegram_id = ? AND id <> ?";
	static const char take_sql[] =
	    "DELETE FROM telegram_links WHERE user_id = ? AND digest = ?";
	static const char link_sql[] =
	    "UPDATE users SET telegram_id = ? WHERE id = ?";
	struct dbstmt *st;
	unsigned char d[32];
	enum dbrc rc;
	int	 src, own;

	if (code == NULL || !code_wellformed(code))
		return DB_INVALID;
	token_digest(code, d);
	/*
	 * Everything below runs under the write lock (BEGIN IMMEDIATE, or the
	 * caller's transaction): of two confirms with one code the second
	 * finds the code gone.  A refusal changes nothing, so the code stays.
	 */
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, find_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_blob(st, 1, d, 32, DB_STATIC);
	db_bind_i64(st, 2, now_us());
	src = db_step(st);
	if (src == DB_ROW)
		*uid = db_col_i64(st, 0);
	db_done(st, src);
	if (src != DB_ROW) {
		rc = src == DB_DONE ? DB_INVALID : db_rc(db, src, "telegram link find");
		goto out;
	}
	if ((st = db_prep(db, other_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, tgid);
	db_bind_i64(st, 2, *uid);
	src = db_done(st, db_step(st));
	if (src != DB_DONE) {
		rc = src == DB_ROW ? DB_CONFLICT : db_rc(db, src, "telegram link check");
		goto out;
	}
	if ((st = db_prep(db, take_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, *uid);
	db_bind_blob(st, 2, d, 32, DB_STATIC);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "telegram link take")) != DB_OK)
		goto out;
	if (db_changes(db) != 1) {
		rc = DB_INVALID;
		goto out;
	}
	if ((st = db_prep(db, link_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, tgid);
	db_bind_i64(st, 2, *uid);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "telegram link")) != DB_OK)
		goto out;
	if (tp != NULL)
		rc = tokens_issue(db, cfg, *uid, 0, tp);
out:
	return tx_close(db, own, rc);
}

enum dbrc
tg_unlink(struct db *db, int64_t uid)
{
	static const char sql[] = "UPDATE users SET telegram_id = NULL WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, uid);
	return db_rc(db, db_done(st, db_step(st)), "telegram unlink");
}

enum dbrc
tg_user_by_telegram(struct db *db, int64_t tgid, struct arena *a,
    struct principal *p)
{
	static const char sql[] =
	    "SELECT " AUTH_USER_COLUMNS("u") " FROM users u"
	    " WHERE u.telegram_id = ? AND u.is_active = 1";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, tgid);
	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "telegram user");
	}
	rc = principal_fill(p, st, 0, VIA_BOT, a);
	db_done(st, DB_ROW);
	return rc == 0 ? DB_OK : DB_ERROR;
}

int
tg_bot_secret_ok(const struct config *cfg, const char *h)
{
	if (h == NULL || *cfg->telegram_bot_secret == '\0' ||
	    strncasecmp(h, "Bot ", 4) != 0)
		return 0;
	h += 4;
	while (*h == ' ')
		h++;
	return str_ct_equal(h, cfg->telegram_bot_secret);
}

enum dbrc
tg_authenticate(struct db *db, const struct config *cfg, const char *authorization,
    const char *telegram_id, struct arena *a, struct principal *p)
{
	int64_t	 tgid;

	if (!tg_bot_secret_ok(cfg, authorization) || tg_parse_id(telegram_id, &tgid) < 0)
		return DB_NOTFOUND;
	return tg_user_by_telegram(db, tgid, a, p);
}

enum dbrc
tg_state_get(struct db *db, const char *name, int64_t def, int64_t *out)
{
	static const char sql[] = "SELECT value FROM telegram_state WHERE name = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, name);
	rc = db_step(st);
	*out = rc == DB_ROW ? db_col_i64(st, 0) : def;
	db_done(st, rc);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : db_rc(db, rc, "telegram state");
}

enum dbrc
tg_state_set(struct db *db, const char *name, int64_t value)
{
	static const char sql[] =
	    "INSERT INTO telegram_state (name, value) VALUES (?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET value = CASE"
	    " WHEN excluded.value > telegram_state.value THEN excluded.value"
	    " ELSE telegram_state.value END";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, name);
	db_bind_i64(st, 2, value);
	return db_rc(db, db_done(st, db_step(st)), "telegram state set");
}

enum dbrc
tg_state_claim(struct db *db, const char *name, int64_t id, int *claimed)
{
	/*
	 * one statement that reads and moves the offset, holding its row:
	 * another transaction claiming the same id waits for this one's end,
	 * then finds the offset past it (PostgreSQL's READ COMMITTED
	 * re-evaluates the WHERE on the newest row; SQLite's write lock
	 * orders them)
	 */
	static const char sql[] =
	    "INSERT INTO telegram_state (name, value) VALUES (?1, ?2 + 1)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
	    " WHERE telegram_state.value <= ?2 RETURNING value";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*claimed = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, name);
	db_bind_i64(st, 2, id);
	rc = db_step(st);
	*claimed = rc == DB_ROW;
	db_done(st, rc);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : db_rc(db, rc, "telegram state claim");
}
