/* activity: the history rows of tasks and the JSON of their changes. */
#include <stdint.h>
#include <string.h>

#include "activity.h"
#include "buf.h"
#include "get1.h"
#include "tasks.h"
#include "timeutil.h"

enum dbrc
activity_record(struct db *db, int64_t task_id, int64_t actor, const char *action,
    const char *changes, int64_t now)
{
	/* the id: the task's next in its own range (sql/023), found in the
	 * key the insert walks anyway */
	static const char sql[] =
	    "INSERT INTO task_activity (task_id, id, actor_id, action, changes, at)"
	    " VALUES (?1, (SELECT coalesce(max(id), ?1 << 22) + 1 FROM task_activity"
	    " WHERE task_id = ?1), ?2, ?3, ?4, ?5)";
	struct dbstmt *st = db_prep_bound(db, sql);
	enum dbrc rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, task_id);
	if (actor > 0)
		db_bind_i64(st, 2, actor);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, action);
	db_bind_text(st, 4, changes != NULL ? changes : "{}");
	db_bind_i64(st, 5, now);
	/* a refused row (a task past its range's last id) is not the
	 * caller's mistake: the change cannot be recorded */
	if ((rc = db_rc(db, db_done(st, db_step(st)), "activity insert")) ==
	    DB_INVALID || rc == DB_CONFLICT)
		rc = DB_ERROR;
	return rc;
}

void
act_begin(struct buf *b)
{
	buf_putc(b, '{');
}

/* "field":[ -- after a comma unless it is the first field. */
static void
act_key(struct buf *b, const char *field)
{
	if (b->len > 1)
		buf_putc(b, ',');
	buf_json_str(b, field, strlen(field));
	buf_add(b, ":[", 2);
}

void
act_text(struct buf *b, const char *field, const char *old, size_t old_n,
    const char *new, size_t new_n)
{
	act_key(b, field);
	if (old != NULL)
		buf_json_str(b, old, old_n);
	else
		buf_add(b, "null", 4);
	buf_putc(b, ',');
	if (new != NULL)
		buf_json_str(b, new, new_n);
	else
		buf_add(b, "null", 4);
	buf_putc(b, ']');
}

void
act_id(struct buf *b, const char *field, int64_t old, int64_t new)
{
	act_key(b, field);
	if (old > 0)
		buf_int(b, old);
	else
		buf_add(b, "null", 4);
	buf_putc(b, ',');
	if (new > 0)
		buf_int(b, new);
	else
		buf_add(b, "null", 4);
	buf_putc(b, ']');
}

/* A time as a JSON value. */
static void
act_time_value(struct buf *b, int64_t t)
{
	char	 s[RFC3339_LEN];

	if (t == TIME_NULL) {
		buf_add(b, "null", 4);
		return;
	}
	rfc3339_format(t, s);
	buf_putc(b, '"');
	buf_puts(b, s);
	buf_putc(b, '"');
}

void
act_time(struct buf *b, const char *field, int64_t old, int64_t new)
{
	act_key(b, field);
	act_time_value(b, old);
	buf_putc(b, ',');
	act_time_value(b, new);
	buf_putc(b, ']');
}

void
act_end(struct buf *b)
{
	buf_putc(b, '}');
}

/* Records the changes object in b (freed here) unless it could not be built. */
static enum dbrc
record_buf(struct db *db, int64_t id, int64_t actor, const char *action,
    struct buf *b, int64_t now)
{
	enum dbrc rc;

	act_end(b);
	rc = b->oom ? DB_ERROR : activity_record(db, id, actor, action, b->p, now);
	buf_free(b);
	return rc;
}

/* "field": [old, new] of two status names. */
static void
act_status(struct buf *b, int from, int to)
{
	act_text(b, "status", task_status_names[from], strlen(task_status_names[from]),
	    task_status_names[to], strlen(task_status_names[to]));
}

enum dbrc
activity_created(struct db *db, int64_t id, int64_t actor, const struct task_input *in,
    const char *desc, size_t dlen, int64_t assignee, int status, int64_t now)
{
	struct buf b = { 0 };

	act_begin(&b);
	act_text(&b, "name", NULL, 0, in->name, strlen(in->name));
	if (dlen > 0)
		act_text(&b, "description", NULL, 0, desc, dlen);
	if (assignee > 0)
		act_id(&b, "assigned_to", 0, assignee);
	if ((in->set & TF_DEADLINE) && in->complete_before != TIME_NULL)
		act_time(&b, "complete_before", TIME_NULL, in->complete_before);
	act_text(&b, "status", NULL, 0, task_status_names[status],
	    strlen(task_status_names[status]));
	return record_buf(db, id, actor, "created", &b, now);
}

enum dbrc
activity_updated(struct db *db, int64_t id, int64_t actor, const char *action,
    unsigned mask, const struct task_input *old, const char *od, size_t odlen,
    const struct task_input *w, size_t dlen, int64_t now)
{
	struct buf b = { 0 };

	if (mask == 0)
		return DB_OK;
	act_begin(&b);
	if (mask & TF_NAME)
		act_text(&b, "name", old->name, strlen(old->name), w->name, strlen(w->name));
	if (mask & TF_DESCRIPTION)
		act_text(&b, "description", od, odlen, w->description, dlen);
	if (mask & TF_ASSIGNED_TO)
		act_id(&b, "assigned_to", old->assigned_to, w->assigned_to);
	if (mask & TF_DEADLINE)
		act_time(&b, "complete_before", old->complete_before, w->complete_before);
	if (mask & TF_STATUS)
		act_status(&b, old->status, w->status);
	return record_buf(db, id, actor, action, &b, now);
}

enum dbrc
activity_status(struct db *db, int64_t id, int64_t actor, const char *action,
    int from, int to, int64_t now)
{
	struct buf b = { 0 };

	act_begin(&b);
	act_status(&b, from, to);
	return record_buf(db, id, actor, action, &b, now);
}

enum dbrc
activity_count(struct db *db, int64_t task_id, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM task_activity WHERE task_id = ?1";

	return db_count1(db, sql, task_id, "activity count", n);
}

enum dbrc
activity_page(struct db *db, int64_t task_id, int64_t limit, int64_t offset,
    void (*fn)(void *, const struct activity *), void *ctx)
{
	static const char sql[] =
	    "SELECT a.id, a.at, a.actor_id, u.username, a.action, a.changes"
	    " FROM task_activity a LEFT JOIN users u ON u.id = a.actor_id"
	    " WHERE a.task_id = ?1 ORDER BY a.id DESC LIMIT ?2 OFFSET ?3";
	struct dbstmt *st;
	struct activity v;
	int	 rc;

	if ((st = db_page1(db, sql, task_id, limit, offset)) == NULL)
		return DB_ERROR;
	while ((rc = db_step(st)) == DB_ROW) {
		v.id = db_col_i64(st, 0);
		v.at = db_col_i64(st, 1);
		v.actor_id = db_col_i64(st, 2);
		v.actor_username = db_col_isnull(st, 3) ? NULL :
		    db_col_text(st, 3);
		v.action = db_col_text(st, 4);
		v.changes = db_col_text(st, 5);
		fn(ctx, &v);
	}
	return db_rc(db, db_done(st, rc), "activity page");
}
