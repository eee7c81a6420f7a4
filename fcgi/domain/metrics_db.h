/*
 * metrics_db: the figures of GET /metrics that live in the database: the
 * worker's notices (the outbox), the reminders waiting and the time of its
 * last overdue sweep; on PostgreSQL the database's size too.
 * The responders' request counters are core/metrics.h's.
 */
#ifndef TASKMGR_METRICS_DB_H
#define TASKMGR_METRICS_DB_H

#include <stdint.h>

#include "db.h"

/* The name of the last overdue sweep's time (microseconds) in telegram_state. */
#define METRICS_SWEEP_STATE	"overdue_sweep_at"

struct metrics_db {
	int64_t	 notices_pending;	/* outbox status 0 */
	int64_t	 notices_failed;	/* status 2 (failed for good), as long as retention keeps them */
	int64_t	 oldest_pending;	/* created_at of the oldest pending notice; 0: none */
	int64_t	 last_sweep;		/* microseconds; 0: never */
	int64_t	 hooks_pending;		/* webhook deliveries pending */
	int64_t	 hooks_failed;		/* failed for good or refused */
	int64_t	 hooks_oldest_pending;	/* created_at of the oldest pending one; 0: none */
	int64_t	 reminders_pending;	/* reminders waiting (state 0) */
	/* PostgreSQL only (SQLite's are its files' sizes): the database's size
	 * and the cluster's WAL (0 unless the role may list it, pg_monitor) */
	int64_t	 pg_size;
	int64_t	 pg_wal_size;
};

/* Reads the figures (in the caller's read transaction, if any). */
enum dbrc metrics_db_read(struct db *, struct metrics_db *);
/* Records that the overdue sweep ran at now (microseconds); never moves the time back. */
enum dbrc metrics_db_swept(struct db *, int64_t now);

#endif
