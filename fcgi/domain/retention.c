/* retention: batched purges of old events, finished notices and webhook deliveries. */
#include "retention.h"
#include "tx.h"

/*
 * Events: the oldest ?2 rows by id, of which those older than ?1 (ids and
 * created_at grow together, so a batch stops at the first young row and
 * never walks the rest of the table; no index on created_at for every
 * insert to keep up, sql/015).  Not the high-water mark (user_id NULL, at
 * most one, sql/025_events_ids.sql): deleted while it is the newest row,
 * its trigger would put it back and the purge would never end; older, it
 * goes when the next mark replaces it.  The `+` keeps the walk on the ids
 * (not on events_user's NULLs).  A row carrying a webhook's delivery the
 * worker has not moved yet (past webhook_cursor) stays
 * (sql/030_webhook_carrier.sql).  Outbox: the outbox_finished index
 * (sql/006_retention.sql).
 */
const char retention_events_sql[] =
    "DELETE FROM events WHERE id IN"
    " (SELECT id FROM (SELECT id, created_at FROM events WHERE +user_id IS NOT NULL"
    " AND (hook IS NULL OR id <= (SELECT events_id FROM webhook_cursor WHERE id = 1))"
    " ORDER BY id LIMIT ?2) AS e WHERE created_at < ?1)";
const char retention_outbox_sql[] =
    "DELETE FROM outbox WHERE id IN"
    " (SELECT id FROM outbox WHERE status <> 0"
    " AND finished_at < ?1 LIMIT ?2)";

/* the inner SELECT walks webhook_deliveries_finished (sql/019_webhooks.sql) */
const char retention_hooks_sql[] =
    "DELETE FROM webhook_deliveries WHERE id IN"
    " (SELECT id FROM webhook_deliveries WHERE status <> 'pending'"
    " AND finished_at < ?1 LIMIT ?2)";

int64_t
retention_cutoff(int64_t now, int64_t days)
{
	if (days <= 0)
		return 0;
	return now - days * 86400 * (int64_t)1000000;
}

/* Runs one batch statement sql in its own transaction; *n rows deleted. */
static enum dbrc
batch_delete(struct db *db, const char *sql, const char *what, int64_t before,
    int64_t batch, int64_t *n)
{
	struct dbstmt *st;
	enum dbrc rc;
	int	 own;

	*n = 0;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, before);
	db_bind_i64(st, 2, batch);
	rc = db_rc(db, db_done(st, db_step(st)), what);
	if (rc == DB_OK)
		*n = db_changes(db);
out:
	rc = tx_close(db, own, rc);
	if (rc != DB_OK)
		*n = 0;
	return rc;
}

enum dbrc
retention_events_batch(struct db *db, int64_t before, int64_t batch, int64_t *n)
{
	return batch_delete(db, retention_events_sql, "events purge", before, batch, n);
}

enum dbrc
retention_outbox_batch(struct db *db, int64_t before, int64_t batch, int64_t *n)
{
	return batch_delete(db, retention_outbox_sql, "outbox purge", before, batch, n);
}

enum dbrc
retention_purge(struct db *db, int table, int64_t before, int64_t batch,
    int64_t max_batches, volatile sig_atomic_t *stop, int64_t *n)
{
	enum dbrc rc = DB_OK;
	int64_t	 k, got;

	*n = 0;
	if (before <= 0 || batch <= 0)
		return DB_OK;
	for (k = 0; k < max_batches && (stop == NULL || !*stop); k++) {
		rc = table == 'e' ? retention_events_batch(db, before, batch, &got) :
		    table == 'w' ? batch_delete(db, retention_hooks_sql,
		    "webhook deliveries purge", before, batch, &got) :
		    retention_outbox_batch(db, before, batch, &got);
		if (rc != DB_OK)
			break;
		*n += got;
		/*
		 * a short batch means nothing older is left -- except for events,
		 * whose window of the oldest ids may hold young rows (written
		 * with an earlier id than older ones): they go on until a window
		 * has nothing to delete
		 */
		if (table == 'e' ? got == 0 : got < batch)
			break;
	}
	return rc;
}
