/*
 * Unit tests: what a process remembers of the active webhooks
 * (domain/webhook_queue.c, sql/026_list_hook_gen.sql) on a temporary,
 * migrated database, with a second connection as another process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "lists.h"
#include "tap.h"
#include "tasks.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

static struct db db, other;

/* Runs sql on d (no rows); 0 on success. */
static int
exec(struct db *d, const char *sql)
{
	return sqlite3_exec(d->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The inbox's task.created rows not moved (-1 on error). */
static int
queued(void)
{
	sqlite3_stmt *st;
	int	 n = -1;

	if (sqlite3_prepare_v2(db.h, "SELECT count(*) FROM webhook_inbox WHERE moved = 0"
	    " AND event = 'task.created'", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Creates a task named name in list lid as who; the dbrc. */
static int
task(const struct actor *who, int64_t lid, const char *name)
{
	struct task_input in;
	enum rule why;
	int64_t	 id;

	memset(&in, 0, sizeof(in));
	in.set = TF_NAME;
	in.name = name;
	in.complete_before = TIME_NULL;
	return tasks_create(&db, who, lid, &in, &id, &why, NULL, NULL);
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX", err[256], sql[256];
	struct actor own = { 0, 0 };
	enum rule why;
	int64_t	 lid = 0;
	FILE	*devnull = fopen("/dev/null", "w");
	int	 fd;

	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	ok(db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) == 0, "open %s", err);
	username_sql_register(&db);
	ok(db_migrate(&db, devnull) == 0, "migrate");
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

	db_close(&other);
	db_close(&db);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	fclose(devnull);
	return tap_done();
}
