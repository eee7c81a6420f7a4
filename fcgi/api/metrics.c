/* metrics: GET /metrics -- Prometheus text format 0.0.4, to metrics_allow's addresses only. */
#include <sys/stat.h>

#include <stdio.h>

#include "api.h"
#include "app.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "metrics_db.h"
#include "request.h"
#include "timeutil.h"

/* One gauge with its HELP and TYPE lines. */
static void
gauge(struct buf *b, const char *name, const char *help, int64_t v)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
	    (long long)v);
}

/* The size of file path in bytes; 0 when it does not exist. */
static int64_t
file_size(const char *path, const char *suffix)
{
	struct stat st;
	char	 p[4096];

	if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix) >= sizeof(p) ||
	    stat(p, &st) < 0)
		return 0;
	return (int64_t)st.st_size;
}

/* The figures the worker leaves in the database; taskmgr_database_up 0 when unreadable. */
static void
write_db(struct req *r, int64_t now)
{
	struct app *app = r->app;
	struct buf *b = &r->body_out;
	struct metrics_db m;
	enum dbrc rc = DB_ERROR;
	int64_t	 age, size = 0, wal = 0;

	if (db_is_open(&app->db) && app->schema_ok)
		rc = metrics_db_read(&app->db, &m);
	if (db_is_sqlite()) {
		size = file_size(app->cfg.database, "");
		wal = file_size(app->cfg.database, "-wal");
	} else if (rc == DB_OK) {
		size = m.pg_size;
		wal = m.pg_wal_size;
	}
	gauge(b, "taskmgr_database_up", "1 when the database is open, migrated and "
	    "readable, else 0 (and its figures below are missing).", rc == DB_OK);
	gauge(b, "taskmgr_database_size_bytes", "Size of the database (SQLite: its "
	    "file; PostgreSQL: pg_database_size).", size);
	gauge(b, "taskmgr_wal_size_bytes", "Size of the write-ahead log (SQLite: the "
	    "database's -wal file; PostgreSQL: the cluster's pg_wal, 0 without pg_monitor).",
	    wal);
	if (rc != DB_OK) {
		if (db_is_open(&app->db) && app->schema_ok)
			log_warn("metrics: the database figures could not be read: %s",
			    db_strerror(rc));
		return;
	}
	gauge(b, "taskmgr_notices_pending", "Telegram notices in the outbox waiting "
	    "for delivery.", m.notices_pending);
	gauge(b, "taskmgr_notices_failed", "Telegram notices that failed for good, "
	    "while outbox_retention_days keeps them.", m.notices_failed);
	age = m.oldest_pending > 0 && now > m.oldest_pending ? now - m.oldest_pending : 0;
	gauge(b, "taskmgr_notices_oldest_pending_age_seconds", "Age of the oldest "
	    "waiting notice (0: none waits).", age / 1000000);
	gauge(b, "taskmgr_webhook_deliveries_pending", "Webhook deliveries waiting "
	    "for the worker.", m.hooks_pending);
	gauge(b, "taskmgr_webhook_deliveries_failed", "Webhook deliveries failed for "
	    "good or refused (an address not allowed).", m.hooks_failed);
	age = m.hooks_oldest_pending > 0 && now > m.hooks_oldest_pending ?
	    now - m.hooks_oldest_pending : 0;
	gauge(b, "taskmgr_webhook_oldest_pending_age_seconds", "Age of the oldest "
	    "waiting webhook delivery (0: none waits).", age / 1000000);
	gauge(b, "taskmgr_reminders_pending", "Reminders scheduled and not sent "
	    "yet.", m.reminders_pending);
	gauge(b, "taskmgr_last_sweep_timestamp_seconds", "Unix time of the worker's "
	    "last overdue sweep (0: never).", m.last_sweep / 1000000);
}

int
api_metrics(struct req *r)
{
	int64_t	 now = now_us();

	/* the client address nginx saw (REMOTE_ADDR), never a header */
	if (!metrics_addr_allowed(r->app->cfg.metrics_allow, r->remote_addr))
		return resp_detail(r, 404, "Not found.");
	metrics_write(r->app, &r->body_out, now);
	write_db(r, now);
	r->out_type = "text/plain; version=0.0.4; charset=utf-8";
	return 200;
}
