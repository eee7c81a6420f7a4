/* metrics_db: the database's figures for GET /metrics. */
#include <string.h>

#include "metrics_db.h"
#include "reminders.h"
#include "telegram_link.h"

/* pending notices walk the outbox_due index; failed ones outbox_finished's rows */
static const char pending_sql[] =
    "SELECT count(*), coalesce(min(created_at), 0) FROM outbox WHERE status = 0";
static const char failed_sql[] =
    "SELECT count(*) FROM outbox WHERE status <> 0 AND status = 2";

/* webhook deliveries: each through a partial index of its rows (pending:
 * the inbox's rows not yet moved too, sql/021_webhook_inbox.sql) */
static const char hooks_pending_sql[] =
    "SELECT count(*), coalesce(min(created_at), 0) FROM webhook_delivery_log"
    " WHERE status = 'pending'";
static const char hooks_failed_sql[] =
    "SELECT count(*) FROM webhook_deliveries WHERE status IN ('failed', 'refused')";

/* PostgreSQL's sizes: the database's files, and whether the role may list
 * the WAL's folder (superuser, pg_monitor): a statement that names
 * pg_ls_waldir() fails at its start without that right, whatever branch
 * would call it */
static const char pg_size_sql[] =
    "SELECT pg_database_size(current_database()),"
    " CASE WHEN has_function_privilege('pg_ls_waldir()', 'EXECUTE') THEN 1 ELSE 0 END";
static const char pg_wal_sql[] =
    "SELECT coalesce(sum(size), 0)::bigint FROM pg_ls_waldir()";

/* Runs sql and reads its one row's first n columns into out. */
static enum dbrc
one_row(struct db *db, const char *sql, int n, int64_t *out)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc, i;

	if (st == NULL)
		return DB_ERROR;
	rc = db_step(st);
	for (i = 0; i < n; i++)
		out[i] = rc == DB_ROW ? db_col_i64(st, i) : 0;
	db_done(st, rc);
	return rc == DB_ROW ? DB_OK : db_rc(db, rc, "metrics");
}

enum dbrc
metrics_db_read(struct db *db, struct metrics_db *m)
{
	int64_t	 v[2];
	enum dbrc rc;

	memset(m, 0, sizeof(*m));
	if ((rc = one_row(db, pending_sql, 2, v)) != DB_OK)
		return rc;
	m->notices_pending = v[0];
	m->oldest_pending = v[1];
	if ((rc = one_row(db, failed_sql, 1, v)) != DB_OK)
		return rc;
	m->notices_failed = v[0];
	if ((rc = one_row(db, hooks_pending_sql, 2, v)) != DB_OK)
		return rc;
	m->hooks_pending = v[0];
	m->hooks_oldest_pending = v[1];
	if ((rc = one_row(db, hooks_failed_sql, 1, v)) != DB_OK)
		return rc;
	m->hooks_failed = v[0];
	if ((rc = reminders_pending(db, &m->reminders_pending)) != DB_OK)
		return rc;
	if (!db_is_sqlite()) {
		if ((rc = one_row(db, pg_size_sql, 2, v)) != DB_OK)
			return rc;
		m->pg_size = v[0];
		if (v[1] && (rc = one_row(db, pg_wal_sql, 1, &m->pg_wal_size)) != DB_OK)
			return rc;
	}
	return tg_state_get(db, METRICS_SWEEP_STATE, 0, &m->last_sweep);
}

enum dbrc
metrics_db_swept(struct db *db, int64_t now)
{
	return tg_state_set(db, METRICS_SWEEP_STATE, now);
}
