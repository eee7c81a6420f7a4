/*
 * Unit tests: what a process remembers of the active webhooks
 * (domain/webhook_queue.c, sql/027_list_hook_gen.sql) on a temporary,
 * migrated database, with a second connection as another process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "lists.h"
#include "tap.h"
#include "tasks.h"
#include "timeutil.h"
#include "unit_db.h"
#include "users.h"
#include "webhooks.h"

static struct db db, other;

/* Runs sql on d (no rows); 0 on success. */
static int
exec(struct db *d, const char *sql)
{
	return sqlite3_exec(d->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The task.created deliveries queued, not moved yet (-1 on error). */
static int
queued(void)
{
	return (int)unit_q1(db.h, "SELECT count(*) FROM webhook_delivery_log"
	    " WHERE status = 'pending' AND event = 'task.created'", -1);
}

/* Creates a task named name in list lid as who (into out, when not NULL); the dbrc. */
static int
task_out(const struct actor *who, int64_t lid, const char *name, struct arena *a,
    struct task *out)
{
	struct task_input in;
	enum rule why;
	int64_t	 id;

	memset(&in, 0, sizeof(in));
	in.set = TF_NAME;
	in.name = name;
	in.complete_before = TIME_NULL;
	return tasks_create(&db, who, lid, &in, &id, &why, a, out);
}

static int
task(const struct actor *who, int64_t lid, const char *name)
{
	return task_out(who, lid, name, NULL, NULL);
}

/* The program's task writer: the task's name, enough to tell them apart. */
static void
name_writer(struct buf *b, const struct task *t)
{
	buf_json_str(b, t->name, strlen(t->name));
}

/* What webhooks_task_json answers for t: its text, or "-" for none. */
static const char *
answer(const struct task *t)
{
	static char s[64];
	const char *p;
	size_t	 n;

	if (!webhooks_task_json(t, &p, &n))
		return "-";
	snprintf(s, sizeof(s), "%.*s", (int)(n < 60 ? n : 60), p);
	return s;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX", err[256], sql[256];
	struct actor own = { 0, 0 };
	struct arena a = { 0 };
	struct task t;
	enum rule why;
	int64_t	 lid = 0;

	if (unit_db_open(&db, path) < 0)
		return 1;
	ok(db_open(&other, path, 0, err, sizeof(err)) == 0, "another connection %s", err);
	users_create(&db, "owner", "", "", 0, 0, &own.id);
	is_int(lists_create(&db, own.id, "Hooked", &lid, &why), DB_OK, "list");
	is_int(task(&own, lid, "first"), DB_OK, "a write: no webhook remembered");
	is_int(queued(), 0, "... none queued");

	/*
	 * A transaction makes a webhook on task.created (webhook_gen's seq 1),
	 * writes a task -- the process reads its webhooks at seq 1 -- and
	 * rolls back.  Another process then makes a webhook of the same list
	 * on task.updated only: seq 1 again, the same id (the sequence rolled
	 * back too).  The next write's list says 1: what the rolled back
	 * transaction read must not be taken for it.
	 */
	snprintf(sql, sizeof(sql), "INSERT INTO webhooks (owner_id, url, events, list_id,"
	    " secret, created_at, updated_at) VALUES (%lld, 'https://h.example/', %d, %lld,"
	    " 's', 0, 0)", (long long)own.id, 1, (long long)lid);
	is_int(db_begin(&db), DB_OK, "begin");
	ok(exec(&db, sql) == 0, "a webhook on task.created, in a transaction");
	is_int(task(&own, lid, "second"), DB_OK, "a write in it");
	is_int(queued(), 1, "... queued for it");
	db_rollback(&db);
	is_int(queued(), 0, "rolled back");
	snprintf(sql, sizeof(sql), "INSERT INTO webhooks (owner_id, url, events, list_id,"
	    " secret, created_at, updated_at) VALUES (%lld, 'https://h.example/', %d, %lld,"
	    " 's', 0, 0)", (long long)own.id, 2, (long long)lid);
	ok(exec(&other, sql) == 0, "another process: a webhook on task.updated only");
	is_int(task(&own, lid, "third"), DB_OK, "a write");
	is_int(queued(), 0, "... queues no task.created: the rolled back memory is gone");

	/* the other process subscribes it to task.created: the next write sees it */
	ok(exec(&other, "UPDATE webhooks SET events = 3") == 0, "subscribed elsewhere");
	is_int(task(&own, lid, "fourth"), DB_OK, "a write");
	is_int(queued(), 1, "... queued");

	/*
	 * The answer of a write: the JSON its deliveries got, once; none when
	 * it queued none, or when it rolled back.
	 */
	webhooks_writers(name_writer, NULL, NULL);
	is_int(task_out(&own, lid, "fifth", &a, &t), DB_OK, "a write with its answer");
	is_str(answer(&t), "\"fifth\"", "... answered with its deliveries' JSON");
	is_str(answer(&t), "-", "... once");
	ok(exec(&other, "UPDATE webhooks SET events = 2") == 0, "unsubscribed elsewhere");
	is_int(task_out(&own, lid, "sixth", &a, &t), DB_OK, "a write queueing nothing");
	is_str(answer(&t), "-", "... no JSON: the caller writes its own");
	ok(exec(&other, "UPDATE webhooks SET events = 3") == 0, "subscribed again");
	is_int(db_begin(&db), DB_OK, "begin");
	is_int(task_out(&own, lid, "seventh", &a, &t), DB_OK, "a write in a transaction");
	db_rollback(&db);
	is_str(answer(&t), "-", "... rolled back: nothing to answer with");

	arena_free(&a);
	db_close(&other);
	unit_db_remove(&db, path);
	return tap_done();
}
