/* task_sweep: the overdue sweep (tasks_mark_overdue, tasks.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "activity.h"
#include "members.h"
#include "notices.h"
#include "reminders.h"
#include "task_rows.h"
#include "tasks.h"
#include "timeutil.h"
#include "tx.h"
#include "webhooks.h"

#define SWEEP_BATCH	256

struct due {
	int64_t		 id;
	int64_t		 list_id;
	int64_t		 member_count;
	int64_t		 owner_id;
	int64_t		 assigned_to;
	int		 status;
	char		 name[NAME_BYTES];
};

/* One transaction of the sweep: up to SWEEP_BATCH tasks; *n of them marked. */
static enum dbrc
sweep_batch(struct db *db, int64_t now, struct due *d, size_t *n)
{
	static const char sql[] =
	    "SELECT t.id, l.owner_id, t.assigned_to, t.name, t.status, t.list_id,"
	    " l.member_count FROM tasks t"
	    " JOIN lists l ON l.id = t.list_id WHERE t.complete_before < ?1"
	    " AND t.complete_before IS NOT NULL AND t.status IN ('Pending', 'In Progress')"
	    " ORDER BY t.complete_before LIMIT ?2";
	sqlite3_stmt *st;
	int64_t	 t = now_us();
	size_t	 i, k = 0;
	int	 rc = SQLITE_DONE, own = 0;
	enum dbrc drc;

	*n = 0;
	if ((drc = tx_open(db, &own)) != DB_OK)
		return drc;
	if ((st = db_prep(db, sql)) == NULL) {
		drc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, SWEEP_BATCH);
	while (k < SWEEP_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		d[k].id = sqlite3_column_int64(st, 0);
		d[k].owner_id = sqlite3_column_int64(st, 1);
		d[k].assigned_to = sqlite3_column_int64(st, 2);
		snprintf(d[k].name, sizeof(d[k].name), "%s", db_col_text(st, 3));
		d[k].status = task_status_of(db_col_text(st, 4));
		d[k].list_id = sqlite3_column_int64(st, 5);
		d[k].member_count = sqlite3_column_int64(st, 6);
		k++;
	}
	if (k < SWEEP_BATCH && (drc = db_rc(db, rc, "sweep select")) != DB_OK) {
		db_done(st, rc);
		goto out;
	}
	db_done(st, SQLITE_OK);
	for (i = 0; i < k && drc == DB_OK; i++) {
		drc = task_set_status(db, d[i].id, TS_OVERDUE, t);
		if (drc == DB_OK)
			drc = notices_task_event(db, d[i].id, "overdue", d[i].owner_id,
			    d[i].assigned_to, t);
		if (drc == DB_OK && d[i].member_count > 0)
			drc = members_task_event(db, d[i].id, d[i].list_id, "overdue",
			    d[i].assigned_to, 0, t);
		if (drc == DB_OK)
			drc = notices_overdue(db, d[i].id, d[i].name, d[i].assigned_to, t);
		if (drc == DB_OK)
			drc = activity_status(db, d[i].id, 0, "overdue", d[i].status,
			    TS_OVERDUE, t);
		if (drc == DB_OK)
			drc = reminders_sync(db, d[i].id);
		if (drc == DB_OK)
			drc = webhooks_task(db, d[i].id, HOOK_TASK_UPDATED, d[i].owner_id,
			    d[i].assigned_to, HOOK_GEN_UNKNOWN, NULL);
	}
	if (drc == DB_OK)
		*n = k;
out:
	drc = tx_close(db, own, drc);
	if (drc != DB_OK)
		*n = 0;
	return drc;
}

enum dbrc
tasks_mark_overdue(struct db *db, int64_t now, int64_t *marked)
{
	struct due *d;
	size_t	 n;
	enum dbrc rc;

	*marked = 0;
	if ((d = calloc(SWEEP_BATCH, sizeof(*d))) == NULL)
		return DB_ERROR;
	do {
		rc = sweep_batch(db, now, d, &n);
		*marked += (int64_t)n;
	} while (rc == DB_OK && n == SWEEP_BATCH);
	free(d);
	return rc;
}
