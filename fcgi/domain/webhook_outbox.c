/* webhook_outbox: due deliveries and the outcome of each attempt. */
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "notices.h"
#include "tx.h"
#include "webhooks.h"
#include "webhook_outbox.h"

/* The text of the notice a disabled webhook's owner gets (the URL between). */
#define NOTICE_HOOK_OFF_PRE	"Вебхук "
#define NOTICE_HOOK_OFF_POST	" отключён: доставки не удаются больше суток подряд"

/* The most inbox rows one transaction of hook_flush moves. */
#define FLUSH_BATCH	500

/*
 * Writes the body of a delivery: {"id":..,"event":..,"created_at":..,"data":..},
 * the bytes 019 stored at queueing time.
 */
static void
hook_body(struct buf *b, int64_t id, const char *event, int64_t created,
    const char *data, size_t dlen)
{
	int	 first = 1;

	buf_reset(b);
	buf_putc(b, '{');
	jw_int(b, "id", id, &first);
	jw_str(b, "event", event, &first);
	jw_time(b, "created_at", created, &first);
	jw_key(b, "data", &first);
	buf_add(b, data, dlen);
	buf_putc(b, '}');
}

/* The event named by a carried delivery's hook (sql/030_webhook_carrier.sql). */
static const char *
carried_event(int64_t hook)
{
	int64_t	 i, k = hook % HOOK_CARRY_EVENTS;

	for (i = 0; hook_event_names[i] != NULL; i++)
		if (i == k)
			return hook_event_names[i];
	return "ping";
}

/*
 * Moves up to FLUSH_BATCH deliveries carried by events rows past the
 * cursor into webhook_deliveries, oldest first, each with its events row's
 * id (those of a webhook since deleted are dropped), deletes the hook-only
 * rows among them, clears the delivery a user's row carried (its event stays
 * for the feed) and advances the cursor: in the caller's transaction, so
 * a worker stopped half-way moves nothing, and never twice.  A batch not
 * full takes the cursor to the newest events row: the write lock is held,
 * so every row up to it is committed and any later one gets a larger id
 * (SQLite: 025's high-water mark; PostgreSQL: the sequence, its writers
 * serialized by the advisory write lock until they commit).
 */
static enum dbrc
carry_move(struct db *db, struct buf *b, int *moved)
{
	static const char sel[] =
	    "SELECT e.id, e.hook, coalesce(e.message, 'task:' || e.task_id),"
	    " e.hook_data, e.created_at, c.events_id, (SELECT max(id) FROM events)"
	    " FROM webhook_cursor c JOIN events e ON e.id > c.events_id"
	    " WHERE c.id = 1 AND e.hook IS NOT NULL ORDER BY e.id LIMIT ?1";
	static const char top[] =
	    "SELECT c.events_id, (SELECT max(id) FROM events) FROM webhook_cursor c"
	    " WHERE c.id = 1";
	static const char ins[] =
	    "INSERT INTO webhook_deliveries (id, webhook_id, event, object_key, body,"
	    " created_at, next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6"
	    " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?2)";
	static const char del[] =
	    "DELETE FROM events WHERE user_id IS NULL AND hook IS NOT NULL"
	    " AND id <= ?1 AND id > ?2";
	/* a user's row keeps its event, not the copy of the delivery it carried */
	static const char strip[] =
	    "UPDATE events SET hook = NULL, hook_data = NULL WHERE user_id IS NOT NULL"
	    " AND hook IS NOT NULL AND id <= ?1 AND id > ?2";
	static const char cur[] =
	    "UPDATE webhook_cursor SET events_id = ?1 WHERE id = 1 AND events_id = ?2";
	struct dbstmt *st, *in;
	int64_t	 id = 0, hook, from = -1, newest = 0;
	int	 src, n;
	enum dbrc rc = DB_OK;

	*moved = 0;
	if ((st = db_prep(db, sel)) == NULL)
		return DB_ERROR;
	db_bind_int(st, 1, FLUSH_BATCH);
	while (rc == DB_OK && (src = db_step(st)) == DB_ROW) {
		id = db_col_i64(st, 0);
		hook = db_col_i64(st, 1);
		from = db_col_i64(st, 5);
		newest = db_col_i64(st, 6);
		hook_body(b, id, carried_event(hook), db_col_i64(st, 4),
		    db_col_text(st, 3), (size_t)db_col_bytes(st, 3));
		if (b->oom || (in = db_prep(db, ins)) == NULL) {
			rc = DB_ERROR;
			break;
		}
		db_bind_i64(in, 1, id);
		db_bind_i64(in, 2, hook / HOOK_CARRY_EVENTS);
		db_bind_text(in, 3, carried_event(hook));
		db_bind_text(in, 4, db_col_text(st, 2));
		db_bind_textn(in, 5, b->p, (int)b->len, DB_STATIC);
		db_bind_i64(in, 6, db_col_i64(st, 4));
		rc = db_rc(db, db_done(in, db_step(in)), "carrier move");
		(*moved)++;
	}
	if (rc != DB_OK) {
		db_done(st, DB_RC_OK);
		return rc;
	}
	if ((rc = db_rc(db, db_done(st, src), "carrier read")) != DB_OK)
		return rc;
	if (*moved == 0) {
		/* nothing carried: the cursor still moves up to the newest row */
		if ((st = db_prep(db, top)) == NULL)
			return DB_ERROR;
		if ((src = db_step(st)) == DB_ROW) {
			from = db_col_i64(st, 0);
			newest = db_col_i64(st, 1);
			src = DB_DONE;
		}
		if ((rc = db_rc(db, db_done(st, src), "carrier cursor")) != DB_OK)
			return rc;
		id = from;
	} else if ((rc = db_change2(db, del, id, from, "carrier delete", &n)) != DB_OK ||
	    (rc = db_change2(db, strip, id, from, "carrier strip", &n)) != DB_OK)
		return rc;
	if (*moved < FLUSH_BATCH && newest > id)
		id = newest;
	if (from < 0 || id <= from)
		return DB_OK;
	return db_change2(db, cur, id, from, "carrier cursor", &n);
}

/*
 * Moves up to FLUSH_BATCH inbox rows, oldest first, into webhook_deliveries
 * (those of a webhook since deleted are dropped) in one transaction: the
 * inbox's newest row stays, marked moved, as the high-water mark of the
 * ids (sql/021_webhook_inbox.sql).  *moved: how many rows it took.
 */
static enum dbrc
hook_flush_batch(struct db *db, int *moved)
{
	static const char sel[] =
	    "SELECT id, webhook_id, event, object_key, data, created_at FROM webhook_inbox"
	    " WHERE moved = 0 ORDER BY id LIMIT ?1";
	static const char ins[] =
	    "INSERT INTO webhook_deliveries (id, webhook_id, event, object_key, body,"
	    " created_at, next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6"
	    " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?2)";
	static const char del[] =
	    "DELETE FROM webhook_inbox WHERE id <= ?1 AND moved >= ?2"
	    " AND id < (SELECT max(id) FROM webhook_inbox)";
	static const char mark[] =
	    "UPDATE webhook_inbox SET moved = 1 WHERE id <= ?1 AND moved = ?2";
	struct dbstmt *st, *in;
	struct buf b = { 0 };
	int64_t	 id = 0;
	int	 own, src = DB_DONE, n;
	enum dbrc rc;

	*moved = 0;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, sel)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_int(st, 1, FLUSH_BATCH);
	while (rc == DB_OK && (src = db_step(st)) == DB_ROW) {
		id = db_col_i64(st, 0);
		hook_body(&b, id, db_col_text(st, 2), db_col_i64(st, 5),
		    db_col_text(st, 4), (size_t)db_col_bytes(st, 4));
		if (b.oom || (in = db_prep(db, ins)) == NULL) {
			rc = DB_ERROR;
			break;
		}
		db_bind_i64(in, 1, id);
		db_bind_i64(in, 2, db_col_i64(st, 1));
		db_bind_text(in, 3, db_col_text(st, 2));
		db_bind_text(in, 4, db_col_text(st, 3));
		db_bind_textn(in, 5, b.p, (int)b.len, DB_STATIC);
		db_bind_i64(in, 6, db_col_i64(st, 5));
		rc = db_rc(db, db_done(in, db_step(in)), "inbox move");
		(*moved)++;
	}
	if (rc == DB_OK)
		rc = db_rc(db, db_done(st, src), "inbox read");
	else
		db_done(st, DB_RC_OK);
	if (rc == DB_OK && *moved > 0 &&
	    (rc = db_change2(db, del, id, 0, "inbox delete", &n)) == DB_OK)
		rc = db_change2(db, mark, id, 0, "inbox mark", &n);
	/* then the deliveries events rows carry, in the same transaction */
	if (rc == DB_OK && (rc = carry_move(db, &b, &n)) == DB_OK && n > *moved)
		*moved = n;
out:
	buf_free(&b);
	if (rc != DB_OK)
		*moved = 0;
	return tx_close(db, own, rc);
}

/*
 * Whether the inbox holds a row not yet moved, or events rows were written
 * past the cursor while some webhook exists: a read, no write lock.
 */
static enum dbrc
inbox_waiting(struct db *db, int *waiting)
{
	static const char sql[] =
	    "SELECT 1 FROM webhook_inbox WHERE moved = 0"
	    " UNION ALL SELECT 1 FROM webhook_cursor c"
	    " WHERE c.id = 1 AND (SELECT max(id) FROM events) > c.events_id"
	    " AND EXISTS (SELECT 1 FROM webhooks) LIMIT 1";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*waiting = 0;
	if (st == NULL)
		return DB_ERROR;
	if ((rc = db_step(st)) == DB_ROW) {
		*waiting = 1;
		rc = DB_DONE;
	}
	return db_rc(db, db_done(st, rc), "inbox waiting");
}

enum dbrc
hook_flush(struct db *db)
{
	int	 moved, waiting, i;
	enum dbrc rc;

	/* the worker's every pass asks: no write transaction when there is nothing */
	if ((rc = inbox_waiting(db, &waiting)) != DB_OK || !waiting)
		return rc;
	/* bounded: a backlog moves over the next passes */
	for (i = 0; i < 20; i++)
		if ((rc = hook_flush_batch(db, &moved)) != DB_OK || moved < FLUSH_BATCH)
			return rc;
	return DB_OK;
}

enum dbrc
hook_due(struct db *db, int64_t now, int max, struct arena *a,
    struct hook_job *jobs, int *n)
{
	static const char sql[] =
	    "SELECT d.id, d.webhook_id, w.owner_id, d.attempts, w.url, w.secret,"
	    " d.event, d.body FROM webhook_deliveries d"
	    " JOIN webhooks w ON w.id = d.webhook_id JOIN users u ON u.id = w.owner_id"
	    " WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND w.is_active = 1"
	    " AND u.is_active = 1"
	    " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e"
	    "  WHERE e.webhook_id = d.webhook_id AND e.object_key = d.object_key"
	    "  AND e.status = 'pending' AND e.id < d.id)"
	    " ORDER BY d.next_attempt_at, d.id LIMIT ?2";
	struct dbstmt *st;
	struct hook_job *j;
	int	 rc;
	enum dbrc drc;

	*n = 0;
	if ((drc = hook_flush(db)) != DB_OK)
		return drc;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now);
	db_bind_int(st, 2, max);
	while ((rc = db_step(st)) == DB_ROW && *n < max) {
		j = &jobs[*n];
		j->id = db_col_i64(st, 0);
		j->webhook_id = db_col_i64(st, 1);
		j->owner_id = db_col_i64(st, 2);
		j->attempts = db_col_i64(st, 3);
		j->url = arena_strdup(a, db_col_text(st, 4));
		j->secret = arena_strdup(a, db_col_text(st, 5));
		j->event = arena_strdup(a, db_col_text(st, 6));
		j->body = arena_strdup(a, db_col_text(st, 7));
		if (!j->url || !j->secret || !j->event || !j->body) {
			rc = DB_RC_NOMEM;
			break;
		}
		(*n)++;
	}
	if (rc == DB_ROW)
		rc = DB_DONE;
	rc = db_done(st, rc);
	if (rc != DB_DONE)
		*n = 0;
	return db_rc(db, rc, "webhook due");
}

enum dbrc
hook_delivered(struct db *db, const struct hook_job *j, long http, int64_t now)
{
	static const char upd[] =
	    "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,"
	    " last_http_status = ?1, last_error = NULL, delivered_at = ?2, finished_at = ?2"
	    " WHERE id = ?3 AND status = 'pending'";
	static const char ok[] =
	    "UPDATE webhooks SET failure_count = 0, first_failure_at = NULL"
	    " WHERE id = ?1 AND failure_count <> 0";
	struct dbstmt *st;
	int	 own;
	enum dbrc rc;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, upd)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, http);
	db_bind_i64(st, 2, now);
	db_bind_i64(st, 3, j->id);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "delivered")) != DB_OK)
		goto out;
	if ((st = db_prep(db, ok)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, j->webhook_id);
	rc = db_rc(db, db_done(st, db_step(st)), "webhook ok");
out:
	return tx_close(db, own, rc);
}

/* Counts one failure of the job's webhook, disabling it when the rule says so. */
static enum dbrc
hook_count_failure(struct db *db, const struct hook_job *j, int64_t now,
    int64_t disable_after, int *disabled)
{
	static const char count[] =
	    "UPDATE webhooks SET failure_count = failure_count + 1,"
	    " first_failure_at = coalesce(first_failure_at, ?1) WHERE id = ?2"
	    " RETURNING failure_count, first_failure_at, is_active, url";
	static const char off[] =
	    "UPDATE webhooks SET is_active = 0, updated_at = CASE WHEN ?1 > updated_at + 1"
	    " THEN ?1 ELSE updated_at + 1 END WHERE id = ?2";
	struct dbstmt *st;
	struct buf text = { 0 };
	int64_t	 failures = 0, since = now;
	int	 active = 0, src, n;
	enum dbrc rc;

	if ((st = db_prep(db, count)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, j->webhook_id);
	if ((src = db_step(st)) == DB_ROW) {
		failures = db_col_i64(st, 0);
		since = db_col_i64(st, 1);
		active = db_col_int(st, 2);
		buf_puts(&text, NOTICE_HOOK_OFF_PRE);
		buf_puts(&text, db_col_text(st, 3));
		buf_puts(&text, NOTICE_HOOK_OFF_POST);
		src = db_step(st);
	}
	if ((rc = db_rc(db, db_done(st, src), "webhook failure")) != DB_OK ||
	    !active || failures < disable_after || now - since < HOOK_DISABLE_SPAN)
		goto out;
	if (text.oom) {
		rc = DB_ERROR;
		goto out;
	}
	if ((rc = db_change2(db, off, now, j->webhook_id, "webhook off", &n)) == DB_OK)
		rc = notices_notify(db, j->owner_id, 0, "webhook_disabled", text.p, now);
	if (rc == DB_OK)
		*disabled = 1;
out:
	buf_free(&text);
	return rc;
}

enum dbrc
hook_failed(struct db *db, const struct hook_job *j, int refused, long http,
    const char *err, int64_t next_at, int64_t now, int64_t disable_after,
    int *disabled)
{
	static const char sql[] =
	    "UPDATE webhook_deliveries SET attempts = attempts + 1,"
	    " last_http_status = ?1, last_error = ?2, next_attempt_at = ?3,"
	    " status = CASE WHEN ?4 <> 0 THEN 'refused' WHEN attempts + 1 >= ?5 THEN 'failed'"
	    " ELSE 'pending' END, finished_at = CASE WHEN ?4 <> 0 OR attempts + 1 >= ?5"
	    " THEN ?7 ELSE finished_at END WHERE id = ?6 AND status = 'pending'";
	struct dbstmt *st;
	int	 own;
	enum dbrc rc;

	*disabled = 0;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	if (http > 0)
		db_bind_i64(st, 1, http);
	else
		db_bind_null(st, 1);
	db_bind_text(st, 2, err);
	db_bind_i64(st, 3, next_at);
	db_bind_int(st, 4, refused != 0);
	db_bind_int(st, 5, HOOK_MAX_ATTEMPTS);
	db_bind_i64(st, 6, j->id);
	db_bind_i64(st, 7, now);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "delivery failed")) == DB_OK)
		rc = hook_count_failure(db, j, now, disable_after, disabled);
out:
	return tx_close(db, own, rc);
}
