/* task_recur: completions, the move of a recurring task, the zone it steps in. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "arena.h"
#include "get1.h"
#include "notices.h"
#include "task_recur.h"
#include "tasks.h"
#include "timeutil.h"
#include "tz.h"
#include "user_settings.h"

void
task_rec_read(struct dbstmt *st, int col, struct recurrence *r)
{
	int	 u, f;

	r->every = 0;
	r->unit = RU_DAY;
	r->from = RF_DEADLINE;
	r->until = TIME_NULL;
	if (db_col_isnull(st, col))
		return;
	u = rec_unit_of(db_col_text(st, col + 1));
	f = rec_from_of(db_col_text(st, col + 2));
	r->every = db_col_int(st, col);
	r->unit = u < 0 ? RU_DAY : u;
	r->from = f < 0 ? RF_DEADLINE : f;
	if (!db_col_isnull(st, col + 3))
		r->until = db_col_i64(st, col + 3);
}

void
task_extras_unpack(const char *s, struct recurrence *r, const char **reminders)
{
	char	 unit[16], from[16], until[24];
	int	 every, u, f, n = 0;

	r->every = 0;
	r->unit = RU_DAY;
	r->from = RF_DEADLINE;
	r->until = TIME_NULL;
	*reminders = NULL;
	if (s == NULL)
		return;
	if (*s == '[') {
		*reminders = s;
		return;
	}
	if (sscanf(s, "%d %15s %15s %23s%n", &every, unit, from, until, &n) != 4)
		return;
	u = rec_unit_of(unit);
	f = rec_from_of(from);
	r->every = every;
	r->unit = u < 0 ? RU_DAY : u;
	r->from = f < 0 ? RF_DEADLINE : f;
	if (strcmp(until, "-") != 0)
		r->until = strtoll(until, NULL, 10);
	s += n;
	while (*s == ' ')
		s++;
	if (*s == '[')
		*reminders = s;
}

void
task_rec_bind(struct dbstmt *st, int i, const struct recurrence *r)
{
	if (r->every < 1) {
		db_bind_null(st, i);
		db_bind_null(st, i + 1);
		db_bind_null(st, i + 2);
		db_bind_null(st, i + 3);
		return;
	}
	db_bind_int(st, i, r->every);
	db_bind_text(st, i + 1, rec_unit_names[r->unit]);
	db_bind_text(st, i + 2, rec_from_names[r->from]);
	if (r->until != TIME_NULL)
		db_bind_i64(st, i + 3, r->until);
	else
		db_bind_null(st, i + 3);
}

const struct tz *
task_zone(struct db *db, int64_t owner_id, int64_t assignee_id)
{
	const struct tz *dflt = db->zone != NULL ? db->zone : tz_get("UTC");
	struct user_time ut;

	/* the recipient: the assignee, else the list's owner */
	if (user_time_get(db, assignee_id > 0 ? assignee_id : owner_id, dflt, &ut) != DB_OK)
		return dflt;
	return ut.zone;
}

/* Moves task id to deadline with status and updated_at = stamp. */
static enum dbrc
task_move(struct db *db, int64_t id, int64_t deadline, int status, int64_t stamp)
{
	static const char sql[] =
	    "UPDATE tasks SET complete_before = ?1, status = ?2, updated_at = ?3 WHERE id = ?4";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, deadline);
	db_bind_text(st, 2, task_status_names[status]);
	db_bind_i64(st, 3, stamp);
	db_bind_i64(st, 4, id);
	return db_rc(db, db_done(st, db_step(st)), "task move");
}

enum dbrc
task_completion(struct db *db, int64_t id, int64_t by, int64_t owner_id,
    int64_t assignee_id, int64_t deadline, const struct recurrence *rec,
    int64_t anchor, int64_t now, int64_t stamp, int64_t *next)
{
	static const char sql[] =
	    "INSERT INTO task_completions (task_id, completed_at, complete_before,"
	    " completed_by) VALUES (?1, ?2, ?3, ?4)";
	const struct tz *z;
	struct dbstmt *st = db_prep(db, sql);
	enum dbrc rc;

	*next = TIME_NULL;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, now);
	if (deadline != TIME_NULL)
		db_bind_i64(st, 3, deadline);
	if (by > 0)
		db_bind_i64(st, 4, by);
	if ((rc = db_rc(db, db_done(st, db_step(st)), "completion insert")) != DB_OK)
		return rc;
	if (rec->every < 1 || deadline == TIME_NULL)
		return DB_OK;
	z = task_zone(db, owner_id, assignee_id);
	*next = rec_next(z, rec, anchor != TIME_NULL ? anchor : rec_anchor(z, deadline),
	    deadline, now);
	if (*next == TIME_NULL)
		return DB_OK;
	return task_move(db, id, *next, assignee_id > 0 ? TS_IN_PROGRESS : TS_PENDING,
	    stamp);
}

enum dbrc
task_moved(struct db *db, int64_t id, int64_t actor, int64_t owner_id,
    int64_t assignee_id, int64_t from, int64_t to, int64_t now)
{
	struct task_input old, w;
	enum dbrc rc;

	memset(&old, 0, sizeof(old));
	memset(&w, 0, sizeof(w));
	old.complete_before = from;
	old.status = TS_COMPLETED;
	w.complete_before = to;
	w.status = assignee_id > 0 ? TS_IN_PROGRESS : TS_PENDING;
	if ((rc = notices_task_event(db, id, "updated", owner_id, assignee_id, now)) != DB_OK)
		return rc;
	return activity_updated(db, id, actor, "updated", TF_DEADLINE | TF_STATUS, &old,
	    NULL, 0, &w, 0, now);
}

enum dbrc
task_completions_page(struct db *db, int64_t task_id, int64_t limit, int64_t offset,
    struct arena *a, int64_t *count, struct completion **rows, size_t *n)
{
	static const char count_sql[] =
	    "SELECT count(*) FROM task_completions WHERE task_id = ?1";
	static const char sql[] =
	    "SELECT c.id, c.completed_at, c.complete_before, c.completed_by, u.username"
	    " FROM task_completions c LEFT JOIN users u ON u.id = c.completed_by"
	    " WHERE c.task_id = ?1 ORDER BY c.id DESC LIMIT ?2 OFFSET ?3";
	struct dbstmt *st;
	struct completion *c;
	enum dbrc counted;
	int	 rc;

	*n = 0;
	*rows = NULL;
	counted = db_count1(db, count_sql, task_id, "completions count", count);
	if (counted != DB_OK)
		return counted;
	if (limit <= 0 || *count <= offset)
		return DB_OK;
	if (limit > *count - offset)
		limit = *count - offset;
	/* limit is at most max_page_size: checked before this allocation */
	if ((*rows = arena_alloc(a, (size_t)limit * sizeof(**rows))) == NULL)
		return DB_ERROR;
	if ((st = db_page1(db, sql, task_id, limit, offset)) == NULL)
		return DB_ERROR;
	while ((int64_t)*n < limit && (rc = db_step(st)) == DB_ROW) {
		c = &(*rows)[(*n)++];
		c->id = db_col_i64(st, 0);
		c->completed_at = db_col_i64(st, 1);
		c->complete_before = db_col_isnull(st, 2) ? TIME_NULL :
		    db_col_i64(st, 2);
		c->completed_by = db_col_i64(st, 3);
		c->completed_by_username = NULL;
		if (!db_col_isnull(st, 4) &&
		    (c->completed_by_username = arena_strdup(a, db_col_text(st, 4))) == NULL) {
			rc = DB_RC_NOMEM;
			break;
		}
	}
	if (rc == DB_ROW || rc == DB_DONE)
		rc = DB_DONE;
	db_done(st, rc);
	return db_rc(db, rc, "completions page");
}
