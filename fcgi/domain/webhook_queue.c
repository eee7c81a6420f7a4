/* webhook_queue: the deliveries a change queues, in the change's transaction. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "comments.h"
#include "json.h"
#include "lists.h"
#include "notices.h"
#include "tasks.h"
#include "timeutil.h"
#include "webhooks.h"

const char *const hook_event_names[] = {
	"task.created", "task.updated", "task.completed", "task.deleted",
	"task.reminder", "list.created", "list.updated", "list.deleted",
	"comment.created", "ping", NULL
};

/* The most webhooks one change reaches (owner, assignee, members: the first ones). */
#define MATCH_MAX	256

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
	int64_t		 owner_id;
	int64_t		 list_id;	/* 0: every list */
};

/*
 * The active webhooks of active users, as this process last read them
 * (every change writes ask about): valid while webhook_gen's number is gen
 * (sql/021_webhook_inbox.sql), on the connection h, and for a list whose
 * hook_gen is at most seq (sql/027_list_hook_gen.sql).  More than CACHE_MAX
 * of them: over, and hook_match_any asks the database each time.
 */
#define CACHE_MAX	512

struct cached {
	int64_t		 id;
	int64_t		 owner_id;
	int64_t		 list_id;	/* 0: every list */
	unsigned	 events;
};

static struct {
	sqlite3		*h;		/* NULL: nothing read yet */
	int		 valid;		/* read on the connection h (PostgreSQL's: h NULL) */
	int64_t		 gen;
	int64_t		 seq;
	int		 n;
	int		 over;
	struct cached	 w[CACHE_MAX];
} cache;

/* webhook_gen's number and seq: 0 when no webhook was ever made. */
static enum dbrc
hook_gen(struct db *db, int64_t *gen, int64_t *seq)
{
	static const char sql[] = "SELECT n, seq FROM webhook_gen WHERE id = 1";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*gen = *seq = 0;
	if (st == NULL)
		return DB_ERROR;
	if ((rc = db_step(st)) == DB_ROW) {
		*gen = db_col_i64(st, 0);
		*seq = db_col_i64(st, 1);
		rc = DB_DONE;
	}
	return db_rc(db, db_done(st, rc), "webhook gen");
}

/*
 * The JSON of the task the last webhooks_task wrote for its deliveries
 * (id 0: none), for the answer of the same change (webhooks_task_json).
 */
static struct {
	int64_t		 id;
	int64_t		 updated_at;
	struct buf	 b;
} task_json;

/*
 * A rollback forgets the cache: it may have been read inside the rolled
 * back transaction, at a seq another change may then give out again.  The
 * task's JSON goes too: a change rolled back answers nothing.
 */
static void
cache_drop(void *unused)
{
	(void)unused;
	cache.h = NULL;
	cache.valid = 0;
	task_json.id = 0;
}

/* Reads the active webhooks of active users into the cache, stamped gen and seq. */
static enum dbrc
cache_load(struct db *db, int64_t gen, int64_t seq)
{
	static const char sql[] =
	    "SELECT w.id, w.owner_id, coalesce(w.list_id, 0), w.events FROM webhooks w"
	    " CROSS JOIN users u WHERE u.id = w.owner_id"
	    " AND w.is_active = 1 AND u.is_active = 1 LIMIT ?1";
	struct dbstmt *st = db_prep(db, sql);
	struct cached *c;
	int	 rc;

	cache.h = NULL;
	cache.valid = 0;
	cache.n = 0;
	cache.over = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_int(st, 1, CACHE_MAX + 1);
	while ((rc = db_step(st)) == DB_ROW) {
		if (cache.n == CACHE_MAX) {
			cache.over = 1;
			break;
		}
		c = &cache.w[cache.n++];
		c->id = db_col_i64(st, 0);
		c->owner_id = db_col_i64(st, 1);
		c->list_id = db_col_i64(st, 2);
		c->events = (unsigned)db_col_i64(st, 3);
	}
	if (rc == DB_ROW)
		rc = DB_DONE;
	if (db_done(st, rc) != DB_DONE)
		return db_rc(db, rc, "webhook cache");
	if (cache.h != db->h)
		db_rollback_hook(db, cache_drop, NULL);
	cache.h = db->h;
	cache.valid = 1;
	cache.gen = gen;
	cache.seq = seq;
	return DB_OK;
}

/*
 * Whether any webhook is active at all: the question every write asks.
 * list_gen, the hook_gen of the list written to (HOOK_GEN_UNKNOWN: not
 * read), answers it from the cache while it is at most the cache's seq;
 * otherwise one step of a cached statement on webhook_gen's one row, the
 * rest from the cache (read again when the number moved).
 */
static enum dbrc
hook_any(struct db *db, int64_t list_gen, int *any)
{
	int64_t	 gen, seq;
	enum dbrc rc;

	if (cache.valid && cache.h == db->h && list_gen != HOOK_GEN_UNKNOWN &&
	    list_gen <= cache.seq) {
		*any = cache.n > 0 || cache.over;
		return DB_OK;
	}
	*any = 0;
	if ((rc = hook_gen(db, &gen, &seq)) != DB_OK)
		return rc;
	if ((!cache.valid || cache.h != db->h || cache.gen != gen ||
	    cache.seq != seq) &&
	    (rc = cache_load(db, gen, seq)) != DB_OK)
		return rc;
	*any = cache.n > 0 || cache.over;
	return DB_OK;
}

/*
 * The active webhooks, of active users, subscribed to event and scoped to
 * every list or to list_id, whose owner may see the object: users[] (0:
 * none) or a member of list_id.  Who really sees it, and how, is the read
 * as that owner (below).  Each user is a probe of webhooks_active (UNION
 * ALL: no temporary table for an IN list).  What match_cached asks when more
 * webhooks are active than the cache holds.
 */
static enum dbrc
hook_match_any(struct db *db, const int64_t users[2], int64_t list_id, unsigned event,
    struct match *m, int *n)
{
	static const char sql[] =
	    "SELECT w.id, w.owner_id, w.list_id, w.events FROM webhooks w"
	    " CROSS JOIN users u"
	    " WHERE u.id = w.owner_id AND w.is_active = 1 AND w.owner_id = ?1"
	    " AND u.is_active = 1"
	    " UNION ALL SELECT w.id, w.owner_id, w.list_id, w.events FROM webhooks w"
	    " CROSS JOIN users u"
	    " WHERE u.id = w.owner_id AND w.is_active = 1 AND w.owner_id = ?2 AND ?2 <> ?1"
	    " AND u.is_active = 1"
	    " UNION ALL SELECT w.id, w.owner_id, w.list_id, w.events FROM list_members m"
	    " CROSS JOIN webhooks w CROSS JOIN users u"
	    " WHERE w.owner_id = m.user_id AND u.id = w.owner_id"
	    " AND m.list_id = ?3 AND m.user_id <> ?1 AND m.user_id <> ?2"
	    " AND w.is_active = 1 AND u.is_active = 1";
	struct dbstmt *st;
	int64_t	 scope;
	int	 rc;

	*n = 0;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, users[0] > 0 ? users[0] : -1);
	db_bind_i64(st, 2, users[1] > 0 ? users[1] : -1);
	db_bind_i64(st, 3, list_id);
	while ((rc = db_step(st)) == DB_ROW && *n < MATCH_MAX) {
		scope = db_col_i64(st, 2);
		if (((unsigned)db_col_i64(st, 3) & event) == 0 ||
		    (scope != 0 && scope != list_id))
			continue;
		m[*n].id = db_col_i64(st, 0);
		m[*n].owner_id = db_col_i64(st, 1);
		m[*n].list_id = scope;
		(*n)++;
	}
	if (rc == DB_ROW)
		rc = DB_DONE;
	return db_rc(db, db_done(st, rc), "webhook match");
}

/* Adds the cached webhooks of owner that event and list_id reach to m. */
static void
match_owner(int64_t owner, int64_t list_id, unsigned event, struct match *m, int *n)
{
	int	 i;

	for (i = 0; i < cache.n && *n < MATCH_MAX; i++)
		if (cache.w[i].owner_id == owner && (cache.w[i].events & event) != 0 &&
		    (cache.w[i].list_id == 0 || cache.w[i].list_id == list_id)) {
			m[*n].id = cache.w[i].id;
			m[*n].owner_id = owner;
			m[*n].list_id = cache.w[i].list_id;
			(*n)++;
		}
}

/*
 * hook_match_any from the cache, which hook_any has just made current: the
 * members of list_id are read only when some webhook's owner is neither
 * users[0] nor users[1].
 */
static enum dbrc
match_cached(struct db *db, const int64_t users[2], int64_t list_id, unsigned event,
    struct match *m, int *n)
{
	static const char sql[] = "SELECT user_id FROM list_members WHERE list_id = ?1";
	struct dbstmt *st;
	int64_t	 u;
	int	 i, others = 0, rc;

	*n = 0;
	if (cache.over)
		return hook_match_any(db, users, list_id, event, m, n);
	for (i = 0; i < cache.n && !others; i++)
		if (cache.w[i].owner_id != users[0] && cache.w[i].owner_id != users[1])
			others = 1;
	if (users[0] > 0)
		match_owner(users[0], list_id, event, m, n);
	if (users[1] > 0 && users[1] != users[0])
		match_owner(users[1], list_id, event, m, n);
	if (!others || list_id <= 0)
		return DB_OK;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, list_id);
	while ((rc = db_step(st)) == DB_ROW)
		if ((u = db_col_i64(st, 0)) != users[0] && u != users[1])
			match_owner(u, list_id, event, m, n);
	return db_rc(db, db_done(st, rc), "webhook members");
}

/* match_cached after the probe: nothing to match when no webhook is active. */
static enum dbrc
hook_match(struct db *db, const int64_t users[2], int64_t list_id, unsigned event,
    struct match *m, int *n)
{
	int	 any;
	enum dbrc rc;

	*n = 0;
	if ((rc = hook_any(db, HOOK_GEN_UNKNOWN, &any)) != DB_OK || !any)
		return rc;
	return match_cached(db, users, list_id, event, m, n);
}

/* The index of an event's name in hook_event_names (the ping's when none). */
static int64_t
event_index(const char *name)
{
	int64_t	 i;

	for (i = 0; hook_event_names[i] != NULL; i++)
		if (strcmp(name, hook_event_names[i]) == 0)
			return i;
	return i - 1;
}

/* The index of one event bit (1 << i: i). */
static int64_t
bit_index(unsigned bit)
{
	int64_t	 i = 0;

	while (bit > 1) {
		bit >>= 1;
		i++;
	}
	return i;
}

enum dbrc
hook_insert(struct db *db, int64_t webhook_id, const char *event,
    const char *object_key, const char *data, int64_t *id)
{
	/* a hook-only events row: no user (sql/030_webhook_carrier.sql) */
	static const char ins[] =
	    "INSERT INTO events (user_id, type, action, created_at, hook, hook_data,"
	    " message) VALUES (NULL, 'task_updated', 'webhook', ?1, ?2, ?3, ?4)";
	struct dbstmt *st;

	if ((st = db_prep(db, ins)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now_us());
	db_bind_i64(st, 2, webhook_id * HOOK_CARRY_EVENTS + event_index(event));
	db_bind_text(st, 3, data);
	db_bind_text(st, 4, object_key);
	return db_insert_id(db, st, "delivery insert", id);
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

/* Writes "<kind>:<id>" into key (KEY_MAX bytes): a delivery's object_key. */
#define KEY_MAX	(8 + INT64_DEC_MAX)

static void
object_key(char *key, const char *kind, int64_t id)
{
	size_t	 n = strlen(kind);

	memcpy(key, kind, n);
	key[n++] = ':';
	*int64_dec(key + n, id) = '\0';
}

/* The list of task_id; DB_NOTFOUND when it has gone. */
static enum dbrc
task_list(struct db *db, int64_t task_id, int64_t *list_id)
{
	static const char sql[] = "SELECT list_id FROM tasks WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, task_id);
	if ((rc = db_step(st)) == DB_ROW)
		*list_id = db_col_i64(st, 0);
	rc = db_done(st, rc);
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "webhook task list");
}

/* The owner of task_id's list and its assignee (0: none). */
static enum dbrc
task_people(struct db *db, int64_t task_id, int64_t *owner, int64_t *assignee)
{
	static const char sql[] = "SELECT l.owner_id, coalesce(t.assigned_to, 0)"
	    " FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, task_id);
	if ((rc = db_step(st)) == DB_ROW) {
		*owner = db_col_i64(st, 0);
		*assignee = db_col_i64(st, 1);
	}
	rc = db_done(st, rc);
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "webhook task people");
}

/* What an object is, for reading and writing it as a webhook's owner sees it. */
enum kind { K_TASK, K_LIST, K_COMMENT };

/*
 * Writes object id of kind as owner sees it through the API into b: 1
 * written, 0 owner does not see it (nothing written), -1 failed.
 */
static int
write_as(struct db *db, enum kind kind, int64_t id, int64_t owner, struct buf *b)
{
	const struct actor who = { owner, 0 };
	struct arena a = { 0 };
	struct task t;
	struct list l;
	struct comment c;
	enum dbrc rc;

	a.limit = 1024 * 1024;
	buf_reset(b);
	if (kind == K_TASK && (rc = tasks_get_visible(db, &who, id, &a, &t)) == DB_OK) {
		if (task_writer != NULL)
			task_writer(b, &t);
	} else if (kind == K_LIST &&
	    (rc = lists_get_visible(db, &who, id, &a, &l)) == DB_OK) {
		if (list_writer != NULL)
			list_writer(b, &l);
	} else if (kind == K_COMMENT &&
	    (rc = comments_get_visible(db, &who, id, &a, &c)) == DB_OK) {
		if (comment_writer != NULL)
			comment_writer(b, &c);
	}
	arena_free(&a);
	if (rc == DB_NOTFOUND)
		return 0;
	if (rc == DB_OK && b->len == 0)
		id_only(b, id);
	return rc != DB_OK || b->oom ? -1 : 1;
}

/*
 * Queues event for each match whose owner sees the object, with the object
 * as that owner sees it (their role in it included).  t, when not NULL, is
 * the task as the change left it: every match's owner sees it (the list's
 * owner, its assignee, a member of its list: hook_match) and a task's JSON
 * is the same for every reader, so it is written once, not read again.
 * With h, the first match of carrier's (the owner whose events row the
 * change writes next) goes in *h for that row to carry, not queued here.
 */
static enum dbrc
queue_as_owners(struct db *db, const struct match *m, int n, unsigned event,
    enum kind kind, int64_t id, const char *key, const struct task *t,
    int64_t carrier, struct event_hook *h)
{
	struct buf b = { 0 }, *data = &b;
	int64_t	 did;
	enum dbrc rc = DB_OK;
	int	 i, w = 1;

	/* the task as the change left it: kept for the change's own answer */
	if (t != NULL && task_writer != NULL) {
		data = &task_json.b;
		buf_reset(data);
		task_writer(data, t);
		if (data->oom || data->len == 0)
			rc = DB_ERROR;
		else {
			task_json.id = t->id;
			task_json.updated_at = t->updated_at;
		}
	}
	for (i = 0; i < n && rc == DB_OK; i++) {
		if (h != NULL && h->hook == 0 && data == &task_json.b &&
		    m[i].owner_id == carrier) {
			h->hook = m[i].id * HOOK_CARRY_EVENTS + bit_index(event);
			h->data = data->p;
			h->len = data->len;
			continue;
		}
		if ((t == NULL || task_writer == NULL) &&
		    (w = write_as(db, kind, id, m[i].owner_id, &b)) < 0)
			rc = DB_ERROR;
		else if (w > 0)
			rc = hook_insert(db, m[i].id, hook_event_name(event), key, data->p,
			    &did);
	}
	buf_free(&b);
	return rc;
}

int
webhooks_task_json(const struct task *t, const char **p, size_t *len)
{
	int	 same = task_json.id != 0 && task_json.id == t->id &&
		    task_json.updated_at == t->updated_at;

	task_json.id = 0;
	if (!same)
		return 0;
	*p = task_json.b.p;
	*len = task_json.b.len;
	return 1;
}

enum dbrc
webhooks_wanted(struct db *db, const struct hook_scope *s, unsigned event, int *wanted)
{
	struct match m[MATCH_MAX];
	int	 n;
	enum dbrc rc;

	*wanted = 0;
	if ((rc = hook_match(db, s->users, s->list_id, event, m, &n)) != DB_OK)
		return rc;
	*wanted = n > 0;
	return DB_OK;
}

enum dbrc
webhooks_queue(struct db *db, const struct hook_scope *s, unsigned event,
    const char *object_key, const char *data)
{
	struct match m[MATCH_MAX];
	int64_t	 did;
	int	 i, n;
	enum dbrc rc;

	if ((rc = hook_match(db, s->users, s->list_id, event, m, &n)) != DB_OK)
		return rc;
	for (i = 0; i < n && rc == DB_OK; i++)
		rc = hook_insert(db, m[i].id, hook_event_name(event), object_key, data, &did);
	return rc;
}

/* webhooks_task, and with h webhooks_task_carry. */
static enum dbrc
task_queue(struct db *db, int64_t task_id, unsigned event, int64_t owner,
    int64_t assignee, int64_t list_gen, const struct task *t, struct event_hook *h)
{
	struct match m[MATCH_MAX];
	int64_t	 users[2] = { owner, assignee };
	int64_t	 list_id = t != NULL ? t->list_id : 0;
	char	 key[KEY_MAX];
	int	 n, any;
	enum dbrc rc;

	task_json.id = 0;
	/* the common case first: no webhook at all, nothing read */
	if ((rc = hook_any(db, list_gen, &any)) != DB_OK || !any)
		return rc;
	if (list_id == 0 && (rc = task_list(db, task_id, &list_id)) != DB_OK)
		return rc;
	/* a caller that knows nobody (a reminder): the list's owner and the assignee */
	if (owner == 0 && assignee == 0 &&
	    (rc = task_people(db, task_id, &users[0], &users[1])) != DB_OK)
		return rc;
	if ((rc = match_cached(db, users, list_id, event, m, &n)) != DB_OK || n == 0)
		return rc;
	object_key(key, "task", task_id);
	return queue_as_owners(db, m, n, event, K_TASK, task_id, key, t, owner, h);
}

enum dbrc
webhooks_task(struct db *db, int64_t task_id, unsigned event, int64_t owner,
    int64_t assignee, int64_t list_gen, const struct task *t)
{
	return task_queue(db, task_id, event, owner, assignee, list_gen, t, NULL);
}

enum dbrc
webhooks_task_carry(struct db *db, int64_t task_id, unsigned event, int64_t owner,
    int64_t assignee, int64_t list_gen, const struct task *t, struct event_hook *h)
{
	h->hook = 0;
	return task_queue(db, task_id, event, owner, assignee, list_gen, t, h);
}

enum dbrc
webhooks_list(struct db *db, int64_t list_id, unsigned event, int64_t owner)
{
	struct match m[MATCH_MAX];
	const int64_t users[2] = { owner, 0 };
	char	 key[KEY_MAX];
	int	 n;
	enum dbrc rc;

	if ((rc = hook_match(db, users, list_id, event, m, &n)) != DB_OK || n == 0)
		return rc;
	object_key(key, "list", list_id);
	return queue_as_owners(db, m, n, event, K_LIST, list_id, key, NULL, 0, NULL);
}

enum dbrc
webhooks_comment(struct db *db, int64_t comment_id, int64_t task_id, int64_t owner,
    int64_t assignee)
{
	struct match m[MATCH_MAX];
	const int64_t users[2] = { owner, assignee };
	int64_t	 list_id = 0;
	char	 key[KEY_MAX];
	int	 n, any;
	enum dbrc rc;

	if ((rc = hook_any(db, HOOK_GEN_UNKNOWN, &any)) != DB_OK || !any)
		return rc;
	if ((rc = task_list(db, task_id, &list_id)) != DB_OK)
		return rc;
	if ((rc = match_cached(db, users, list_id, HOOK_COMMENT_CREATED, m, &n)) !=
	    DB_OK || n == 0)
		return rc;
	/* with the task's own deliveries: a comment never overtakes its task */
	object_key(key, "task", task_id);
	return queue_as_owners(db, m, n, HOOK_COMMENT_CREATED, K_COMMENT, comment_id, key,
	    NULL, 0, NULL);
}

enum dbrc
webhooks_forget(struct db *db, int64_t list_id, int64_t user_id, int64_t now)
{
	/* the objects user_id no longer sees: the list, its tasks not theirs */
#define GONE_KEYS \
	" AND webhook_id IN (SELECT id FROM webhooks WHERE owner_id = ?1)" \
	" AND object_key IN (SELECT 'task:' || id FROM tasks" \
	" WHERE list_id = ?2 AND assigned_to IS DISTINCT FROM ?1 UNION ALL SELECT 'list:' || ?2)"
	static const char failed[] =
	    "UPDATE webhook_deliveries SET status = 'failed', finished_at = ?3,"
	    " last_error = 'no longer a member of the list'"
	    " WHERE status = 'pending'" GONE_KEYS;
	/* the inbox's newest row stays, as the high-water mark (021) */
	static const char drop[] =
	    "DELETE FROM webhook_inbox WHERE moved = 0" GONE_KEYS
	    " AND id < (SELECT max(id) FROM webhook_inbox)";
	static const char mark[] =
	    "UPDATE webhook_inbox SET moved = 1 WHERE moved = 0" GONE_KEYS;
	/* hook-only events rows not moved yet (sql/030_webhook_carrier.sql) */
	static const char carried[] =
	    "DELETE FROM events WHERE user_id IS NULL AND hook IS NOT NULL"
	    " AND id > (SELECT events_id FROM webhook_cursor WHERE id = 1)"
	    " AND hook / 16 IN (SELECT id FROM webhooks WHERE owner_id = ?1)"
	    " AND message IN (SELECT 'task:' || id FROM tasks"
	    " WHERE list_id = ?2 AND assigned_to IS DISTINCT FROM ?1 UNION ALL SELECT 'list:' || ?2)";
#undef GONE_KEYS
	const char *const sql[4] = { failed, drop, mark, carried };
	struct dbstmt *st;
	enum dbrc rc = DB_OK;
	int	 i;

	for (i = 0; i < 4 && rc == DB_OK; i++) {
		if ((st = db_prep(db, sql[i])) == NULL)
			return DB_ERROR;
		db_bind_i64(st, 1, user_id);
		db_bind_i64(st, 2, list_id);
		if (i == 0)
			db_bind_i64(st, 3, now);
		rc = db_rc(db, db_done(st, db_step(st)), "webhook withdraw");
	}
	return rc;
}
