/* tasks: tasks, the status machine, locking, pages and the overdue sweep. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"
#include "notices.h"
#include "task_search.h"
#include "tasks.h"
#include "timeutil.h"
#include "tx.h"
#include "users.h"
#include "utf8.h"

const char *const task_status_names[] = {
	"Pending", "In Progress", "Completed", "Overdue", NULL
};

const char *const task_order_names[] = {
	"-created_at", "created_at", "complete_before", "-complete_before",
	"updated_at", "-updated_at", NULL
};

/* The kinds of SQL texts built at run time (query_stmt keys); the low 24
 * bits of a key say which variant of its kind. */
#define SQLK_UPDATE	(1u << 24)
#define SQLK_COUNT	(2u << 24)
#define SQLK_MARKS	(3u << 24)
#define SQLK_PAGE	(4u << 24)
#define KEY_BYTES	(NAME_MAX_CHARS * 12)
#define SWEEP_BATCH	256

/* The stored status text as enum task_status. */
static int
status_of(const char *s)
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

void
task_query_init(struct task_query *q, enum task_scope scope, int64_t scope_id)
{
	memset(q, 0, sizeof(*q));
	q->scope = scope;
	q->scope_id = scope_id;
	q->status = -1;
	q->due_before = TIME_NULL;
	q->due_after = TIME_NULL;
	q->order = TO_CREATED_DESC;
}

#define TASK_COLUMNS \
	"SELECT t.id, t.list_id, l.owner_id, t.name, t.description, l.name," \
	" t.assigned_to, u.username, t.complete_before, t.status, t.created_at," \
	" t.updated_at FROM tasks t JOIN lists l ON l.id = t.list_id" \
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
	t->status = status_of(db_col_text(st, 9));
	t->created_at = sqlite3_column_int64(st, 10);
	t->updated_at = sqlite3_column_int64(st, 11);
}

enum dbrc
tasks_get_visible(struct db *db, const struct actor *who, int64_t id,
    struct arena *a, struct task *t)
{
	static const char sql[] = TASK_COLUMNS
	    " WHERE t.id = ?1 AND (?2 OR l.owner_id = ?3 OR t.assigned_to = ?3)";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, who->sees_all != 0);
	sqlite3_bind_int64(st, 3, who->id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st, rc);
		return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "task get");
	}
	task_from_row(st, t);
	t->name = arena_strdup(a, t->name);
	t->description = arena_strdup(a, t->description);
	t->list_name = arena_strdup(a, t->list_name);
	if (t->assignee_name != NULL && (t->assignee_name = arena_strdup(a,
	    t->assignee_name)) == NULL)
		t->name = NULL;
	db_done(st, rc);
	return t->name && t->description && t->list_name ? DB_OK : DB_ERROR;
}

/* What a write needs to know of the current row. */
struct head {
	int64_t		 owner_id;
	int64_t		 assigned_to;
	int64_t		 complete_before;
	int64_t		 updated_at;
	int		 status;
	char		 name[NAME_BYTES];
};

/* Reads the head of a task the actor may see (inside the write transaction). */
static enum dbrc
task_head(struct db *db, const struct actor *who, int64_t id, struct head *h)
{
	static const char sql[] =
	    "SELECT l.owner_id, t.assigned_to, t.complete_before, t.updated_at,"
	    " t.status, t.name FROM tasks t JOIN lists l ON l.id = t.list_id"
	    " WHERE t.id = ?1 AND (?2 OR l.owner_id = ?3 OR t.assigned_to = ?3)";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, who->sees_all != 0);
	sqlite3_bind_int64(st, 3, who->id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st, rc);
		return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "task head");
	}
	h->owner_id = sqlite3_column_int64(st, 0);
	h->assigned_to = sqlite3_column_int64(st, 1);
	h->complete_before = sqlite3_column_type(st, 2) == SQLITE_NULL ? TIME_NULL :
	    sqlite3_column_int64(st, 2);
	h->updated_at = sqlite3_column_int64(st, 3);
	h->status = status_of(db_col_text(st, 4));
	snprintf(h->name, sizeof(h->name), "%s", db_col_text(st, 5));
	db_done(st, rc);
	return DB_OK;
}

/* task_head's answer from the whole row, read into t (strings in a). */
static enum dbrc
task_row_head(struct db *db, const struct actor *who, int64_t id, struct arena *a,
    struct task *t, struct head *h)
{
	enum dbrc rc;

	if ((rc = tasks_get_visible(db, who, id, a, t)) != DB_OK)
		return rc;
	h->owner_id = t->owner_id;
	h->assigned_to = t->assigned_to;
	h->complete_before = t->complete_before;
	h->updated_at = t->updated_at;
	h->status = t->status;
	snprintf(h->name, sizeof(h->name), "%s", t->name);
	return DB_OK;
}

/* The owner of a list the actor may add tasks to, and with a its name (in
 * a); DB_NOTFOUND otherwise. */
static enum dbrc
list_owner(struct db *db, const struct actor *who, int64_t list_id, int64_t *owner,
    struct arena *a, const char **name)
{
	static const char sql[] =
	    "SELECT owner_id, name FROM lists WHERE id = ?1 AND (?2 OR owner_id = ?3)";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int(st, 2, who->sees_all != 0);
	sqlite3_bind_int64(st, 3, who->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*owner = sqlite3_column_int64(st, 0);
		if (a != NULL && (*name = arena_strdup(a, db_col_text(st, 1))) == NULL)
			rc = SQLITE_NOMEM;
	}
	rc = db_done(st, rc);
	if (rc == SQLITE_ROW)
		return DB_OK;
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "task list");
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
	    " complete_before, status, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	struct task_input v;
	const struct task_input *in = &v;	/* given, trimmed */
	char	 key[KEY_BYTES], name[NAME_BYTES];
	int64_t	 owner = 0, assignee, now = now_us();
	int	 status, own = 0;
	const char *list_name = NULL, *assignee_name = NULL;
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
	status = task_settle((in->set & TF_STATUS) ? in->status : TS_PENDING, assignee);
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = list_owner(db, who, list_id, &owner, a, &list_name)) != DB_OK)
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
	bind_time(st, 6, (in->set & TF_DEADLINE) ? in->complete_before : TIME_NULL);
	db_bind_text(st, 7, task_status_names[status]);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "task insert");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	}
	if (rc != DB_OK)
		goto out;
	*id = sqlite3_last_insert_rowid(db->h);
	if ((rc = notices_task_event(db, *id, "created", owner, assignee, now)) == DB_OK)
		rc = notices_assignment(db, who->id, *id, in->name, 0, assignee, now);
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
		out->complete_before = (in->set & TF_DEADLINE) ? in->complete_before : TIME_NULL;
		out->status = status;
		out->created_at = now;
		out->updated_at = now;
		if (out->name == NULL || out->description == NULL)
			rc = DB_ERROR;
	}
out:
	return tx_close(db, own, rc);
}

static sqlite3_stmt *query_stmt(struct db *, unsigned key, const char *sql, int *once);
static void query_end(sqlite3_stmt *, int once);

enum dbrc
tasks_update_locked(struct db *db, const struct actor *who, int64_t id,
    int64_t expect, const struct task_input *given, enum rule *why, struct arena *a,
    struct task *out)
{
	/* the SET list names only the columns that change: every index over a
	 * named column is rewritten, so a description edit stays cheap */
	static const char *const sets[] = {
	    ", name = ?1, name_key = ?2", ", description = ?3", ", assigned_to = ?4",
	    ", complete_before = ?5", ", status = ?6",
	};
	char	 sql[384];
	unsigned mask = 0, i;
	int	 once;
	sqlite3_stmt *st;
	struct head h;
	struct task_input v;
	const struct task_input *in = &v;	/* given, trimmed */
	char	 key[KEY_BYTES], nbuf[NAME_BYTES];
	const char *name, *action, *assignee_name = NULL;
	int64_t	 assignee, deadline, stamp, now = now_us();
	int	 status, own = 0;
	size_t	 dlen;
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
	    task_head(db, who, id, &h)) != DB_OK)
		goto out;
	if (h.updated_at != expect) {
		rc = DB_CONFLICT;
		goto out;
	}
	name = (in->set & TF_NAME) ? in->name : h.name;
	assignee = (in->set & TF_ASSIGNED_TO) ? in->assigned_to : h.assigned_to;
	deadline = (in->set & TF_DEADLINE) ? in->complete_before : h.complete_before;
	status = task_settle((in->set & TF_STATUS) ? in->status : h.status, assignee);
	if (assignee > 0 && assignee != h.assigned_to &&
	    (rc = assignee_check(db, assignee, a, &assignee_name)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = RULE_BAD_ASSIGNEE;
		goto out;
	}
	if ((in->set & TF_NAME) && strcmp(in->name, h.name) != 0)
		mask |= 1;
	if (in->set & TF_DESCRIPTION)
		mask |= 2;
	if (assignee != h.assigned_to)
		mask |= 4;
	if (deadline != h.complete_before)
		mask |= 8;
	if (status != h.status)
		mask |= 16;
	/* later than the row's last change, even when the clock is not */
	stamp = now > expect ? now : expect + 1;
	strcpy(sql, "UPDATE tasks SET updated_at = ?7");
	for (i = 0; i < 5; i++)
		if (mask & (1u << i))
			strcat(sql, sets[i]);
	strcat(sql, " WHERE id = ?8 AND updated_at = ?9");
	if ((st = query_stmt(db, SQLK_UPDATE | mask, sql, &once)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_text(st, 1, (in->set & TF_NAME) ? in->name : NULL);
	db_bind_text(st, 2, (in->set & TF_NAME) ? key : NULL);
	if (in->set & TF_DESCRIPTION)
		sqlite3_bind_text(st, 3, in->description, (int)dlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	bind_id(st, 4, assignee);
	bind_time(st, 5, deadline);
	db_bind_text(st, 6, task_status_names[status]);
	sqlite3_bind_int64(st, 7, stamp);
	sqlite3_bind_int64(st, 8, id);
	sqlite3_bind_int64(st, 9, expect);
	rc = sqlite3_step(st);
	query_end(st, once);
	rc = db_rc(db, rc, "task update");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	} else if (rc == DB_OK && sqlite3_changes(db->h) != 1)
		rc = DB_CONFLICT;
	if (rc != DB_OK)
		goto out;
	action = status == TS_COMPLETED && h.status != TS_COMPLETED ? "completed" : "updated";
	rc = notices_task_event(db, id, action, h.owner_id, assignee, now);
	/* the previous assignee hears of the change too */
	if (rc == DB_OK && h.assigned_to > 0 && h.assigned_to != assignee &&
	    h.assigned_to != h.owner_id)
		rc = notices_task_event(db, id, action, h.assigned_to, 0, now);
	if (rc == DB_OK)
		rc = notices_assignment(db, who->id, id, name, h.assigned_to, assignee, now);
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
	}
out:
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
	if ((rc = task_head(db, who, id, &h)) != DB_OK)
		goto out;
	if (!who->sees_all && h.owner_id != who->id) {
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
tasks_complete(struct db *db, const struct actor *who, int64_t id, enum rule *why)
{
	struct head h;
	int64_t	 now = now_us();
	int	 own = 0;
	enum dbrc rc;

	*why = RULE_OK;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_head(db, who, id, &h)) != DB_OK)
		goto out;
	if (h.status != TS_IN_PROGRESS) {
		*why = RULE_NOT_COMPLETABLE;
		rc = DB_INVALID;
		goto out;
	}
	if ((rc = task_set_status(db, id, TS_COMPLETED, now)) == DB_OK)
		rc = notices_task_event(db, id, "completed", h.owner_id, h.assigned_to, now);
out:
	return tx_close(db, own, rc);
}

struct due {
	int64_t		 id;
	int64_t		 owner_id;
	int64_t		 assigned_to;
	char		 name[NAME_BYTES];
};

/* One transaction of the sweep: up to SWEEP_BATCH tasks; *n of them marked. */
static enum dbrc
sweep_batch(struct db *db, int64_t now, struct due *d, size_t *n)
{
	static const char sql[] =
	    "SELECT t.id, l.owner_id, t.assigned_to, t.name FROM tasks t"
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
		if (drc == DB_OK)
			drc = notices_overdue(db, d[i].id, d[i].name, d[i].assigned_to, t);
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

/* ---- pages ------------------------------------------------------------ */

#define F_STATUS	0x01
#define F_ASSIGNED	0x02
#define F_LIST		0x04
#define F_BEFORE	0x08
#define F_AFTER		0x10
#define F_SEARCH	0x20
#define F_FTS		0x40	/* the search's candidates come from the trigram index */
#define F_DUE_WALK	0x80	/* many tasks pass the deadline filters: walk the order's index (due_walk) */

/* The filter bits q uses. */
static unsigned
query_filters(const struct task_query *q)
{
	unsigned f = 0;

	if (q->status >= 0)
		f |= F_STATUS;
	if (q->assigned_to > 0)
		f |= F_ASSIGNED;
	if (q->list_id > 0)
		f |= F_LIST;
	if (q->due_before != TIME_NULL)
		f |= F_BEFORE;
	if (q->due_after != TIME_NULL)
		f |= F_AFTER;
	if (q->search != NULL)
		f |= F_SEARCH;
	return f;
}

/*
 * The SQL texts of pages are built from the scope, the filters and the
 * order, and interned here so each distinct text keeps one address for the
 * statement cache (db_prep).  Past SQL_INTERNED texts, a text is prepared
 * for one use.
 */
#define SQL_INTERNED 96

static struct {
	unsigned	 key;
	char		*sql;
} interned[SQL_INTERNED];

/*
 * The interned copy of sql under key, or NULL when the table is full.  The
 * key finds it fast; the text must match too, so two texts that were given
 * one key by mistake are never confused.
 */
static const char *
sql_intern(unsigned key, const char *sql)
{
	size_t	 i;

	for (i = 0; i < SQL_INTERNED && interned[i].sql != NULL; i++)
		if (interned[i].key == key &&
		    (interned[i].sql == sql || strcmp(interned[i].sql, sql) == 0))
			return interned[i].sql;
	if (i == SQL_INTERNED || (interned[i].sql = strdup(sql)) == NULL)
		return NULL;
	interned[i].key = key;
	return interned[i].sql;
}

/*
 * The text interned under key, or NULL: a key names its text (its kind and
 * every choice the text is built from are in it), so a hot path looks here
 * before building a text again.
 */
static const char *
sql_known(unsigned key)
{
	size_t	 i;

	for (i = 0; i < SQL_INTERNED && interned[i].sql != NULL; i++)
		if (interned[i].key == key)
			return interned[i].sql;
	return NULL;
}

/* Appends the WHERE clause of q (parameters ?1 scope, ?2..?7 filters). */
static void
where_sql(char *out, size_t len, enum task_scope scope, unsigned f)
{
	static const char *const scopes[] = {
		"t.list_id = ?1", "t.assigned_to = ?1", "?1 = 0"
	};

	snprintf(out + strlen(out), len - strlen(out), " WHERE %s%s%s%s%s%s%s",
	    scopes[scope],
	    (f & F_STATUS) ? " AND t.status = ?2" : "",
	    (f & F_ASSIGNED) ? " AND t.assigned_to = ?3" : "",
	    (f & F_LIST) ? " AND t.list_id = ?4" : "",
	    (f & F_BEFORE) ? ((f & F_DUE_WALK) ? " AND +t.complete_before < ?5" :
	    " AND t.complete_before < ?5") : "",
	    (f & F_AFTER) ? ((f & F_DUE_WALK) ? " AND +t.complete_before > ?6" :
	    " AND t.complete_before > ?6") : "",
	    (f & F_SEARCH) ? " AND instr(t.name_key, ?7) > 0" : "");
}

/*
 * The tasks a page reads, as "FROM ...": the table, or with F_FTS the
 * search's candidates (task_search.h) joined to the table, the candidates
 * first (CROSS JOIN keeps that order: the planner would rather walk the
 * scope's index for the ordering and test every task).
 */
static const char *
from_sql(unsigned f)
{
	return (f & F_FTS) ? " FROM " SEARCH_CANDIDATES " CROSS JOIN tasks t ON t.id = c.id"
	    : " FROM tasks t";
}

/* Binds q's scope and filters; match: the FTS5 query of F_FTS, else NULL. */
static void
bind_query(sqlite3_stmt *st, const struct task_query *q, const char *match)
{
	sqlite3_bind_int64(st, 1, q->scope == TQ_ALL ? 0 : q->scope_id);
	if (q->status >= 0)
		db_bind_text(st, 2, task_status_names[q->status]);
	if (q->assigned_to > 0)
		sqlite3_bind_int64(st, 3, q->assigned_to);
	if (q->list_id > 0)
		sqlite3_bind_int64(st, 4, q->list_id);
	if (q->due_before != TIME_NULL)
		sqlite3_bind_int64(st, 5, q->due_before);
	if (q->due_after != TIME_NULL)
		sqlite3_bind_int64(st, 6, q->due_after);
	if (q->search != NULL)
		db_bind_text(st, 7, q->search);
	if (match != NULL)
		db_bind_text(st, 10, match);
}

/* A statement for sql under key: cached (*once = 0) or prepared for one use (*once = 1). */
static sqlite3_stmt *
query_stmt(struct db *db, unsigned key, const char *sql, int *once)
{
	const char *s = sql_intern(key, sql);
	sqlite3_stmt *st = NULL;

	if (s != NULL && (st = db_prep(db, s)) != NULL) {
		*once = 0;
		return st;
	}
	*once = 1;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("sql prepare: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	return st;
}

/* Ends a statement of query_stmt: reset for reuse, or finalized when made for one use. */
static void
query_end(sqlite3_stmt *st, int once)
{
	if (once)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
}

/* Reads one counter: sql takes ?1 and returns one integer; DB_NOTFOUND without a row. */
static enum dbrc
counter(struct db *db, const char *sql, int64_t a, int64_t *out)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, a);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	db_done(st, rc);
	if (rc == SQLITE_ROW)
		return DB_OK;
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "task counter");
}

/*
 * How many tasks q's scope holds at most, from the maintained counters
 * (TQ_ALL: INT64_MAX, not counted).
 */
static enum dbrc
scope_size(struct db *db, const struct task_query *q, int64_t *n)
{
	static const char list_sql[] = "SELECT task_count FROM lists WHERE id = ?1";
	static const char user_sql[] = "SELECT assigned_count FROM users WHERE id = ?1";
	enum dbrc rc;

	*n = INT64_MAX;
	if (q->scope == TQ_ALL)
		return DB_OK;
	rc = counter(db, q->scope == TQ_LIST ? list_sql : user_sql, q->scope_id, n);
	if (rc == DB_NOTFOUND) {
		*n = 0;
		rc = DB_OK;
	}
	return rc;
}

enum dbrc
tasks_page_count(struct db *db, const struct actor *who,
    struct task_query *q, int64_t *count)
{
	static const char list_sql[] =
	    "SELECT task_count, name, owner_id FROM lists"
	    " WHERE id = ?1 AND (?2 OR owner_id = ?3)";
	static const char user_sql[] =
	    "SELECT assigned_count FROM users WHERE id = ?1";
	char	 sql[640] = "SELECT count(*)", match[SEARCH_MATCH_BYTES];
	unsigned f = query_filters(q);
	sqlite3_stmt *st;
	enum dbrc rc = DB_OK;
	int64_t	 size = 0;
	int	 once, src, fts;

	*count = 0;
	if (q->scope == TQ_LIST) {
		if ((st = db_prep(db, list_sql)) == NULL)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, q->scope_id);
		sqlite3_bind_int(st, 2, who->sees_all != 0);
		sqlite3_bind_int64(st, 3, who->id);
		if ((src = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *name = sqlite3_column_text(st, 1);
			size_t	 len = (size_t)sqlite3_column_bytes(st, 1);

			*count = sqlite3_column_int64(st, 0);
			/* the page's list name, from the same snapshot */
			if (name != NULL && len < sizeof(q->scope_name_buf)) {
				memcpy(q->scope_name_buf, name, len + 1);
				q->scope_name = q->scope_name_buf;
				q->scope_owner = sqlite3_column_int64(st, 2);
			}
		}
		db_done(st, src);
		if (src != SQLITE_ROW)
			return src == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, src, "task count");
		size = *count;
	} else if (q->scope == TQ_ASSIGNEE && f == 0) {
		rc = counter(db, user_sql, q->scope_id, count);
		return rc == DB_NOTFOUND ? DB_OK : rc;
	}
	if (f == 0 && q->scope != TQ_ALL)
		return DB_OK;
	/* the same plan as the page's rows (tasks_page_rows) */
	if (q->search != NULL) {
		if (q->scope != TQ_LIST && (rc = scope_size(db, q, &size)) != DB_OK)
			return rc;
		if ((rc = task_search_plan(db, q->search, size, match, &fts)) != DB_OK)
			return rc;
		if (fts)
			f |= F_FTS;
	}
	strcat(sql, from_sql(f));
	where_sql(sql, sizeof(sql), q->scope, f);
	if ((st = query_stmt(db, SQLK_COUNT | (unsigned)q->scope << 8 | f, sql, &once)) == NULL)
		return DB_ERROR;
	bind_query(st, q, (f & F_FTS) ? match : NULL);
	if ((src = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		rc = db_rc(db, src, "task count");
	query_end(st, once);
	return rc;
}

/* ---- page marks --------------------------------------------------------- */

/*
 * Deep pages without stepping over every row before them.  For the pages
 * of a list or an assignee without filters, ordered by creation (either
 * way), a process keeps marks: the sort key (created_at, id) of every
 * MARK_EVERY-th row.  A page at offset 5000 then seeks just past the mark
 * of row 4991 and steps over the 8 rows left, instead of 5000.
 *
 * The marks of a scope hold for one version of it.  The triggers that keep
 * the scope's counters (sql/008) bump lists.version and
 * users.assigned_version in the same transaction as every insert, delete
 * or move of the scope's tasks, a change of created_at bumps them too, and
 * a new list or user starts at a random version: every snapshot that shows
 * the version the marks were made at has the same rows in the same order.
 */
#define MARK_EVERY	64
#define MARK_SETS	8	/* scopes remembered per process */
#define MARKS_MAX	16384	/* marks per scope: offsets up to about 1M */

struct mark {
	int64_t		 key;	/* created_at */
	int64_t		 id;
};

static struct markset {
	int		 used;
	unsigned	 kind;	/* scope << 4 | order */
	int64_t		 scope_id;
	int64_t		 version;
	uint64_t	 tick;	/* last use, for replacing the oldest */
	int		 n, cap;
	struct mark	*m;	/* m[i]: the row at position (i + 1) * MARK_EVERY - 1 */
} marksets[MARK_SETS];
static uint64_t mark_tick;

/* The set of marks for kind and scope_id, emptied unless made at version. */
static struct markset *
markset_get(unsigned kind, int64_t scope_id, int64_t version)
{
	struct markset *s, *old = &marksets[0];
	int	 i;

	for (i = 0; i < MARK_SETS; i++) {
		s = &marksets[i];
		if (s->used && s->kind == kind && s->scope_id == scope_id)
			goto found;
		if (!s->used || (old->used && s->tick < old->tick))
			old = s;
	}
	s = old;
	s->used = 1;
	s->kind = kind;
	s->scope_id = scope_id;
	s->n = 0;
	s->version = version;
found:
	if (s->version != version) {
		s->n = 0;
		s->version = version;
	}
	s->tick = ++mark_tick;
	return s;
}

/* The ordering's comparison of a row after mark ?11, ?12. */
static const char *
mark_after_sql(enum task_order order)
{
	return order == TO_CREATED_DESC ? " AND (t.created_at, t.id) < (?11, ?12)" :
	    " AND (t.created_at, t.id) > (?11, ?12)";
}

/*
 * Adds marks to s up to want (or the end of the rows): one walk of the
 * index from the last mark, keeping every MARK_EVERY-th key.
 */
static void
marks_extend(struct db *db, const struct task_query *q, struct markset *s, int want)
{
	static const char *const orders[] = {
		" ORDER BY t.created_at DESC, t.id DESC", " ORDER BY t.created_at, t.id",
	};
	char	 sql[512] = "SELECT t.created_at, t.id FROM tasks t";
	sqlite3_stmt *st;
	int64_t	 seen = 0;
	int	 once, rc;

	if (want > MARKS_MAX)
		want = MARKS_MAX;
	if (s->cap < want) {
		int	 ncap = s->cap ? s->cap : 16;
		struct mark *nm;

		while (ncap < want)
			ncap *= 2;
		if ((nm = realloc(s->m, (size_t)ncap * sizeof(*nm))) == NULL)
			return;
		s->m = nm;
		s->cap = ncap;
	}
	where_sql(sql, sizeof(sql), q->scope, 0);
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s%s LIMIT ?8",
	    s->n > 0 ? mark_after_sql(q->order) : "", orders[q->order == TO_CREATED]);
	if ((st = query_stmt(db, SQLK_MARKS | (s->n > 0) << 15 | (unsigned)q->order << 12 |
	    (unsigned)q->scope << 8, sql, &once)) == NULL)
		return;
	sqlite3_bind_int64(st, 1, q->scope_id);
	sqlite3_bind_int64(st, 8, (int64_t)(want - s->n) * MARK_EVERY);
	if (s->n > 0) {
		sqlite3_bind_int64(st, 11, s->m[s->n - 1].key);
		sqlite3_bind_int64(st, 12, s->m[s->n - 1].id);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (++seen % MARK_EVERY == 0) {
			s->m[s->n].key = sqlite3_column_int64(st, 0);
			s->m[s->n].id = sqlite3_column_int64(st, 1);
			s->n++;
		}
	query_end(st, once);
}

/*
 * For a page of q at offset that marks can serve: 1 with the mark to seek
 * past in *m and the offset left from there in *rest; 0 to walk from the
 * start.  Runs inside the caller's snapshot.
 */
static int
page_mark(struct db *db, const struct task_query *q, int64_t offset,
    struct mark *m, int64_t *rest)
{
	static const char list_sql[] = "SELECT version FROM lists WHERE id = ?1";
	static const char user_sql[] = "SELECT assigned_version FROM users WHERE id = ?1";
	struct markset *s;
	int64_t	 version, want;
	int	 i;

	if (offset < MARK_EVERY || query_filters(q) != 0 ||
	    (q->scope != TQ_LIST && q->scope != TQ_ASSIGNEE) ||
	    (q->order != TO_CREATED_DESC && q->order != TO_CREATED))
		return 0;
	if (counter(db, q->scope == TQ_LIST ? list_sql : user_sql, q->scope_id,
	    &version) != DB_OK)
		return 0;
	s = markset_get((unsigned)q->scope << 4 | (unsigned)q->order, q->scope_id, version);
	want = offset / MARK_EVERY;
	if (s->n < want && s->n < MARKS_MAX)
		marks_extend(db, q, s, (int)(want < MARKS_MAX ? want : MARKS_MAX));
	if (s->n == 0)
		return 0;
	i = (int)(want < s->n ? want : s->n) - 1;
	*m = s->m[i];
	*rest = offset - (int64_t)(i + 1) * MARK_EVERY;
	return 1;
}

/*
 * The list and user names of a page, read once per page rather than joined
 * into every row: a page's tasks share a few lists and assignees.
 */
#define NAMES_CACHED	8

struct names {
	int		 n;
	sqlite3_stmt	*st;	/* the lookup, fetched from the cache once a page */
	struct {
		int64_t	 id;
		int64_t	 owner;	/* lists: the owner */
		char	*name;
	} e[NAMES_CACHED];
};

static void
names_free(struct names *c)
{
	int	 i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].name);
	c->n = 0;
}

/*
 * The name of row id (a list, or a user when owner is NULL), looked up in c
 * or else read with sql (?1 the id; the name, then the owner for a list).
 * NULL when the row is missing or on an error (*rc says which).
 */
static const char *
names_get(struct db *db, struct names *c, const char *sql, int64_t id,
    int64_t *owner, int *rc)
{
	sqlite3_stmt *st;
	const char *name;
	int	 i, slot;

	for (i = 0; i < c->n; i++)
		if (c->e[i].id == id) {
			if (owner != NULL)
				*owner = c->e[i].owner;
			return c->e[i].name;
		}
	/* reset after each lookup (db_done), and ?1 is bound again */
	if ((st = c->st) == NULL && (st = c->st = db_prep(db, sql)) == NULL) {
		*rc = SQLITE_ERROR;
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((*rc = sqlite3_step(st)) != SQLITE_ROW) {
		*rc = *rc == SQLITE_DONE ? SQLITE_CORRUPT : *rc;
		db_done(st, *rc);
		return NULL;
	}
	/* past NAMES_CACHED names, the last slot is reused */
	if (c->n < NAMES_CACHED)
		slot = c->n++;
	else {
		slot = NAMES_CACHED - 1;
		free(c->e[slot].name);
	}
	c->e[slot].id = id;
	c->e[slot].owner = owner != NULL ? sqlite3_column_int64(st, 1) : 0;
	name = db_col_text(st, 0);
	c->e[slot].name = strdup(name);
	db_done(st, *rc);
	if (c->e[slot].name == NULL) {
		c->n = slot;
		*rc = SQLITE_NOMEM;
		return NULL;
	}
	if (owner != NULL)
		*owner = c->e[slot].owner;
	return c->e[slot].name;
}

/*
 * Deadline filters with an order other than the deadline's: SQLite takes
 * the deadline index's range and sorts every task in it -- right when few
 * tasks pass, slow when a million do.  Walking the order's index instead
 * and testing each task finds a page after about (offset + limit) *
 * scope / passing tasks; 1 when that is the cheaper plan.  The passing
 * tasks are the page's count (q->matches, from tasks_page_count); a caller
 * that did not count gets the sort.  The walk needs an index in the page's
 * order: a list's or an assignee's.
 */
#define DUE_SORT_MAX	2000	/* up to this many passing tasks, the sort is cheap anyway */

static int
due_walk(struct db *db, const struct task_query *q, unsigned f, int64_t limit,
    int64_t offset)
{
	int64_t	 n = q->matches, size;

	if (!(f & (F_BEFORE | F_AFTER)) || (f & F_FTS) || q->scope == TQ_ALL ||
	    q->order == TO_DUE || q->order == TO_DUE_DESC || n <= DUE_SORT_MAX ||
	    scope_size(db, q, &size) != DB_OK)
		return 0;
	/* (offset + limit) * size / n visited by the walk, n sorted otherwise */
	return (double)(offset + limit) * (double)size < (double)n * (double)n;
}

/* Past this many rows to skip, a page reads its ids from the index first. */
#define PAGE_DIRECT_SKIP	256
/* A page's task columns, without the names of the list and the assignee. */
#define PAGE_COLUMNS "SELECT t.id, t.list_id, t.name, t.description, t.assigned_to," \
	" t.complete_before, t.status, t.created_at, t.updated_at"

enum dbrc
tasks_page_rows(struct db *db, const struct task_query *q, int64_t limit,
    int64_t offset, task_row_fn fn, void *ctx)
{
	static const char *const orders[] = {
		" ORDER BY t.created_at DESC, t.id DESC",
		" ORDER BY t.created_at, t.id",
		" ORDER BY t.complete_before, t.id",
		" ORDER BY t.complete_before DESC, t.id DESC",
		" ORDER BY t.updated_at, t.id",
		" ORDER BY t.updated_at DESC, t.id DESC",
	};
	static const char row_sql[] = PAGE_COLUMNS " FROM tasks t WHERE t.id = ?1";
	static const char list_sql[] = "SELECT name, owner_id FROM lists WHERE id = ?1";
	static const char user_sql[] = "SELECT username FROM users WHERE id = ?1";
	char	 sql[1536], match[SEARCH_MATCH_BYTES];
	unsigned f = query_filters(q);
	struct names lists, users;
	sqlite3_stmt *ids, *row, *src;
	struct task t;
	struct mark m;
	int64_t	 size;
	enum dbrc ret;
	const char *text;
	unsigned key;
	int	 rc, rrc = SQLITE_OK, once, marked, direct, fts, own_read = 0;

	if (limit <= 0)
		return DB_OK;
	if (q->order < TO_CREATED_DESC || q->order > TO_UPDATED_DESC)
		return DB_INVALID;
	/*
	 * A page walks the index of its scope and order.  With few rows to
	 * skip, one statement reads each task's row as it goes; past
	 * PAGE_DIRECT_SKIP rows, the ids come from the index alone (a skipped
	 * row then costs no table read) and each task is read by its id after.
	 * The list's and assignee's names come from the page's few lookups
	 * rather than a join per row.  (One statement joining the ids back
	 * would sort them again and build a temporary table per page.)  The
	 * marks' version and the page are read in one snapshot: the caller's,
	 * or one opened here.
	 */
	own_read = !db->in_read && db_read_begin(db) == DB_OK && db->in_read;
	/* a rare search text takes its candidates from the trigram index */
	if (q->search != NULL) {
		if ((ret = scope_size(db, q, &size)) != DB_OK ||
		    (ret = task_search_plan(db, q->search, size, match, &fts)) != DB_OK) {
			if (own_read)
				db_read_end(db);
			return ret;
		}
		if (fts)
			f |= F_FTS;
	}
	if (due_walk(db, q, f, limit, offset))
		f |= F_DUE_WALK;
	marked = page_mark(db, q, offset, &m, &offset);
	direct = offset < PAGE_DIRECT_SKIP;
	key = SQLK_PAGE | (unsigned)direct << 18 | (unsigned)marked << 17 |
	    (unsigned)q->order << 12 | (unsigned)q->scope << 8 | f;
	if ((text = sql_known(key)) == NULL) {
		snprintf(sql, sizeof(sql), "%s%s", direct ? PAGE_COLUMNS : "SELECT t.id",
		    from_sql(f));
		where_sql(sql, sizeof(sql), q->scope, f);
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    "%s%s LIMIT ?8 OFFSET ?9", marked ? mark_after_sql(q->order) : "",
		    orders[q->order]);
		text = sql;
	}
	lists.n = users.n = 0;
	lists.st = users.st = NULL;
	row = NULL;
	if ((ids = query_stmt(db, key, text, &once)) == NULL) {
		if (own_read)
			db_read_end(db);
		return DB_ERROR;
	}
	if (!direct && (row = db_prep(db, row_sql)) == NULL) {
		rc = SQLITE_ERROR;
		goto out;
	}
	/* the scope's name when the caller read it in this snapshot */
	if (q->scope_name != NULL && (q->scope == TQ_LIST || q->scope == TQ_ASSIGNEE)) {
		struct names *c = q->scope == TQ_LIST ? &lists : &users;

		if ((c->e[0].name = strdup(q->scope_name)) != NULL) {
			c->e[0].id = q->scope_id;
			c->e[0].owner = q->scope_owner;
			c->n = 1;
		}
	}
	bind_query(ids, q, (f & F_FTS) ? match : NULL);
	sqlite3_bind_int64(ids, 8, limit);
	sqlite3_bind_int64(ids, 9, offset);
	if (marked) {
		sqlite3_bind_int64(ids, 11, m.key);
		sqlite3_bind_int64(ids, 12, m.id);
	}
	while ((rc = sqlite3_step(ids)) == SQLITE_ROW) {
		src = ids;
		if (!direct) {
			sqlite3_bind_int64(row, 1, sqlite3_column_int64(ids, 0));
			if ((rrc = sqlite3_step(row)) != SQLITE_ROW) {
				/* the id was just listed from the same snapshot */
				rc = rrc == SQLITE_DONE ? SQLITE_CORRUPT : rrc;
				break;
			}
			src = row;
		}
		t.id = sqlite3_column_int64(src, 0);
		t.list_id = sqlite3_column_int64(src, 1);
		t.name = db_col_text(src, 2);
		t.description = db_col_text(src, 3);
		t.assigned_to = sqlite3_column_int64(src, 4);
		t.complete_before = sqlite3_column_type(src, 5) == SQLITE_NULL ?
		    TIME_NULL : sqlite3_column_int64(src, 5);
		t.status = status_of(db_col_text(src, 6));
		t.created_at = sqlite3_column_int64(src, 7);
		t.updated_at = sqlite3_column_int64(src, 8);
		t.assignee_name = NULL;
		if ((t.list_name = names_get(db, &lists, list_sql, t.list_id,
		    &t.owner_id, &rc)) == NULL || (t.assigned_to > 0 &&
		    (t.assignee_name = names_get(db, &users, user_sql, t.assigned_to,
		    NULL, &rc)) == NULL))
			break;
		fn(ctx, &t);
		if (!direct)
			sqlite3_reset(row);
	}
out:
	if (row != NULL)
		sqlite3_reset(row);
	names_free(&lists);
	names_free(&users);
	query_end(ids, once);
	ret = db_rc(db, rc, "task page");
	if (own_read)
		db_read_end(db);
	return ret;
}
