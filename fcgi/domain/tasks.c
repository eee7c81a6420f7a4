/* tasks: tasks, the status machine, locking and the overdue sweep. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "arena.h"
#include "buf.h"
#include "get1.h"
#include "log.h"
#include "members.h"
#include "notices.h"
#include "reminders.h"
#include "sqltext.h"
#include "task_pages.h"
#include "task_recur.h"
#include "tasks.h"
#include "timeutil.h"
#include "tx.h"
#include "users.h"
#include "utf8.h"

const char *const task_status_names[] = {
	"Pending", "In Progress", "Completed", "Overdue", NULL
};

#define KEY_BYTES	(NAME_MAX_CHARS * 12)
#define SWEEP_BATCH	256

int
task_status_of(const char *s)
{
	switch (s[0]) {
	case 'I':	return TS_IN_PROGRESS;
	case 'C':	return TS_COMPLETED;
	case 'O':	return TS_OVERDUE;
	default:	return TS_PENDING;
	}
}

/*
 * The status machine's rule for every save: a task with an assignee that
 * is Pending becomes In Progress.  Returns the status to store.
 */
static int
task_settle(int status, int64_t assigned_to)
{
	if (assigned_to > 0 && status == TS_PENDING)
		return TS_IN_PROGRESS;
	return status;
}

/* DB_OK when id is an active user, DB_INVALID when not. */
static enum dbrc
assignee_check(struct db *db, int64_t id, struct arena *a, const char **name)
{
	static const char sql[] = "SELECT username FROM users WHERE id = ? AND is_active = 1";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && a != NULL &&
	    (*name = arena_strdup(a, db_col_text(st, 0))) == NULL)
		rc = SQLITE_NOMEM;
	rc = db_done(st, rc);
	if (rc == SQLITE_ROW)
		return DB_OK;
	return rc == SQLITE_DONE ? DB_INVALID : db_rc(db, rc, "assignee check");
}

#define TASK_COLUMNS \
	"SELECT t.id, t.list_id, l.owner_id, t.name, t.description, l.name," \
	" t.assigned_to, u.username, t.complete_before, t.status, t.created_at," \
	" t.updated_at, t.rec_every, t.rec_unit, t.rec_from, t.rec_until, t.rec_anchor," \
	" l.member_count, " LIST_ROLE_SQL("l", "?2", "?3") ", t.reminders" \
	" FROM tasks t JOIN lists l ON l.id = t.list_id" \
	" LEFT JOIN users u ON u.id = t.assigned_to"

/* Fills t from a TASK_COLUMNS row; strings point into the statement. */
static void
task_from_row(sqlite3_stmt *st, struct task *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->list_id = sqlite3_column_int64(st, 1);
	t->owner_id = sqlite3_column_int64(st, 2);
	t->name = db_col_text(st, 3);
	t->description = db_col_text(st, 4);
	t->list_name = db_col_text(st, 5);
	t->assigned_to = sqlite3_column_int64(st, 6);
	t->assignee_name = sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL :
	    db_col_text(st, 7);
	t->complete_before = sqlite3_column_type(st, 8) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, 8);
	t->status = task_status_of(db_col_text(st, 9));
	t->created_at = sqlite3_column_int64(st, 10);
	t->updated_at = sqlite3_column_int64(st, 11);
	task_rec_read(st, 12, &t->rec);
	t->rec_anchor = sqlite3_column_type(st, 16) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, 16);
	t->member_count = sqlite3_column_int64(st, 17);
	t->reminders = (const char *)sqlite3_column_text(st, 19);
}

enum dbrc
tasks_get_visible(struct db *db, const struct actor *who, int64_t id,
    struct arena *a, struct task *t)
{
	static const char sql[] = TASK_COLUMNS " WHERE t.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, id, who, "task get", &st)) != DB_OK)
		return rc;
	task_from_row(st, t);
	t->access = task_access_for((enum list_role)sqlite3_column_int(st, 18),
	    t->assigned_to == who->id);
	if (t->access == TA_NONE) {
		db_done(st, SQLITE_ROW);
		return DB_NOTFOUND;
	}
	t->name = arena_strdup(a, t->name);
	t->description = arena_strdup(a, t->description);
	t->list_name = arena_strdup(a, t->list_name);
	if (t->assignee_name != NULL && (t->assignee_name = arena_strdup(a,
	    t->assignee_name)) == NULL)
		t->name = NULL;
	if (t->reminders != NULL && (t->reminders = arena_strdup(a, t->reminders)) == NULL)
		t->name = NULL;
	db_done(st, SQLITE_ROW);
	return t->name && t->description && t->list_name ? DB_OK : DB_ERROR;
}

/* What a write needs to know of the current row. */
struct head {
	int64_t		 list_id;
	int64_t		 member_count;
	int		 access;	/* enum task_access */
	int64_t		 owner_id;
	int64_t		 assigned_to;
	int64_t		 complete_before;
	int64_t		 updated_at;
	int		 status;
	struct recurrence rec;
	int64_t		 anchor;
	char		 name[NAME_BYTES];
};

#define HEAD_COLUMNS \
	"SELECT l.owner_id, t.assigned_to, t.complete_before, t.updated_at," \
	" t.status, t.name, t.rec_every, t.rec_unit, t.rec_from, t.rec_until," \
	" t.rec_anchor, t.list_id, l.member_count, " LIST_ROLE_SQL("l", "?2", "?3")
#define HEAD_WHERE \
	" FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ?1"

/*
 * Reads the head of a task the actor may see (inside the write
 * transaction); with desc, its description too (the history records it).
 */
static enum dbrc
task_head(struct db *db, const struct actor *who, int64_t id, struct head *h,
    struct buf *desc)
{
	static const char sql[] = HEAD_COLUMNS HEAD_WHERE;
	static const char sql_desc[] = HEAD_COLUMNS ", t.description" HEAD_WHERE;
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, desc != NULL ? sql_desc : sql, id, who, "task head",
	    &st)) != DB_OK)
		return rc;
	h->list_id = sqlite3_column_int64(st, 11);
	h->member_count = sqlite3_column_int64(st, 12);
	if (desc != NULL) {
		buf_add(desc, sqlite3_column_blob(st, 14),
		    (size_t)sqlite3_column_bytes(st, 14));
		buf_putc(desc, '\0');
		if (desc->oom)
			rc = DB_ERROR;
	}
	h->owner_id = sqlite3_column_int64(st, 0);
	h->assigned_to = sqlite3_column_int64(st, 1);
	h->complete_before = sqlite3_column_type(st, 2) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, 2);
	h->updated_at = sqlite3_column_int64(st, 3);
	h->status = task_status_of(db_col_text(st, 4));
	snprintf(h->name, sizeof(h->name), "%s", db_col_text(st, 5));
	task_rec_read(st, 6, &h->rec);
	h->anchor = sqlite3_column_type(st, 10) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, 10);
	h->access = task_access_for((enum list_role)sqlite3_column_int(st, 13),
	    h->assigned_to == who->id);
	db_done(st, SQLITE_ROW);
	if (rc == DB_OK && h->access == TA_NONE)
		rc = DB_NOTFOUND;
	return rc;
}

/* task_head's answer from the whole row, read into t (strings in a). */
static enum dbrc
task_row_head(struct db *db, const struct actor *who, int64_t id, struct arena *a,
    struct task *t, struct head *h)
{
	enum dbrc rc;

	if ((rc = tasks_get_visible(db, who, id, a, t)) != DB_OK)
		return rc;
	h->list_id = t->list_id;
	h->member_count = t->member_count;
	h->access = t->access;
	h->owner_id = t->owner_id;
	h->assigned_to = t->assigned_to;
	h->complete_before = t->complete_before;
	h->updated_at = t->updated_at;
	h->status = t->status;
	h->rec = t->rec;
	h->anchor = t->rec_anchor;
	snprintf(h->name, sizeof(h->name), "%s", t->name);
	return DB_OK;
}

/*
 * The owner and member count of a list the actor may add tasks to, and
 * with a its name (in a); DB_FORBIDDEN for a viewer, DB_NOTFOUND otherwise.
 */
static enum dbrc
list_owner(struct db *db, const struct actor *who, int64_t list_id, int64_t *owner,
    int64_t *members, struct arena *a, const char **name)
{
	static const char sql[] =
	    "SELECT l.owner_id, l.name, l.member_count, " LIST_ROLE_SQL("l", "?2", "?3")
	    " FROM lists l WHERE l.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;
	int	 role;

	if ((rc = db_get1(db, sql, list_id, who, "task list", &st)) != DB_OK)
		return rc;
	if ((role = sqlite3_column_int(st, 3)) < ROLE_EDITOR) {
		db_done(st, SQLITE_ROW);
		return role == ROLE_NONE ? DB_NOTFOUND : DB_FORBIDDEN;
	}
	*owner = sqlite3_column_int64(st, 0);
	*members = sqlite3_column_int64(st, 2);
	if (a != NULL && (*name = arena_strdup(a, db_col_text(st, 1))) == NULL)
		rc = db_rc(db, SQLITE_NOMEM, "task list");
	db_done(st, SQLITE_ROW);
	return rc;
}

/* Binds an id that 0 means NULL. */
static void
bind_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Binds a time that TIME_NULL means NULL. */
static void
bind_time(sqlite3_stmt *st, int i, int64_t v)
{
	if (v != TIME_NULL)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

enum dbrc
tasks_create(struct db *db, const struct actor *who, int64_t list_id,
    const struct task_input *given, int64_t *id, enum rule *why, struct arena *a,
    struct task *out)
{
	static const char sql[] =
	    "INSERT INTO tasks (list_id, name, name_key, description, assigned_to,"
	    " complete_before, status, created_at, updated_at, rec_every, rec_unit,"
	    " rec_from, rec_until, rec_anchor, reminders)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	struct task_input v;
	const struct task_input *in = &v;	/* given, trimmed */
	char	 key[KEY_BYTES], name[NAME_BYTES];
	int64_t	 owner = 0, members = 0, assignee, deadline, now = now_us();
	int	 status, own = 0;
	const char *list_name = NULL, *assignee_name = NULL;
	struct recurrence rec = { 0, 0, 0, TIME_NULL };
	const char *desc;
	size_t	 dlen;
	enum dbrc rc;

	if (out == NULL)
		a = NULL;
	*why = task_input_check(given, &v, name, &dlen);
	desc = (in->set & TF_DESCRIPTION) ? in->description : "";
	if (*why == RULE_OK && (!(in->set & TF_NAME) ||
	    users_fold(in->name, key, sizeof(key)) < 0))
		*why = RULE_BAD_VALUE;
	if (*why != RULE_OK)
		return DB_INVALID;
	assignee = (in->set & TF_ASSIGNED_TO) ? in->assigned_to : 0;
	deadline = (in->set & TF_DEADLINE) ? in->complete_before : TIME_NULL;
	if (in->set & TF_RECURRENCE)
		rec = in->rec;
	if (rec.every > 0 && deadline == TIME_NULL) {
		*why = RULE_NEEDS_DEADLINE;
		return DB_INVALID;
	}
	status = task_settle((in->set & TF_STATUS) ? in->status : TS_PENDING, assignee);
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = list_owner(db, who, list_id, &owner, &members, a, &list_name)) != DB_OK)
		goto out;
	if (assignee > 0 && (rc = assignee_check(db, assignee, a, &assignee_name)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = RULE_BAD_ASSIGNEE;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, list_id);
	db_bind_text(st, 2, in->name);
	db_bind_text(st, 3, key);
	sqlite3_bind_text(st, 4, desc, (int)dlen, SQLITE_STATIC);
	bind_id(st, 5, assignee);
	bind_time(st, 6, deadline);
	db_bind_text(st, 7, task_status_names[status]);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	task_rec_bind(st, 10, &rec);
	bind_time(st, 14, rec.every > 0 ?
	    rec_anchor(task_zone(db, owner, assignee), deadline) : TIME_NULL);
	db_bind_text(st, 15, (in->set & TF_REMINDERS) ? in->reminders : NULL);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "task insert");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	}
	if (rc != DB_OK)
		goto out;
	*id = sqlite3_last_insert_rowid(db->h);
	if ((rc = notices_task_event(db, *id, "created", owner, assignee, now)) == DB_OK &&
	    members > 0)
		rc = members_task_event(db, *id, list_id, "created", assignee, 0, now);
	if (rc == DB_OK)
		rc = notices_assignment(db, who->id, *id, in->name, 0, assignee, now);
	if (rc == DB_OK)
		rc = activity_created(db, *id, who->id, in, desc, dlen, assignee, status, now);
	/* without a deadline there is nothing to schedule */
	if (rc == DB_OK && (in->set & TF_DEADLINE) && in->complete_before != TIME_NULL)
		rc = reminders_sync(db, *id);
	if (rc == DB_OK && out != NULL) {
		/* the row as inserted above */
		out->id = *id;
		out->list_id = list_id;
		out->owner_id = owner;
		out->name = arena_strdup(a, in->name);
		out->description = arena_strndup(a, desc, dlen);
		out->list_name = list_name;
		out->assigned_to = assignee;
		out->assignee_name = assignee > 0 ? assignee_name : NULL;
		out->complete_before = deadline;
		out->status = status;
		out->created_at = now;
		out->updated_at = now;
		out->rec = rec;
		out->access = TA_EDIT;
		out->member_count = members;
		out->reminders = (in->set & TF_REMINDERS) && in->reminders != NULL ?
		    arena_strdup(a, in->reminders) : NULL;
		if (out->name == NULL || out->description == NULL)
			rc = DB_ERROR;
	}
out:
	return tx_close(db, own, rc);
}

/*
 * The UPDATE of a locked write: updated_at = stamp and the columns of mask
 * (bit i: sets[i]) from w (the name's folded key in key, the description's
 * first dlen bytes, the rule's anchor), where the row still has updated_at
 * = expect.
 * DB_CONFLICT when it changed meanwhile, DB_INVALID with *why when the
 * name is taken.
 */
static enum dbrc
update_write(struct db *db, int64_t id, int64_t expect, int64_t stamp,
    unsigned mask, const struct task_input *w, int64_t anchor, const char *key,
    size_t dlen, enum rule *why)
{
	/* the SET list names only the columns that change: every index over a
	 * named column is rewritten, so a description edit stays cheap */
	static const char *const sets[] = {
	    ", name = ?1, name_key = ?2", ", description = ?3", ", assigned_to = ?4",
	    ", complete_before = ?5", ", status = ?6",
	    (", rec_every = ?10, rec_unit = ?11, rec_from = ?12, rec_until = ?13,"
	    " rec_anchor = ?14"), ", reminders = ?15",
	};
	char	 sql[448];
	sqlite3_stmt *st;
	unsigned i;
	int	 once, src;
	enum dbrc rc;

	strcpy(sql, "UPDATE tasks SET updated_at = ?7");
	for (i = 0; i < 7; i++)
		if (mask & (1u << i))
			strcat(sql, sets[i]);
	strcat(sql, " WHERE id = ?8 AND updated_at = ?9");
	if ((st = sql_stmt(db, SQLK_UPDATE | mask, sql, &once)) == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, (w->set & TF_NAME) ? w->name : NULL);
	db_bind_text(st, 2, (w->set & TF_NAME) ? key : NULL);
	if (w->set & TF_DESCRIPTION)
		sqlite3_bind_text(st, 3, w->description, (int)dlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	bind_id(st, 4, w->assigned_to);
	bind_time(st, 5, w->complete_before);
	db_bind_text(st, 6, task_status_names[w->status]);
	sqlite3_bind_int64(st, 7, stamp);
	sqlite3_bind_int64(st, 8, id);
	sqlite3_bind_int64(st, 9, expect);
	if (mask & 32) {
		task_rec_bind(st, 10, &w->rec);
		bind_time(st, 14, anchor);
	}
	if (mask & 64)
		db_bind_text(st, 15, (w->set & TF_REMINDERS) ? w->reminders : NULL);
	src = sqlite3_step(st);
	sql_stmt_end(st, once);
	rc = db_rc(db, src, "task update");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	} else if (rc == DB_OK && sqlite3_changes(db->h) != 1)
		rc = DB_CONFLICT;
	return rc;
}

enum dbrc
tasks_update_locked(struct db *db, const struct actor *who, int64_t id,
    int64_t expect, const struct task_input *given, enum rule *why, struct arena *a,
    struct task *out)
{
	unsigned mask = 0;
	struct head h;
	struct task_input v, w, old;
	const struct task_input *in = &v;	/* given, trimmed */
	char	 key[KEY_BYTES], nbuf[NAME_BYTES];
	const char *name, *action, *assignee_name = NULL, *od = NULL;
	struct buf odesc = { 0 };
	int64_t	 assignee, deadline, stamp, anchor, next = TIME_NULL, now = now_us();
	int	 status, own = 0;
	struct recurrence rec;
	size_t	 dlen, odlen = 0;
	enum dbrc rc;

	if (out == NULL)
		a = NULL;
	*why = task_input_check(given, &v, nbuf, &dlen);
	if (*why == RULE_OK && (in->set & TF_NAME) &&
	    users_fold(in->name, key, sizeof(key)) < 0)
		*why = RULE_BAD_VALUE;
	if (*why != RULE_OK)
		return DB_INVALID;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	/* with out, the whole row: the answer is that row with the changes */
	if ((rc = out != NULL ? task_row_head(db, who, id, a, out, &h) :
	    task_head(db, who, id, &h, (in->set & TF_DESCRIPTION) ? &odesc : NULL)) != DB_OK)
		goto out;
	if (h.access < TA_WORK) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	/* the old description, which the history records when it changes */
	if (out != NULL) {
		od = out->description;
		odlen = strlen(od);
	} else if (odesc.p != NULL) {
		od = odesc.p;
		odlen = odesc.len - 1;
	}
	if (h.updated_at != expect) {
		rc = DB_CONFLICT;
		goto out;
	}
	name = (in->set & TF_NAME) ? in->name : h.name;
	assignee = (in->set & TF_ASSIGNED_TO) ? in->assigned_to : h.assigned_to;
	deadline = (in->set & TF_DEADLINE) ? in->complete_before : h.complete_before;
	rec = (in->set & TF_RECURRENCE) ? in->rec : h.rec;
	status = task_settle((in->set & TF_STATUS) ? in->status : h.status, assignee);
	if (rec.every > 0 && deadline == TIME_NULL) {
		*why = RULE_NEEDS_DEADLINE;
		rc = DB_INVALID;
		goto out;
	}
	if (assignee > 0 && assignee != h.assigned_to &&
	    (rc = assignee_check(db, assignee, a, &assignee_name)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = RULE_BAD_ASSIGNEE;
		goto out;
	}
	if ((in->set & TF_NAME) && strcmp(in->name, h.name) != 0)
		mask |= 1;
	if ((in->set & TF_DESCRIPTION) &&
	    (od == NULL || odlen != dlen || memcmp(od, in->description, dlen) != 0))
		mask |= 2;
	if (assignee != h.assigned_to)
		mask |= 4;
	if (deadline != h.complete_before)
		mask |= 8;
	if (status != h.status)
		mask |= 16;
	/* a new rule, deadline or recipient: the rule counts from here */
	anchor = h.anchor;
	if (!rec_same(&rec, &h.rec) || (rec.every > 0 && (mask & (4 | 8)))) {
		mask |= 32;
		anchor = rec.every > 0 ? rec_anchor(task_zone(db, h.owner_id, assignee),
		    deadline) : TIME_NULL;
	}
	if (in->set & TF_REMINDERS)
		mask |= 64;
	/* later than the row's last change, even when the clock is not */
	stamp = now > expect ? now : expect + 1;
	w = *in;
	old.name = h.name;
	old.assigned_to = h.assigned_to;
	old.complete_before = h.complete_before;
	old.status = h.status;
	w.assigned_to = assignee;
	w.complete_before = deadline;
	w.status = status;
	w.rec = rec;
	rc = update_write(db, id, expect, stamp, mask, &w, anchor, key, dlen, why);
	if (rc != DB_OK)
		goto out;
	action = status == TS_COMPLETED && h.status != TS_COMPLETED ? "completed" : "updated";
	/* set to Completed: a completion (a recurring task moves on) */
	if (*action == 'c' && (rc = task_completion(db, id, who->id, h.owner_id, assignee,
	    deadline, &rec, anchor, now, stamp, &next)) != DB_OK)
		goto out;
	rc = notices_task_event(db, id, action, h.owner_id, assignee, now);
	/* the previous assignee hears of the change too */
	if (rc == DB_OK && h.assigned_to > 0 && h.assigned_to != assignee &&
	    h.assigned_to != h.owner_id)
		rc = notices_task_event(db, id, action, h.assigned_to, 0, now);
	if (rc == DB_OK && h.member_count > 0)
		rc = members_task_event(db, id, h.list_id, action, assignee,
		    h.assigned_to, now);
	if (rc == DB_OK)
		rc = notices_assignment(db, who->id, id, name, h.assigned_to, assignee, now);
	if (rc == DB_OK)
		rc = activity_updated(db, id, who->id, action, mask, &old, od, odlen, &w,
		    dlen, now);
	/* then the move of a recurring task, as its own change */
	if (rc == DB_OK && next != TIME_NULL) {
		rc = task_moved(db, id, who->id, h.owner_id, assignee, deadline, next, now);
		deadline = next;
		status = assignee > 0 ? TS_IN_PROGRESS : TS_PENDING;
	}
	/* a new recipient, deadline (a recurring task's move too), status or
	 * reminders: schedule afresh */
	if (rc == DB_OK && ((mask & (4 | 8 | 16 | 64)) || next != TIME_NULL))
		rc = reminders_sync(db, id);
	if (rc == DB_OK && out != NULL) {
		/* the row read above, as the UPDATE left it */
		if ((mask & 1) && (out->name = arena_strdup(a, in->name)) == NULL)
			rc = DB_ERROR;
		if ((mask & 2) &&
		    (out->description = arena_strndup(a, in->description, dlen)) == NULL)
			rc = DB_ERROR;
		if (mask & 4) {
			out->assigned_to = assignee;
			out->assignee_name = assignee > 0 ? assignee_name : NULL;
		}
		out->complete_before = deadline;
		out->status = status;
		out->updated_at = stamp;
		out->rec = rec;
		if ((mask & 64) && (out->reminders = in->reminders == NULL ? NULL :
		    arena_strdup(a, in->reminders)) == NULL && in->reminders != NULL)
			rc = DB_ERROR;
	}
out:
	buf_free(&odesc);
	return tx_close(db, own, rc);
}

enum dbrc
tasks_delete(struct db *db, const struct actor *who, int64_t id)
{
	static const char sql[] = "DELETE FROM tasks WHERE id = ?";
	sqlite3_stmt *st;
	struct head h;
	int	 own = 0;
	enum dbrc rc;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_head(db, who, id, &h, NULL)) != DB_OK)
		goto out;
	if (h.access < TA_EDIT) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "task delete");
	if (rc == DB_OK)
		rc = notices_task_event(db, id, "deleted", h.owner_id, h.assigned_to,
		    now_us());
	if (rc == DB_OK && h.member_count > 0)
		rc = members_task_event(db, id, h.list_id, "deleted", h.assigned_to, 0,
		    now_us());
out:
	return tx_close(db, own, rc);
}

/* Sets a task's status and moves updated_at on; the task must exist. */
static enum dbrc
task_set_status(struct db *db, int64_t id, int status, int64_t now)
{
	static const char sql[] =
	    "UPDATE tasks SET status = ?1, updated_at = max(?2, updated_at + 1) WHERE id = ?3";
	sqlite3_stmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, task_status_names[status]);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	return db_rc(db, db_done(st, sqlite3_step(st)), "task status");
}

enum dbrc
tasks_complete(struct db *db, const struct actor *who, int64_t id, enum rule *why,
    struct task_done *done)
{
	struct head h;
	int64_t	 next = TIME_NULL, now = now_us();
	int	 own = 0;
	enum dbrc rc;

	*why = RULE_OK;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_head(db, who, id, &h, NULL)) != DB_OK)
		goto out;
	if (h.access < TA_WORK) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	if (h.status != TS_IN_PROGRESS) {
		*why = RULE_NOT_COMPLETABLE;
		rc = DB_INVALID;
		goto out;
	}
	rc = task_completion(db, id, who->id, h.owner_id, h.assigned_to, h.complete_before,
	    &h.rec, h.anchor, now, now > h.updated_at ? now : h.updated_at + 1, &next);
	if (rc == DB_OK && next == TIME_NULL)
		rc = task_set_status(db, id, TS_COMPLETED, now);
	if (rc == DB_OK)
		rc = notices_task_event(db, id, "completed", h.owner_id, h.assigned_to, now);
	if (rc == DB_OK && h.member_count > 0)
		rc = members_task_event(db, id, h.list_id, "completed", h.assigned_to,
		    0, now);
	if (rc == DB_OK)
		rc = activity_status(db, id, who->id, "completed", h.status, TS_COMPLETED,
		    now);
	/* a recurring task moved to its next deadline: changed, too */
	if (rc == DB_OK && next != TIME_NULL)
		rc = task_moved(db, id, who->id, h.owner_id, h.assigned_to, h.complete_before,
		    next, now);
	if (rc == DB_OK)
		rc = reminders_sync(db, id);
	if (rc == DB_OK && done != NULL) {
		done->recurring = h.rec.every > 0;
		done->next = next;
	}
out:
	return tx_close(db, own, rc);
}

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
