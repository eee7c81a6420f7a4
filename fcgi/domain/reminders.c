/* reminders: scheduling reminder rows and sending the due ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "buf.h"
#include "notices.h"
#include "reminders.h"
#include "tasks.h"
#include "timeutil.h"
#include "tx.h"
#include "tz.h"
#include "webhooks.h"

/* reminders sent per transaction of the worker's pass */
#define SEND_BATCH	256
#define MINUTE_US	INT64_C(60000000)

enum rem_bad
rem_offsets_check(const int64_t *v, int n, char out[REM_TEXT_BYTES])
{
	size_t	 len = 1;
	int	 i, j;

	out[0] = '\0';
	if (n > REM_MAX_OFFSETS)
		return REM_TOO_MANY;
	/* a value out of range is named before a duplicate */
	for (i = 0; i < n; i++) {
		if (v[i] < 1)
			return REM_TOO_SMALL;
		if (v[i] > REM_MAX_MINUTES)
			return REM_TOO_BIG;
	}
	for (i = 1; i < n; i++)
		for (j = 0; j < i; j++)
			if (v[j] == v[i])
				return REM_DUPLICATE;
	out[0] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, REM_TEXT_BYTES - len, "%s%lld",
		    i > 0 ? "," : "", (long long)v[i]);
	snprintf(out + len, REM_TEXT_BYTES - len, "]");
	return REM_OK;
}

int
rem_offsets_parse(const char *text, int *off)
{
	const char *p = text;
	char	*end;
	long	 v;
	int	 n = 0;

	if (p == NULL || *p++ != '[')
		return -1;
	if (*p == ']')
		return p[1] == '\0' ? 0 : -1;
	for (;;) {
		if (*p < '0' || *p > '9' || n == REM_MAX_OFFSETS)
			return -1;
		v = strtol(p, &end, 10);
		if (v < 1 || v > REM_MAX_MINUTES)
			return -1;
		off[n++] = (int)v;
		p = end;
		if (*p == ']')
			return p[1] == '\0' ? n : -1;
		if (*p++ != ',')
			return -1;
	}
}

enum rem_bad
rem_offsets_typed(const char *s, char out[REM_TEXT_BYTES], int *dflt)
{
	int64_t	 v[REM_MAX_OFFSETS + 1] = { 0 };
	int	 n = 0;
	char	*end;

	out[0] = '\0';
	*dflt = 0;
	s += strspn(s, " \t,");
	if (*s == '\0') {
		*dflt = 1;
		return REM_OK;
	}
	if (strcmp(s, "none") == 0)
		return rem_offsets_check(v, 0, out);
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return REM_NOT_NUMBER;
		if (n == REM_MAX_OFFSETS + 1)
			return REM_TOO_MANY;
		v[n] = strtoll(s, &end, 10);
		if (v[n] > REM_MAX_MINUTES)
			v[n] = REM_MAX_MINUTES + 1;
		n++;
		s = end + strspn(end, " \t,");
		if (end == s && *s != '\0')
			return REM_NOT_NUMBER;
	}
	return rem_offsets_check(v, n, out);
}

void
rem_offsets_show(const char *text, char out[REM_TEXT_BYTES * 2])
{
	int	 off[REM_MAX_OFFSETS], n, i;
	size_t	 len = 0;

	out[0] = '\0';
	if ((n = rem_offsets_parse(text, off)) == 0)
		snprintf(out, REM_TEXT_BYTES * 2, "none");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, REM_TEXT_BYTES * 2 - len, "%s%d",
		    i > 0 ? ", " : "", off[i]);
}

int
rem_plan(int64_t deadline, int status, int64_t now, const int *off, int n,
    struct rem_slot *slots)
{
	int	 i, k = 0;

	if (deadline == TIME_NULL || status == TS_COMPLETED || deadline <= now)
		return 0;
	for (i = 0; i < n; i++) {
		slots[k].offset_min = off[i];
		slots[k].due_at = deadline - off[i] * MINUTE_US;
		k++;
	}
	return k;
}

int
rem_offsets_effective(const char *own, const char *dflt, int *off)
{
	int	 n;

	/* the task's own list, else the recipient's, else the default */
	if (own == NULL || (n = rem_offsets_parse(own, off)) < 0)
		n = user_offsets_parse(dflt, off);
	if (n < 0) {
		off[0] = REM_DEFAULT_OFFSET;
		n = 1;
	}
	return n;
}

void
rem_format_time(const struct tz *zone, int64_t us, char out[REM_TIME_BYTES])
{
	struct tz_civil c;

	tz_to_civil(zone, us, &c);
	snprintf(out, REM_TIME_BYTES, "%04d-%02d-%02d %02d:%02d %s", c.year, c.mon,
	    c.day, c.hour, c.min, c.abbr);
}

/* What reminders_sync reads of a task: NULL text when the task is gone. */
struct want {
	int64_t		 recipient;
	int64_t		 deadline;
	int		 status;
	int		 off[REM_MAX_OFFSETS];
	int		 n;
};

/* Reads the task's deadline, status, recipient and offsets; DB_NOTFOUND when gone. */
static enum dbrc
want_read(struct db *db, int64_t task_id, struct want *w)
{
	static const char sql[] =
	    "SELECT t.complete_before, t.status, u.id, t.reminders, u.reminder_offsets"
	    " FROM tasks t JOIN lists l ON l.id = t.list_id"
	    " JOIN users u ON u.id = coalesce(t.assigned_to, l.owner_id) WHERE t.id = ?";
	sqlite3_stmt *st = db_prep(db, sql);
	const char *own, *dflt;
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, task_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w->deadline = sqlite3_column_type(st, 0) == SQLITE_NULL ? TIME_NULL :
		    sqlite3_column_int64(st, 0);
		w->status = task_status_of(db_col_text(st, 1));
		w->recipient = sqlite3_column_int64(st, 2);
		own = (const char *)sqlite3_column_text(st, 3);
		dflt = (const char *)sqlite3_column_text(st, 4);
		w->n = rem_offsets_effective(own, dflt, w->off);
	}
	rc = db_done(st, rc);
	if (rc == SQLITE_ROW)
		return DB_OK;
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "reminder task");
}

/* Deletes the task's waiting rows that are not in slots (for recipient and deadline). */
static enum dbrc
unwanted_delete(struct db *db, int64_t task_id, const struct want *w,
    const struct rem_slot *slots, int n)
{
	static const char sel[] =
	    "SELECT id, recipient_id, deadline, offset_min FROM reminders"
	    " WHERE task_id = ? AND state = 0";
	static const char del[] = "DELETE FROM reminders WHERE id = ?";
	sqlite3_stmt *st;
	int64_t	 gone[REM_MAX_OFFSETS * 4];
	int	 ngone = 0, i, keep, rc, more = 0;
	enum dbrc drc = DB_OK;

	do {
		if ((st = db_prep(db, sel)) == NULL)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, task_id);
		ngone = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			keep = 0;
			for (i = 0; i < n && !keep; i++)
				keep = sqlite3_column_int64(st, 1) == w->recipient &&
				    sqlite3_column_int64(st, 2) == w->deadline &&
				    sqlite3_column_int(st, 3) == slots[i].offset_min;
			if (keep)
				continue;
			if (ngone == (int)(sizeof(gone) / sizeof(gone[0])))
				break;
			gone[ngone++] = sqlite3_column_int64(st, 0);
		}
		/* a full gone[] leaves rows for another round */
		more = rc == SQLITE_ROW;
		rc = db_done(st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
		if ((drc = db_rc(db, rc, "reminder rows")) != DB_OK)
			return drc;
		for (i = 0; i < ngone && drc == DB_OK; i++) {
			if ((st = db_prep(db, del)) == NULL)
				return DB_ERROR;
			sqlite3_bind_int64(st, 1, gone[i]);
			drc = db_rc(db, db_done(st, sqlite3_step(st)), "reminder delete");
		}
	} while (more && drc == DB_OK);
	return drc;
}

/* Inserts the wanted rows that do not exist yet (sent ones included: never again). */
static enum dbrc
wanted_insert(struct db *db, int64_t task_id, const struct want *w,
    const struct rem_slot *slots, int n)
{
	static const char sql[] =
	    "INSERT INTO reminders (task_id, recipient_id, deadline, offset_min, due_at)"
	    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
	sqlite3_stmt *st;
	enum dbrc rc = DB_OK;
	int	 i;

	for (i = 0; i < n && rc == DB_OK; i++) {
		if ((st = db_prep(db, sql)) == NULL)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, task_id);
		sqlite3_bind_int64(st, 2, w->recipient);
		sqlite3_bind_int64(st, 3, w->deadline);
		sqlite3_bind_int(st, 4, slots[i].offset_min);
		sqlite3_bind_int64(st, 5, slots[i].due_at);
		rc = db_rc(db, db_done(st, sqlite3_step(st)), "reminder insert");
	}
	return rc;
}

enum dbrc
reminders_sync(struct db *db, int64_t task_id)
{
	struct want w;
	struct rem_slot slots[REM_MAX_OFFSETS];
	int	 n = 0, own = 0;
	enum dbrc rc;

	memset(&w, 0, sizeof(w));
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	rc = want_read(db, task_id, &w);
	if (rc == DB_NOTFOUND) {
		/* gone: its rows went with it (ON DELETE CASCADE) */
		rc = DB_OK;
		goto out;
	}
	if (rc != DB_OK)
		goto out;
	n = rem_plan(w.deadline, w.status, now_us(), w.off, w.n, slots);
	if ((rc = unwanted_delete(db, task_id, &w, slots, n)) == DB_OK)
		rc = wanted_insert(db, task_id, &w, slots, n);
out:
	return tx_close(db, own, rc);
}

enum dbrc
reminders_sync_recipient(struct db *db, int64_t user_id)
{
	static const char sql[] =
	    "SELECT t.id FROM tasks t JOIN lists l ON l.id = t.list_id"
	    " WHERE (t.assigned_to = ?1 OR (t.assigned_to IS NULL AND l.owner_id = ?1))"
	    " AND t.reminders IS NULL AND t.complete_before > ?2"
	    " AND t.status <> 'Completed' AND t.id > ?3 ORDER BY t.id LIMIT 256";
	sqlite3_stmt *st;
	int64_t	 ids[256], after = 0;
	int	 n, i, rc, own = 0;
	enum dbrc drc;

	if ((drc = tx_open(db, &own)) != DB_OK)
		return drc;
	do {
		if ((st = db_prep(db, sql)) == NULL) {
			drc = DB_ERROR;
			break;
		}
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, now_us());
		sqlite3_bind_int64(st, 3, after);
		n = 0;
		while (n < 256 && (rc = sqlite3_step(st)) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		rc = db_done(st, n == 256 ? SQLITE_DONE : rc);
		if ((drc = db_rc(db, rc, "recipient tasks")) != DB_OK)
			break;
		for (i = 0; i < n && drc == DB_OK; i++)
			drc = reminders_sync(db, ids[i]);
		if (n > 0)
			after = ids[n - 1];
	} while (drc == DB_OK && n == 256);
	return tx_close(db, own, drc);
}

static enum dbrc one_int(struct db *, const char *, int64_t *, const char *);

/* A due reminder, as the worker's pass reads it. */
struct due_rem {
	int64_t		 id;
	int64_t		 task_id;
	int64_t		 recipient;
	int64_t		 deadline;
	char		 zone[64];
	char		 name[NAME_BYTES];
};

/*
 * Reads up to SEND_BATCH due reminders into d; *n of them.  CROSS JOIN keeps
 * reminders the outer loop (SQLite does not reorder it): with few users the
 * planner would otherwise walk a user's every row by reminders_recipient
 * instead of the due ones by reminders_due.
 */
static enum dbrc
due_read(struct db *db, int64_t now, struct due_rem *d, int *n)
{
	static const char sql[] =
	    "SELECT r.id, r.task_id, r.recipient_id, r.deadline, u.time_zone, t.name"
	    " FROM reminders r CROSS JOIN tasks t CROSS JOIN users u"
	    " WHERE t.id = r.task_id AND u.id = r.recipient_id"
	    " AND r.state = 0 AND r.due_at <= ? ORDER BY r.due_at LIMIT ?";
	sqlite3_stmt *st = db_prep(db, sql);
	const char *z;
	int	 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, SEND_BATCH);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d[*n].id = sqlite3_column_int64(st, 0);
		d[*n].task_id = sqlite3_column_int64(st, 1);
		d[*n].recipient = sqlite3_column_int64(st, 2);
		d[*n].deadline = sqlite3_column_int64(st, 3);
		z = (const char *)sqlite3_column_text(st, 4);
		snprintf(d[*n].zone, sizeof(d[*n].zone), "%s", z != NULL ? z : "");
		snprintf(d[*n].name, sizeof(d[*n].name), "%s", db_col_text(st, 5));
		(*n)++;
	}
	return db_rc(db, db_done(st, rc), "due reminders");
}

/* Marks a reminder sent (state 1) or dropped (2). */
static enum dbrc
mark(struct db *db, int64_t id, int state, int64_t now)
{
	static const char sql[] =
	    "UPDATE reminders SET state = ?1, sent_at = ?2 WHERE id = ?3 AND state = 0";
	sqlite3_stmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	return db_rc(db, db_done(st, sqlite3_step(st)), "reminder mark");
}

/* Queues one reminder's notice and event. */
static enum dbrc
remind(struct db *db, const struct due_rem *d, const struct tz *dflt, int64_t now)
{
	const struct tz *z = d->zone[0] != '\0' ? tz_get(d->zone) : NULL;
	char	 when[REM_TIME_BYTES];
	struct buf b = { 0 };
	enum dbrc rc;

	rem_format_time(z != NULL ? z : dflt, d->deadline, when);
	buf_puts(&b, "Напоминание: срок задачи '");
	buf_puts(&b, d->name);
	buf_puts(&b, "' — ");
	buf_puts(&b, when);
	rc = b.oom || b.p == NULL ? DB_ERROR :
	    notices_reminder(db, d->recipient, d->task_id, b.p, now);
	buf_free(&b);
	/* the task's history: the worker reminded (actor NULL) */
	if (rc == DB_OK)
		rc = activity_record(db, d->task_id, 0, "reminded", NULL, now);
	/* task.reminder to the webhooks of those who see the task */
	if (rc == DB_OK)
		rc = webhooks_task(db, d->task_id, HOOK_TASK_REMINDER, 0, 0,
		    HOOK_GEN_UNKNOWN, NULL);
	return rc;
}

enum dbrc
reminders_send_due(struct db *db, int64_t now, const struct tz *zone,
    int64_t *sent, int64_t *dropped)
{
	struct due_rem *d;
	int	 n = 0, i, own = 0;
	int64_t	 s, k, first;
	enum dbrc rc;

	*sent = *dropped = 0;
	/* nothing due: no write transaction, no lock (the usual pass) */
	if ((rc = reminders_next_due(db, &first)) != DB_OK || first == TIME_NULL ||
	    first > now)
		return rc;
	if ((d = calloc(SEND_BATCH, sizeof(*d))) == NULL)
		return DB_ERROR;
	do {
		s = k = 0;
		if ((rc = tx_open(db, &own)) != DB_OK)
			break;
		rc = due_read(db, now, d, &n);
		for (i = 0; i < n && rc == DB_OK; i++) {
			/* too late: the deadline came while it waited */
			if (d[i].deadline <= now) {
				rc = mark(db, d[i].id, 2, now);
				k++;
			} else if ((rc = remind(db, &d[i], zone, now)) == DB_OK) {
				rc = mark(db, d[i].id, 1, now);
				s++;
			}
		}
		if ((rc = tx_close(db, own, rc)) == DB_OK) {
			*sent += s;
			*dropped += k;
		}
	} while (rc == DB_OK && n == SEND_BATCH);
	free(d);
	return rc;
}

/* Runs sql (one integer column, one row, NULL allowed) into *v (TIME_NULL for NULL). */
static enum dbrc
one_int(struct db *db, const char *sql, int64_t *v, const char *what)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	*v = TIME_NULL;
	if (st == NULL)
		return DB_ERROR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		*v = sqlite3_column_int64(st, 0);
	return db_rc(db, db_done(st, rc == SQLITE_ROW ? SQLITE_DONE : rc), what);
}

enum dbrc
reminders_next_due(struct db *db, int64_t *at)
{
	/* the first entry of the partial index reminders_due */
	return one_int(db, "SELECT min(due_at) FROM reminders WHERE state = 0", at,
	    "next reminder");
}

enum dbrc
reminders_pending(struct db *db, int64_t *n)
{
	enum dbrc rc = one_int(db, "SELECT count(*) FROM reminders WHERE state = 0", n,
	    "reminders pending");

	if (*n == TIME_NULL)
		*n = 0;
	return rc;
}
