/* tasks: tasks, the status machine and locking (the sweep: task_sweep.c). */
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
#include "task_rows.h"
#include "tasks.h"
#include "timeutil.h"
#include "tx.h"
#include "users.h"
#include "utf8.h"
#include "webhooks.h"

const char *const task_status_names[] = {
	"Pending", "In Progress", "Completed", "Overdue", NULL
};

#define KEY_BYTES	(NAME_MAX_CHARS * 12)

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

/* Binds an id that 0 means NULL. */
static void
bind_id(struct dbstmt *st, int i, int64_t v)
{
	if (v > 0)
		db_bind_i64(st, i, v);
	else
		db_bind_null(st, i);
}

/* Binds a time that TIME_NULL means NULL. */
static void
bind_time(struct dbstmt *st, int i, int64_t v)
{
	if (v != TIME_NULL)
		db_bind_i64(st, i, v);
	else
		db_bind_null(st, i);
}

/* The INSERT of a new task r (its description: dlen bytes); sets r->id. */
static enum dbrc
create_insert(struct db *db, struct task *r, const char *key, size_t dlen,
    const char *reminders)
{
	static const char sql[] =
	    "INSERT INTO tasks (list_id, name, name_key, description, assigned_to,"
	    " complete_before, status, created_at, updated_at, rec_every, rec_unit,"
	    " rec_from, rec_until, rec_anchor, reminders)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct dbstmt *st;

	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, r->list_id);
	db_bind_text(st, 2, r->name);
	db_bind_text(st, 3, key);
	db_bind_textn(st, 4, r->description, (int)dlen, DB_STATIC);
	bind_id(st, 5, r->assigned_to);
	bind_time(st, 6, r->complete_before);
	db_bind_text(st, 7, task_status_names[r->status]);
	db_bind_i64(st, 8, r->created_at);
	db_bind_i64(st, 9, r->updated_at);
	task_rec_bind(st, 10, &r->rec);
	bind_time(st, 14, r->rec.every > 0 ? rec_anchor(task_zone(db, r->owner_id,
	    r->assigned_to), r->complete_before) : TIME_NULL);
	db_bind_text(st, 15, reminders);
	return db_insert_id(db, st, "task insert", &r->id);
}

/*
 * What a new task r leaves besides its row, in its transaction: notices,
 * members' events, the history's first entry, reminders (in: the input,
 * dlen: the description's length).
 */
static enum dbrc
create_records(struct db *db, const struct actor *who, const struct task *r,
    const struct task_input *in, size_t dlen, const struct event_hook *hk)
{
	enum dbrc rc;

	rc = notices_task_event_hook(db, r->id, "created", r->owner_id, r->assigned_to,
	    r->created_at, hk);
	if (rc == DB_OK && r->member_count > 0)
		rc = members_task_event(db, r->id, r->list_id, "created", r->assigned_to,
		    0, r->created_at);
	if (rc == DB_OK)
		rc = notices_assignment(db, who->id, r->id, r->name, 0, r->assigned_to,
		    r->created_at);
	if (rc == DB_OK)
		rc = activity_created(db, r->id, who->id, in, r->description, dlen,
		    r->assigned_to, r->status, r->created_at);
	/* without a deadline there is nothing to schedule */
	if (rc == DB_OK && r->complete_before != TIME_NULL)
		rc = reminders_sync(db, r->id);
	return rc;
}

/* The answer of a create: the row r as inserted, its strings copied into a. */
static enum dbrc
create_answer(struct task *out, const struct task *r, size_t dlen, struct arena *a)
{
	*out = *r;
	out->name = arena_strdup(a, r->name);
	out->description = arena_strndup(a, r->description, dlen);
	if (r->reminders != NULL)
		out->reminders = arena_strdup(a, r->reminders);
	if (out->name == NULL || out->description == NULL ||
	    (r->reminders != NULL && out->reminders == NULL))
		return DB_ERROR;
	return DB_OK;
}

enum dbrc
tasks_create(struct db *db, const struct actor *who, int64_t list_id,
    const struct task_input *given, int64_t *id, enum rule *why, struct arena *a,
    struct task *out)
{
	struct task_input v;
	const struct task_input *in = &v;	/* given, trimmed */
	struct task r = { 0 };			/* the row written */
	struct event_hook hk = { 0 };
	char	 key[KEY_BYTES], name[NAME_BYTES];
	int	 own = 0;
	size_t	 dlen;
	enum dbrc rc;

	if (out == NULL)
		a = NULL;
	*why = task_input_check(given, &v, name, &dlen);
	if (*why == RULE_OK && (!(in->set & TF_NAME) ||
	    users_fold(in->name, key, sizeof(key)) < 0))
		*why = RULE_BAD_VALUE;
	if (*why != RULE_OK)
		return DB_INVALID;
	r.list_id = list_id;
	r.name = in->name;
	r.description = (in->set & TF_DESCRIPTION) ? in->description : "";
	r.assigned_to = (in->set & TF_ASSIGNED_TO) ? in->assigned_to : 0;
	r.complete_before = (in->set & TF_DEADLINE) ? in->complete_before : TIME_NULL;
	r.rec = (in->set & TF_RECURRENCE) ? in->rec :
	    (struct recurrence){ 0, 0, 0, TIME_NULL };
	if (r.rec.every > 0 && r.complete_before == TIME_NULL) {
		*why = RULE_NEEDS_DEADLINE;
		return DB_INVALID;
	}
	r.status = task_settle((in->set & TF_STATUS) ? in->status : TS_PENDING,
	    r.assigned_to);
	r.created_at = r.updated_at = now_us();
	r.access = TA_EDIT;
	r.reminders = (in->set & TF_REMINDERS) ? in->reminders : NULL;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_list_owner(db, who, list_id, &r.owner_id, &r.member_count,
	    &r.hook_gen, a, &r.list_name)) != DB_OK)
		goto out;
	if (r.assigned_to > 0 && (rc = task_assignee_check(db, r.assigned_to, a,
	    &r.assignee_name)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = RULE_BAD_ASSIGNEE;
		goto out;
	}
	if ((rc = create_insert(db, &r, key, dlen, r.reminders)) == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	}
	/* with the answer, a webhook's delivery rides on the owner's event (sql/030) */
	if (rc == DB_OK && out != NULL && (rc = create_answer(out, &r, dlen, a)) == DB_OK)
		rc = webhooks_task_carry(db, r.id, HOOK_TASK_CREATED, r.owner_id,
		    r.assigned_to, r.hook_gen, out, &hk);
	if (rc == DB_OK)
		rc = create_records(db, who, &r, in, dlen, &hk);
	if (rc == DB_OK && out == NULL)
		rc = webhooks_task(db, r.id, HOOK_TASK_CREATED, r.owner_id, r.assigned_to,
		    r.hook_gen, NULL);
	*id = r.id;
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
	const char *known;
	struct dbstmt *st;
	unsigned i;
	int	 once = 0, src;
	enum dbrc rc;

	/* the text made for this mask before: not built again, and its
	 * bindings not cleared (every parameter it names is bound below) */
	if ((known = sql_known(&db->texts, SQLK_UPDATE | mask)) != NULL)
		st = db_prep_bound(db, known);
	else {
		strcpy(sql, "UPDATE tasks SET updated_at = ?7");
		for (i = 0; i < 7; i++)
			if (mask & (1u << i))
				strcat(sql, sets[i]);
		strcat(sql, " WHERE id = ?8 AND updated_at = ?9");
		st = sql_stmt(db, SQLK_UPDATE | mask, sql, &once);
	}
	if (st == NULL)
		return DB_ERROR;
	/* only the parameters this mask's text names */
	if (mask & TF_NAME) {
		db_bind_text(st, 1, w->name);
		db_bind_text(st, 2, key);
	}
	if (mask & TF_DESCRIPTION)
		db_bind_textn(st, 3, w->description, (int)dlen, DB_STATIC);
	if (mask & TF_ASSIGNED_TO)
		bind_id(st, 4, w->assigned_to);
	if (mask & TF_DEADLINE)
		bind_time(st, 5, w->complete_before);
	if (mask & TF_STATUS)
		db_bind_text(st, 6, task_status_names[w->status]);
	db_bind_i64(st, 7, stamp);
	db_bind_i64(st, 8, id);
	db_bind_i64(st, 9, expect);
	if (mask & TF_RECURRENCE) {
		task_rec_bind(st, 10, &w->rec);
		bind_time(st, 14, anchor);
	}
	if (mask & TF_REMINDERS)
		db_bind_text(st, 15, (w->set & TF_REMINDERS) ? w->reminders : NULL);
	src = db_step(st);
	sql_stmt_end(st, once);
	rc = db_rc(db, src, "task update");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	} else if (rc == DB_OK && db_changes(db) != 1)
		rc = DB_CONFLICT;
	return rc;
}

/* A locked write's plan, from the head h and the input. */
struct plan {
	struct task_head h;		/* the row before */
	struct task_input w;		/* the row as written */
	struct task_input old;		/* the changed fields' old values */
	unsigned	 mask;		/* TF_* bits; bit i: update_write's sets[i] */
	int64_t		 anchor;	/* the rule's anchor as written */
	int64_t		 now, stamp;	/* the clock; the new updated_at */
	int64_t		 next;		/* a recurring task's next deadline */
	const char	*action;	/* "updated" or "completed" */
	const char	*assignee_name;	/* a new assignee's (with an arena) */
	const char	*od;		/* the old description (odlen bytes) */
	size_t		 odlen, dlen;
};

/*
 * Plans the write of in over p->h (p->od: the old description): the row
 * as written, the mask of the columns that change, the rule's anchor;
 * DB_INVALID with *why when a rule refuses.
 */
static enum dbrc
update_plan(struct db *db, const struct task_input *in, int64_t expect, struct plan *p,
    struct arena *a, enum rule *why)
{
	const struct task_head *h = &p->h;
	struct task_input *w = &p->w;
	enum dbrc rc;

	*w = *in;
	w->assigned_to = (in->set & TF_ASSIGNED_TO) ? in->assigned_to : h->assigned_to;
	w->complete_before = (in->set & TF_DEADLINE) ? in->complete_before :
	    h->complete_before;
	w->rec = (in->set & TF_RECURRENCE) ? in->rec : h->rec;
	w->status = task_settle((in->set & TF_STATUS) ? in->status : h->status,
	    w->assigned_to);
	if (w->rec.every > 0 && w->complete_before == TIME_NULL) {
		*why = RULE_NEEDS_DEADLINE;
		return DB_INVALID;
	}
	if (w->assigned_to > 0 && w->assigned_to != h->assigned_to &&
	    (rc = task_assignee_check(db, w->assigned_to, a, &p->assignee_name)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = RULE_BAD_ASSIGNEE;
		return rc;
	}
	if ((in->set & TF_NAME) && strcmp(in->name, h->name) != 0)
		p->mask |= TF_NAME;
	if ((in->set & TF_DESCRIPTION) && (p->od == NULL || p->odlen != p->dlen ||
	    memcmp(p->od, in->description, p->dlen) != 0))
		p->mask |= TF_DESCRIPTION;
	if (w->assigned_to != h->assigned_to)
		p->mask |= TF_ASSIGNED_TO;
	if (w->complete_before != h->complete_before)
		p->mask |= TF_DEADLINE;
	if (w->status != h->status)
		p->mask |= TF_STATUS;
	/* a new rule, deadline or recipient: the rule counts from here */
	p->anchor = h->anchor;
	if (!rec_same(&w->rec, &h->rec) ||
	    (w->rec.every > 0 && (p->mask & (TF_ASSIGNED_TO | TF_DEADLINE)))) {
		p->mask |= TF_RECURRENCE;
		p->anchor = w->rec.every > 0 ? rec_anchor(task_zone(db, h->owner_id,
		    w->assigned_to), w->complete_before) : TIME_NULL;
	}
	if (in->set & TF_REMINDERS)
		p->mask |= TF_REMINDERS;
	/* later than the row's last change, even when the clock is not */
	p->stamp = p->now > expect ? p->now : expect + 1;
	p->old.name = h->name;
	p->old.assigned_to = h->assigned_to;
	p->old.complete_before = h->complete_before;
	p->old.status = h->status;
	p->action = w->status == TS_COMPLETED && h->status != TS_COMPLETED ?
	    "completed" : "updated";
	return DB_OK;
}

/*
 * What an UPDATE leaves besides the row, in its transaction: a completion
 * (a recurring task moves on: p->next), notices, members' events, the
 * history, reminders scheduled afresh.
 */
static enum dbrc
update_records(struct db *db, const struct actor *who, int64_t id, struct plan *p,
    const struct event_hook *hk)
{
	const struct task_head *h = &p->h;
	struct task_input *w = &p->w;
	int64_t	 now = p->now;
	enum dbrc rc = DB_OK;

	/* set to Completed: a completion (a recurring task moves on) */
	if (*p->action == 'c' && (rc = task_completion(db, id, who->id, h->owner_id,
	    w->assigned_to, w->complete_before, &w->rec, p->anchor, now, p->stamp,
	    &p->next)) != DB_OK)
		return rc;
	rc = notices_task_event_hook(db, id, p->action, h->owner_id, w->assigned_to, now,
	    hk);
	/* the previous assignee hears of the change too */
	if (rc == DB_OK && h->assigned_to > 0 && h->assigned_to != w->assigned_to &&
	    h->assigned_to != h->owner_id)
		rc = notices_task_event(db, id, p->action, h->assigned_to, 0, now);
	if (rc == DB_OK && h->member_count > 0)
		rc = members_task_event(db, id, h->list_id, p->action, w->assigned_to,
		    h->assigned_to, now);
	if (rc == DB_OK)
		rc = notices_assignment(db, who->id, id, (w->set & TF_NAME) ? w->name :
		    h->name, h->assigned_to, w->assigned_to, now);
	if (rc == DB_OK)
		rc = activity_updated(db, id, who->id, p->action, p->mask, &p->old, p->od,
		    p->odlen, w, p->dlen, now);
	/* then the move of a recurring task, as its own change */
	if (rc == DB_OK && p->next != TIME_NULL) {
		rc = task_moved(db, id, who->id, h->owner_id, w->assigned_to,
		    w->complete_before, p->next, now);
		w->complete_before = p->next;
		w->status = w->assigned_to > 0 ? TS_IN_PROGRESS : TS_PENDING;
	}
	/* a new recipient, deadline (a recurring task's move too), status or
	 * reminders: schedule afresh */
	if (rc == DB_OK && ((p->mask & (TF_ASSIGNED_TO | TF_DEADLINE | TF_STATUS |
	    TF_REMINDERS)) || p->next != TIME_NULL))
		rc = reminders_sync(db, id);
	return rc;
}

/* The answer of an update: out, the row read before, as the UPDATE left it. */
static enum dbrc
update_answer(struct task *out, const struct plan *p, struct arena *a)
{
	const struct task_input *w = &p->w;
	enum dbrc rc = DB_OK;

	if ((p->mask & 1) && (out->name = arena_strdup(a, w->name)) == NULL)
		rc = DB_ERROR;
	if ((p->mask & 2) &&
	    (out->description = arena_strndup(a, w->description, p->dlen)) == NULL)
		rc = DB_ERROR;
	if (p->mask & 4) {
		out->assigned_to = w->assigned_to;
		out->assignee_name = w->assigned_to > 0 ? p->assignee_name : NULL;
	}
	out->complete_before = w->complete_before;
	out->status = w->status;
	out->updated_at = p->stamp;
	out->rec = w->rec;
	if ((p->mask & 64) && (out->reminders = w->reminders == NULL ? NULL :
	    arena_strdup(a, w->reminders)) == NULL && w->reminders != NULL)
		rc = DB_ERROR;
	return rc;
}

enum dbrc
tasks_update_locked(struct db *db, const struct actor *who, int64_t id,
    int64_t expect, const struct task_input *given, enum rule *why, struct arena *a,
    struct task *out)
{
	struct plan p = { .next = TIME_NULL };
	struct task_input v;
	const struct task_input *in = &v;	/* given, trimmed */
	char	 key[KEY_BYTES], nbuf[NAME_BYTES];
	struct buf odesc = { 0 };
	struct event_hook hk = { 0 };
	unsigned ev;
	int	 own = 0, carry;
	enum dbrc rc;

	if (out == NULL)
		a = NULL;
	*why = task_input_check(given, &v, nbuf, &p.dlen);
	if (*why == RULE_OK && (in->set & TF_NAME) &&
	    users_fold(in->name, key, sizeof(key)) < 0)
		*why = RULE_BAD_VALUE;
	if (*why != RULE_OK)
		return DB_INVALID;
	p.now = now_us();
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	/* with out, the whole row: the answer is that row with the changes */
	if ((rc = out != NULL ? task_head_row(db, who, id, a, out, &p.h) :
	    task_head_read(db, who, id, &p.h, (in->set & TF_DESCRIPTION) ? &odesc :
	    NULL)) != DB_OK)
		goto out;
	if (p.h.access < TA_WORK) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	/* the old description, which the history records when it changes */
	if (out != NULL) {
		p.od = out->description;
		p.odlen = strlen(p.od);
	} else if (odesc.p != NULL) {
		p.od = odesc.p;
		p.odlen = odesc.len - 1;
	}
	if (p.h.updated_at != expect) {
		rc = DB_CONFLICT;
		goto out;
	}
	if ((rc = update_plan(db, in, expect, &p, a, why)) != DB_OK)
		goto out;
	rc = update_write(db, id, expect, p.stamp, p.mask, &p.w, p.anchor, key, p.dlen, why);
	/*
	 * The webhooks of those who see the task now: not a previous
	 * assignee's.  With the answer known before the records (not a
	 * recurring task's move), a delivery rides on the owner's event.
	 */
	ev = *p.action == 'c' ? HOOK_TASK_COMPLETED : HOOK_TASK_UPDATED;
	carry = out != NULL && !(*p.action == 'c' && p.w.rec.every > 0);
	if (rc == DB_OK && carry && (rc = update_answer(out, &p, a)) == DB_OK)
		rc = webhooks_task_carry(db, id, ev, p.h.owner_id, p.w.assigned_to,
		    p.h.hook_gen, out, &hk);
	if (rc == DB_OK)
		rc = update_records(db, who, id, &p, &hk);
	if (rc == DB_OK && !carry && out != NULL)
		rc = update_answer(out, &p, a);
	if (rc == DB_OK && !carry)
		rc = webhooks_task(db, id, ev, p.h.owner_id, p.w.assigned_to, p.h.hook_gen,
		    out);
out:
	buf_free(&odesc);
	return tx_close(db, own, rc);
}

enum dbrc
tasks_delete(struct db *db, const struct actor *who, int64_t id)
{
	static const char sql[] = "DELETE FROM tasks WHERE id = ?";
	struct dbstmt *st;
	struct task_head h;
	int	 own = 0;
	enum dbrc rc;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_head_read(db, who, id, &h, NULL)) != DB_OK)
		goto out;
	if (h.access < TA_EDIT) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	/* the task as it was, to those who saw it */
	if ((rc = webhooks_task(db, id, HOOK_TASK_DELETED, h.owner_id, h.assigned_to,
	    h.hook_gen, NULL)) != DB_OK)
		goto out;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, id);
	rc = db_rc(db, db_done(st, db_step(st)), "task delete");
	if (rc == DB_OK)
		rc = notices_task_event(db, id, "deleted", h.owner_id, h.assigned_to,
		    now_us());
	if (rc == DB_OK && h.member_count > 0)
		rc = members_task_event(db, id, h.list_id, "deleted", h.assigned_to, 0,
		    now_us());
out:
	return tx_close(db, own, rc);
}

enum dbrc
tasks_complete(struct db *db, const struct actor *who, int64_t id, enum rule *why,
    struct task_done *done)
{
	struct task_head h;
	int64_t	 next = TIME_NULL, now = now_us();
	int	 own = 0;
	enum dbrc rc;

	*why = RULE_OK;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_head_read(db, who, id, &h, NULL)) != DB_OK)
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
	/* the task as completing left it (a recurring one: at its next deadline) */
	if (rc == DB_OK)
		rc = webhooks_task(db, id, HOOK_TASK_COMPLETED, h.owner_id, h.assigned_to,
		    h.hook_gen, NULL);
out:
	return tx_close(db, own, rc);
}

