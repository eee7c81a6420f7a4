/* throttle: shared rate limits (GCRA) and the periodic purge of expired rows. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "request.h"
#include "sessions.h"
#include "task_search.h"
#include "throttle.h"
#include "timeutil.h"
#include "tokens.h"

#define PURGE_EVERY	(60 * 1000000LL)	/* microseconds between purges per process */
#define PURGE_BATCH	200

int
throttle_take(struct db *db, const char *key, const struct rate *rate,
    int64_t now, int64_t *wait)
{
	/*
	 * GCRA: interval T = period / n, tolerance tau = period - T.  A request
	 * is allowed when max(tat, now) - now <= tau, and then moves tat to
	 * max(tat, now) + T; a refused one leaves tat alone.  Both SET
	 * expressions read the old row.
	 */
	static const char sql[] =
	    "INSERT INTO throttle (key, tat, ok) VALUES (?1, ?2 + ?3, 1)"
	    " ON CONFLICT (key) DO UPDATE SET"
	    " ok = (max(tat, ?2) - ?2 <= ?4),"
	    " tat = CASE WHEN max(tat, ?2) - ?2 <= ?4 THEN max(tat, ?2) + ?3 ELSE tat END"
	    " RETURNING tat, ok";
	sqlite3_stmt *st;
	int64_t	 period, t, tau, tat;
	int	 rc, ok;

	*wait = 0;
	if (rate->n <= 0)
		return 0;
	period = rate->period * 1000000;
	t = period / rate->n;
	if (t < 1)
		t = 1;
	tau = period - t;
	/* the row is written in a transaction of its own, never inside a
	 * caller's read snapshot (a stale snapshot cannot be upgraded) */
	db_read_end(db);
	if ((st = db_prep(db, sql)) == NULL)
		return -DB_ERROR;
	db_bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int64(st, 4, tau);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st, rc);
		return -(int)db_rc(db, rc, "throttle");
	}
	tat = sqlite3_column_int64(st, 0);
	ok = sqlite3_column_int(st, 1);
	/* step to the end so the write is complete before the reset */
	rc = sqlite3_step(st);
	db_done(st, rc);
	if (rc != SQLITE_DONE)
		return -(int)db_rc(db, rc, "throttle");
	if (ok)
		return 0;
	*wait = (tat - tau - now + 999999) / 1000000;
	if (*wait < 1)
		*wait = 1;
	return 1;
}

int
throttle_hit(struct req *r, const char *key, const struct rate *rate)
{
	int64_t	 wait;
	char	 msg[96], ra[24];
	int	 rc;

	rc = throttle_take(&r->app->db, key, rate, now_us(), &wait);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return -rc == DB_BUSY ? 503 : 500;
	snprintf(msg, sizeof(msg), "Request was throttled. Expected available in %lld %s.",
	    (long long)wait, wait == 1 ? "second" : "seconds");
	snprintf(ra, sizeof(ra), "%lld", (long long)wait);
	resp_header(r, "Retry-After", ra);
	return resp_detail(r, 429, msg);
}

enum dbrc
throttle_purge(struct db *db, int limit, int *n)
{
	static const char sql[] =
	    "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle"
	    " WHERE tat <= ? ORDER BY tat LIMIT ?)";

	return db_change2(db, sql, now_us(), limit, "throttle purge", n);
}

void
throttle_housekeep(struct app *app)
{
	static int64_t last;	/* process state: when this process last purged */
	struct db *db = &app->db;
	int64_t	 now = mono_us();
	int	 a = 0, b = 0, c = 0;

	task_search_housekeep(db);
	if (last != 0 && now - last < PURGE_EVERY)
		return;
	last = now;
	if (tokens_purge(db, PURGE_BATCH, &a) != DB_OK ||
	    sessions_purge(db, PURGE_BATCH, &b) != DB_OK ||
	    throttle_purge(db, PURGE_BATCH, &c) != DB_OK)
		return;
	if (a + b + c > 0)
		log_debug("purged %d tokens, %d sessions, %d limiter rows", a, b, c);
}

int
throttle_request(struct req *r)
{
	const struct config *cfg = &r->app->cfg;
	char	 key[96];

	if (r->user.id != 0) {
		snprintf(key, sizeof(key), "u:%lld", (long long)r->user.id);
		return throttle_hit(r, key, &cfg->throttle_user);
	}
	snprintf(key, sizeof(key), "a:%.80s", r->remote_addr ? r->remote_addr : "");
	return throttle_hit(r, key, &cfg->throttle_anon);
}
