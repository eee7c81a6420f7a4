/* task_rows: the reads a task write starts with (see task_rows.h). */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "get1.h"
#include "members.h"
#include "task_recur.h"
#include "task_rows.h"
#include "tasks.h"
#include "timeutil.h"

enum dbrc
task_assignee_check(struct db *db, int64_t id, struct arena *a, const char **name)
{
	static const char sql[] = "SELECT username FROM users WHERE id = ? AND is_active = 1";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW && a != NULL &&
	    (*name = arena_strdup(a, db_col_text(st, 0))) == NULL)
		rc = DB_RC_NOMEM;
	rc = db_done(st, rc);
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_INVALID : db_rc(db, rc, "assignee check");
}

#define TASK_COLUMNS \
	"SELECT t.id, t.list_id, l.owner_id, t.name, t.description, l.name," \
	" t.assigned_to, u.username, t.complete_before, t.status, t.created_at," \
	" t.updated_at, t.rec_every, t.rec_unit, t.rec_from, t.rec_until, t.rec_anchor," \
	" l.member_count, " LIST_ROLE_SQL("l", "?2", "?3") ", t.reminders, l.hook_gen" \
	" FROM tasks t JOIN lists l ON l.id = t.list_id" \
	" LEFT JOIN users u ON u.id = t.assigned_to"

/* Fills t from a TASK_COLUMNS row; strings point into the statement. */
static void
task_from_row(struct dbstmt *st, struct task *t)
{
	t->id = db_col_i64(st, 0);
	t->list_id = db_col_i64(st, 1);
	t->owner_id = db_col_i64(st, 2);
	t->name = db_col_text(st, 3);
	t->description = db_col_text(st, 4);
	t->list_name = db_col_text(st, 5);
	t->assigned_to = db_col_i64(st, 6);
	t->assignee_name = db_col_isnull(st, 7) ? NULL :
	    db_col_text(st, 7);
	t->complete_before = db_col_isnull(st, 8) ? TIME_NULL :
	    db_col_i64(st, 8);
	t->status = task_status_of(db_col_text(st, 9));
	t->created_at = db_col_i64(st, 10);
	t->updated_at = db_col_i64(st, 11);
	task_rec_read(st, 12, &t->rec);
	t->rec_anchor = db_col_isnull(st, 16) ? TIME_NULL :
	    db_col_i64(st, 16);
	t->member_count = db_col_i64(st, 17);
	t->reminders = db_col_str(st, 19);
	t->hook_gen = db_col_i64(st, 20);
}

enum dbrc
tasks_get_visible(struct db *db, const struct actor *who, int64_t id,
    struct arena *a, struct task *t)
{
	static const char sql[] = TASK_COLUMNS " WHERE t.id = ?1";
	struct dbstmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, id, who, "task get", &st)) != DB_OK)
		return rc;
	task_from_row(st, t);
	t->access = task_access_for((enum list_role)db_col_int(st, 18),
	    t->assigned_to == who->id);
	if (t->access == TA_NONE) {
		db_done(st, DB_ROW);
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
	db_done(st, DB_ROW);
	return t->name && t->description && t->list_name ? DB_OK : DB_ERROR;
}

/* Copies the name s into h (a name fits: the rules bound its length). */
static void
head_name(struct task_head *h, const char *s)
{
	size_t	 n = strlen(s);

	if (n >= sizeof(h->name))
		n = sizeof(h->name) - 1;
	memcpy(h->name, s, n);
	h->name[n] = '\0';
}

#define HEAD_COLUMNS \
	"SELECT l.owner_id, t.assigned_to, t.complete_before, t.updated_at," \
	" t.status, t.name, t.rec_every, t.rec_unit, t.rec_from, t.rec_until," \
	" t.rec_anchor, t.list_id, l.member_count, " LIST_ROLE_SQL("l", "?2", "?3") \
	", l.hook_gen"
#define HEAD_WHERE \
	" FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ?1"

enum dbrc
task_head_read(struct db *db, const struct actor *who, int64_t id, struct task_head *h,
    struct buf *desc)
{
	static const char sql[] = HEAD_COLUMNS HEAD_WHERE;
	static const char sql_desc[] = HEAD_COLUMNS ", t.description" HEAD_WHERE;
	struct dbstmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, desc != NULL ? sql_desc : sql, id, who, "task head",
	    &st)) != DB_OK)
		return rc;
	h->list_id = db_col_i64(st, 11);
	h->member_count = db_col_i64(st, 12);
	h->hook_gen = db_col_i64(st, 14);
	if (desc != NULL) {
		buf_add(desc, db_col_blob(st, 15),
		    (size_t)db_col_bytes(st, 15));
		buf_putc(desc, '\0');
		if (desc->oom)
			rc = DB_ERROR;
	}
	h->owner_id = db_col_i64(st, 0);
	h->assigned_to = db_col_i64(st, 1);
	h->complete_before = db_col_isnull(st, 2) ? TIME_NULL :
	    db_col_i64(st, 2);
	h->updated_at = db_col_i64(st, 3);
	h->status = task_status_of(db_col_text(st, 4));
	head_name(h, db_col_text(st, 5));
	task_rec_read(st, 6, &h->rec);
	h->anchor = db_col_isnull(st, 10) ? TIME_NULL :
	    db_col_i64(st, 10);
	h->access = task_access_for((enum list_role)db_col_int(st, 13),
	    h->assigned_to == who->id);
	db_done(st, DB_ROW);
	if (rc == DB_OK && h->access == TA_NONE)
		rc = DB_NOTFOUND;
	return rc;
}

/* task_head_read's answer from the whole row (strings in a). */
enum dbrc
task_head_row(struct db *db, const struct actor *who, int64_t id, struct arena *a,
    struct task *t, struct task_head *h)
{
	enum dbrc rc;

	if ((rc = tasks_get_visible(db, who, id, a, t)) != DB_OK)
		return rc;
	h->list_id = t->list_id;
	h->member_count = t->member_count;
	h->hook_gen = t->hook_gen;
	h->access = t->access;
	h->owner_id = t->owner_id;
	h->assigned_to = t->assigned_to;
	h->complete_before = t->complete_before;
	h->updated_at = t->updated_at;
	h->status = t->status;
	h->rec = t->rec;
	h->anchor = t->rec_anchor;
	head_name(h, t->name);
	return DB_OK;
}

enum dbrc
task_list_owner(struct db *db, const struct actor *who, int64_t list_id, int64_t *owner,
    int64_t *members, int64_t *hook_gen, struct arena *a, const char **name)
{
	static const char sql[] =
	    "SELECT l.owner_id, l.name, l.member_count, " LIST_ROLE_SQL("l", "?2", "?3")
	    ", l.hook_gen FROM lists l WHERE l.id = ?1";
	struct dbstmt *st;
	enum dbrc rc;
	int	 role;

	if ((rc = db_get1(db, sql, list_id, who, "task list", &st)) != DB_OK)
		return rc;
	if ((role = db_col_int(st, 3)) < ROLE_EDITOR) {
		db_done(st, DB_ROW);
		return role == ROLE_NONE ? DB_NOTFOUND : DB_FORBIDDEN;
	}
	*owner = db_col_i64(st, 0);
	*members = db_col_i64(st, 2);
	*hook_gen = db_col_i64(st, 4);
	if (a != NULL && (*name = arena_strdup(a, db_col_text(st, 1))) == NULL)
		rc = db_rc(db, DB_RC_NOMEM, "task list");
	db_done(st, DB_ROW);
	return rc;
}


enum dbrc
task_set_status(struct db *db, int64_t id, int status, int64_t now)
{
	static const char sql[] =
	    "UPDATE tasks SET status = ?1, updated_at = CASE WHEN ?2 > updated_at + 1"
	    " THEN ?2 ELSE updated_at + 1 END WHERE id = ?3";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, task_status_names[status]);
	db_bind_i64(st, 2, now);
	db_bind_i64(st, 3, id);
	return db_rc(db, db_done(st, db_step(st)), "task status");
}

