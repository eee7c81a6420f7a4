/* webhook_queue: the deliveries a change queues, in the change's transaction. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "comments.h"
#include "json.h"
#include "lists.h"
#include "tasks.h"
#include "timeutil.h"
#include "webhooks.h"

const char *const hook_event_names[] = {
	"task.created", "task.updated", "task.completed", "task.deleted",
	"task.reminder", "list.created", "list.updated", "list.deleted",
	"comment.created", "ping", NULL
};

/* The most webhooks one change can reach: HOOK_MAX_PER_USER for each of its users. */
#define MATCH_MAX	(2 * HOOK_MAX_PER_USER)

static hook_task_writer task_writer;
static hook_list_writer list_writer;
static hook_comment_writer comment_writer;

void
webhooks_writers(hook_task_writer t, hook_list_writer l, hook_comment_writer c)
{
	task_writer = t;
	list_writer = l;
	comment_writer = c;
}

unsigned
hook_event_bit(const char *name)
{
	unsigned i;

	for (i = 0; hook_event_names[i] != NULL; i++)
		if ((1u << i) <= HOOK_ALL && strcmp(name, hook_event_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *
hook_event_name(unsigned bit)
{
	unsigned i;

	for (i = 0; hook_event_names[i] != NULL; i++)
		if (bit == 1u << i)
			return hook_event_names[i];
	return "?";
}

struct match {
	int64_t		 id;
	int64_t		 list_id;	/* 0: every list */
};

/*
 * Whether any webhook is active at all: the question every write asks, one
 * step of a cached statement that finds the partial index webhooks_active
 * empty (no temporary table, no other cursor).
 */
static enum dbrc
hook_any(struct db *db, int *any)
{
	static const char sql[] = "SELECT 1 FROM webhooks WHERE is_active = 1 LIMIT 1";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	*any = 0;
	if (st == NULL)
		return DB_ERROR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*any = 1;
		rc = SQLITE_DONE;
	}
	return db_rc(db, db_done(st, rc), "webhook any");
}

/*
 * The active webhooks subscribed to event whose owner, an active user, is
 * one of the scope's users (the list scope not yet applied): *n of them in
 * m.  Each user is one probe of webhooks_active (UNION ALL: no temporary
 * table for an IN list; CROSS JOIN keeps webhooks the outer loop, a user is
 * read only for a webhook found).  Shared lists will add their members here.
 */
static enum dbrc
hook_match(struct db *db, const int64_t users[2], unsigned event, struct match *m,
    int *n)
{
	static const char sql[] =
	    "SELECT w.id, w.list_id, w.events FROM webhooks w"
	    " CROSS JOIN users u ON u.id = w.owner_id"
	    " WHERE w.is_active = 1 AND w.owner_id = ?1 AND u.is_active = 1"
	    " UNION ALL SELECT w.id, w.list_id, w.events FROM webhooks w"
	    " CROSS JOIN users u ON u.id = w.owner_id"
	    " WHERE w.is_active = 1 AND w.owner_id = ?2 AND ?2 <> ?1 AND u.is_active = 1";
	sqlite3_stmt *st;
	int	 rc, any;
	enum dbrc drc;

	*n = 0;
	if ((drc = hook_any(db, &any)) != DB_OK || !any)
		return drc;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, users[0] > 0 ? users[0] : -1);
	sqlite3_bind_int64(st, 2, users[1] > 0 ? users[1] : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < MATCH_MAX) {
		if (((unsigned)sqlite3_column_int64(st, 2) & event) == 0)
			continue;
		m[*n].id = sqlite3_column_int64(st, 0);
		m[*n].list_id = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	return db_rc(db, db_done(st, rc), "webhook match");
}

/* Drops the matches scoped to another list than list_id. */
static void
match_list(struct match *m, int *n, int64_t list_id)
{
	int	 i, k = 0;

	for (i = 0; i < *n; i++)
		if (m[i].list_id == 0 || m[i].list_id == list_id)
			m[k++] = m[i];
	*n = k;
}

enum dbrc
hook_insert(struct db *db, int64_t webhook_id, const char *event,
    const char *object_key, const char *data, int64_t *id)
{
	static const char ins[] =
	    "INSERT INTO webhook_deliveries (webhook_id, event, object_key, body,"
	    " created_at, next_attempt_at) VALUES (?1, ?2, ?3, '', ?4, ?4)";
	static const char upd[] = "UPDATE webhook_deliveries SET body = ?1 WHERE id = ?2";
	struct buf b = { 0 };
	sqlite3_stmt *st;
	int64_t	 now = now_us();
	int	 first = 1;
	enum dbrc rc;

	if ((st = db_prep(db, ins)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, webhook_id);
	db_bind_text(st, 2, event);
	db_bind_text(st, 3, object_key);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = db_rc(db, db_done(st, sqlite3_step(st)), "delivery insert")) != DB_OK)
		return rc;
	*id = sqlite3_last_insert_rowid(db->h);
	/* the body names its own id: written once the row has it */
	buf_putc(&b, '{');
	jw_int(&b, "id", *id, &first);
	jw_str(&b, "event", event, &first);
	jw_time(&b, "created_at", now, &first);
	jw_key(&b, "data", &first);
	buf_puts(&b, data);
	buf_putc(&b, '}');
	if (b.oom || (st = db_prep(db, upd)) == NULL) {
		buf_free(&b);
		return DB_ERROR;
	}
	sqlite3_bind_text(st, 1, b.p, (int)b.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *id);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "delivery body");
	buf_free(&b);
	return rc;
}

/* Queues data to each of the n matches. */
static enum dbrc
queue_all(struct db *db, const struct match *m, int n, unsigned event,
    const char *object_key, const char *data)
{
	int64_t	 id;
	enum dbrc rc = DB_OK;
	int	 i;

	for (i = 0; i < n && rc == DB_OK; i++)
		rc = hook_insert(db, m[i].id, hook_event_name(event), object_key, data, &id);
	return rc;
}

enum dbrc
webhooks_wanted(struct db *db, const struct hook_scope *s, unsigned event, int *wanted)
{
	struct match m[MATCH_MAX];
	int	 n;
	enum dbrc rc;

	*wanted = 0;
	if ((rc = hook_match(db, s->users, event, m, &n)) != DB_OK)
		return rc;
	match_list(m, &n, s->list_id);
	*wanted = n > 0;
	return DB_OK;
}

enum dbrc
webhooks_queue(struct db *db, const struct hook_scope *s, unsigned event,
    const char *object_key, const char *data)
{
	struct match m[MATCH_MAX];
	int	 n;
	enum dbrc rc;

	if ((rc = hook_match(db, s->users, event, m, &n)) != DB_OK || n == 0)
		return rc;
	match_list(m, &n, s->list_id);
	return queue_all(db, m, n, event, object_key, data);
}

/* Writes {"id": id}: the data when the program registered no writer. */
static void
id_only(struct buf *b, int64_t id)
{
	int	 first = 1;

	buf_putc(b, '{');
	jw_int(b, "id", id, &first);
	buf_putc(b, '}');
}

enum dbrc
webhooks_task(struct db *db, int64_t task_id, unsigned event, int64_t owner,
    int64_t assignee, const struct task *t)
{
	static const struct actor system = { 0, 1 };
	struct match m[MATCH_MAX];
	struct arena a = { 0 };
	struct task row;
	struct buf b = { 0 };
	const int64_t users[2] = { owner, assignee };
	char	 key[32];
	int	 n;
	enum dbrc rc;

	if ((rc = hook_match(db, users, event, m, &n)) != DB_OK || n == 0)
		return rc;
	a.limit = 1024 * 1024;
	if (t == NULL && (rc = tasks_get_visible(db, &system, task_id, &a, &row)) == DB_OK)
		t = &row;
	if (rc == DB_OK) {
		match_list(m, &n, t->list_id);
		if (task_writer != NULL)
			task_writer(&b, t);
		else
			id_only(&b, task_id);
		snprintf(key, sizeof(key), "task:%lld", (long long)task_id);
		rc = b.oom ? DB_ERROR : n == 0 ? DB_OK :
		    queue_all(db, m, n, event, key, b.p);
	}
	buf_free(&b);
	arena_free(&a);
	return rc;
}

enum dbrc
webhooks_list(struct db *db, int64_t list_id, unsigned event, int64_t owner)
{
	static const struct actor system = { 0, 1 };
	struct match m[MATCH_MAX];
	struct arena a = { 0 };
	struct list l;
	struct buf b = { 0 };
	const int64_t users[2] = { owner, 0 };
	char	 key[32];
	int	 n;
	enum dbrc rc;

	if ((rc = hook_match(db, users, event, m, &n)) != DB_OK || n == 0)
		return rc;
	match_list(m, &n, list_id);
	if (n == 0)
		return DB_OK;
	a.limit = 1024 * 1024;
	if ((rc = lists_get_visible(db, &system, list_id, &a, &l)) == DB_OK) {
		if (list_writer != NULL)
			list_writer(&b, &l);
		else
			id_only(&b, list_id);
		snprintf(key, sizeof(key), "list:%lld", (long long)list_id);
		rc = b.oom ? DB_ERROR : queue_all(db, m, n, event, key, b.p);
	}
	buf_free(&b);
	arena_free(&a);
	return rc;
}

/* The list of task_id; DB_NOTFOUND when it has gone. */
static enum dbrc
task_list(struct db *db, int64_t task_id, int64_t *list_id)
{
	static const char sql[] = "SELECT list_id FROM tasks WHERE id = ?";
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, task_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*list_id = sqlite3_column_int64(st, 0);
	rc = db_done(st, rc);
	if (rc == SQLITE_ROW)
		return DB_OK;
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "webhook task list");
}

enum dbrc
webhooks_comment(struct db *db, int64_t comment_id, int64_t task_id, int64_t owner,
    int64_t assignee)
{
	static const struct actor system = { 0, 1 };
	struct match m[MATCH_MAX];
	struct arena a = { 0 };
	struct comment c;
	struct buf b = { 0 };
	const int64_t users[2] = { owner, assignee };
	int64_t	 list_id = 0;
	char	 key[32];
	int	 n;
	enum dbrc rc;

	if ((rc = hook_match(db, users, HOOK_COMMENT_CREATED, m, &n)) != DB_OK || n == 0)
		return rc;
	if ((rc = task_list(db, task_id, &list_id)) != DB_OK)
		return rc;
	match_list(m, &n, list_id);
	if (n == 0)
		return DB_OK;
	a.limit = 1024 * 1024;
	if ((rc = comments_get_visible(db, &system, comment_id, &a, &c)) == DB_OK) {
		if (comment_writer != NULL)
			comment_writer(&b, &c);
		else
			id_only(&b, comment_id);
		/* with the task's own deliveries: a comment never overtakes its task */
		snprintf(key, sizeof(key), "task:%lld", (long long)task_id);
		rc = b.oom ? DB_ERROR : queue_all(db, m, n, HOOK_COMMENT_CREATED, key, b.p);
	}
	buf_free(&b);
	arena_free(&a);
	return rc;
}
