/*
 * retention: purging old change records, in small batches, for the worker.
 *
 *   events  -- rows created before the cut-off go (the feed's cursor stays
 *              valid: ids are AUTOINCREMENT, never handed out again).
 *   outbox  -- only finished notices (status 1 sent, 2 failed for good,
 *              3 skipped) that finished (finished_at) before the cut-off.
 *              Pending ones never.
 *   webhook_deliveries -- likewise only finished ones (delivered, failed,
 *              refused), by finished_at.
 *
 * Each batch is one short write transaction walking an index of the old
 * rows only (sql/006_retention.sql), so a purge never scans a table and
 * other writers wait at most one batch.
 */
#ifndef TASKMGR_RETENTION_H
#define TASKMGR_RETENTION_H

#include <signal.h>
#include <stdint.h>

#include "db.h"

#define RETENTION_BATCH	500	/* rows per transaction */

/* The statements of one batch (exposed for the tests' query-plan checks). */
extern const char retention_events_sql[];
extern const char retention_outbox_sql[];
extern const char retention_hooks_sql[];

/* The cut-off for keeping days days at now: rows older go; 0 = keep forever (days 0). */
int64_t	 retention_cutoff(int64_t now, int64_t days);
/*
 * Deletes those of the batch oldest events (by id) created before `before`,
 * in one transaction; *n is the number deleted (0: nothing older is left
 * among the oldest ids).
 */
enum dbrc retention_events_batch(struct db *, int64_t before, int64_t batch, int64_t *n);
/* Same for finished outbox notices that finished before `before`. */
enum dbrc retention_outbox_batch(struct db *, int64_t before, int64_t batch, int64_t *n);
/*
 * Purges one table ('e' events, 'o' outbox, 'w' webhook deliveries) batch
 * after batch until nothing older than `before` is left, at most max_batches batches, or *stop becomes
 * non-zero (stop may be NULL).  *n is the total deleted, also on an error
 * (what earlier batches committed stays deleted).
 */
enum dbrc retention_purge(struct db *, int table, int64_t before, int64_t batch,
	    int64_t max_batches, volatile sig_atomic_t *stop, int64_t *n);

#endif
