/* Unit tests: the rules of domain/lists and domain/tasks on a temporary, migrated database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "lists.h"
#include "notices.h"
#include "tap.h"
#include "tasks.h"
#include "timeutil.h"
#include "users.h"

static struct db db;
static struct arena a;

/* One integer from sql with one bound integer (or none when arg < 0). */
static int64_t
q1(const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t	 v = -1;

	if (sqlite3_prepare_v2(db.h, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (arg >= 0)
		sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t
user(const char *name)
{
	int64_t	 id = 0;

	users_create(&db, name, "", "", 0, 0, &id);
	return id;
}

static struct task_input
named(const char *name)
{
	struct task_input in;

	memset(&in, 0, sizeof(in));
	in.set = TF_NAME;
	in.name = name;
	in.complete_before = TIME_NULL;
	return in;
}

static void
count_row(void *ctx, const struct task *t)
{
	int64_t	*ids = ctx;

	ids[++ids[0]] = t->id;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX", err[256];
	struct actor alice, bob, carol, sys = { 0, 1 };
	struct task_input in;
	struct task t, t2;
	struct task_query q;
	enum rule why;
	int64_t	 al, bo, ca, l1, l2, id, id2, n, ids[64];
	FILE	*devnull = fopen("/dev/null", "w");
	int	 fd, i;
	char	 name[32];

	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	ok(db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) == 0, "open %s", err);
	ok(db_migrate(&db, devnull) == 0, "migrate");
	al = user("alice");
	bo = user("bob");
	ca = user("carol");
	alice = (struct actor){ al, 0 };
	bob = (struct actor){ bo, 0 };
	carol = (struct actor){ ca, 0 };

	/* lists */
	is_int(lists_create(&db, al, "Home", &l1, &why), DB_OK, "list created");
	is_int(lists_create(&db, al, "Home", &id, &why), DB_INVALID, "same name refused");
	is_int(why, RULE_NAME_TAKEN, "... as taken");
	is_int(lists_create(&db, al, "", &id, &why), DB_INVALID, "empty name refused");
	is_int(why, RULE_BAD_VALUE, "... as a bad value");
	is_int(lists_create(&db, bo, "Home", &l2, &why), DB_OK, "another owner may reuse it");
	is_int(lists_get_visible(&db, &bob, l1, &a, &(struct list){ 0 }), DB_NOTFOUND,
	    "a stranger does not see the list");
	is_int(lists_get_visible(&db, &sys, l1, &a, &(struct list){ 0 }), DB_OK,
	    "sees_all does");

	/* create: the status machine on save */
	in = named("Buy milk");
	in.set |= TF_ASSIGNED_TO;
	in.assigned_to = bo;
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why), DB_OK, "task created");
	is_int(tasks_get_visible(&db, &bob, id, &a, &t), DB_OK, "the assignee sees it");
	is_int(t.status, TS_IN_PROGRESS, "assigned + Pending -> In Progress");
	is_str(t.assignee_name, "bob", "assignee name");
	is_int(tasks_get_visible(&db, &carol, id, &a, &t2), DB_NOTFOUND, "a stranger does not");
	is_int(tasks_create(&db, &bob, l1, &in, &id2, &why), DB_NOTFOUND,
	    "the assignee cannot add to the owner's list");
	in = named("Buy milk");
	is_int(tasks_create(&db, &alice, l1, &in, &id2, &why), DB_INVALID, "name unique in list");
	is_int(why, RULE_NAME_TAKEN, "... as taken");
	in = named("Ghost");
	in.set |= TF_ASSIGNED_TO;
	in.assigned_to = 9999;
	is_int(tasks_create(&db, &alice, l1, &in, &id2, &why), DB_INVALID, "unknown assignee");
	is_int(why, RULE_BAD_ASSIGNEE, "... as a bad assignee");
	is_int(q1("SELECT count(*) FROM tasks", -1), 1, "refusals stored nothing");

	/* locking */
	in = named("Buy oat milk");
	is_int(tasks_update_locked(&db, &bob, id, t.updated_at - 1, &in, &why), DB_CONFLICT,
	    "stale updated_at");
	is_int(tasks_update_locked(&db, &bob, id, t.updated_at, &in, &why), DB_OK, "fresh one");
	is_int(tasks_get_visible(&db, &bob, id, &a, &t2), DB_OK, "read again");
	ok(t2.updated_at > t.updated_at, "updated_at moved on");
	is_str(t2.name, "Buy oat milk", "renamed");
	is_int(tasks_update_locked(&db, &bob, id, t.updated_at, &in, &why), DB_CONFLICT,
	    "the old value no longer wins");
	for (i = 0; i < 20; i++) {
		t = t2;
		in.set = 0;
		if (tasks_update_locked(&db, &alice, id, t.updated_at, &in, &why) != DB_OK ||
		    tasks_get_visible(&db, &alice, id, &a, &t2) != DB_OK ||
		    t2.updated_at <= t.updated_at)
			break;
	}
	is_int(i, 20, "updated_at strictly increases over 20 quick writes");
	is_int(tasks_update_locked(&db, &carol, id, t2.updated_at, &in, &why), DB_NOTFOUND,
	    "a stranger's update is not found");

	/* complete */
	is_int(tasks_complete(&db, &bob, id, &why), DB_OK, "complete from In Progress");
	t = t2;
	is_int(tasks_get_visible(&db, &bob, id, &a, &t2), DB_OK, "read");
	is_int(t2.status, TS_COMPLETED, "Completed");
	is_int(tasks_complete(&db, &bob, id, &why), DB_INVALID, "complete twice refused");
	is_int(why, RULE_NOT_COMPLETABLE, "... as not completable");
	is_int(tasks_get_visible(&db, &bob, id, &a, &t), DB_OK, "read");
	is_int(t.updated_at, t2.updated_at, "a refusal changes nothing");
	in = named("Pending one");
	is_int(tasks_create(&db, &alice, l1, &in, &id2, &why), DB_OK, "unassigned task");
	is_int(tasks_complete(&db, &alice, id2, &why), DB_INVALID, "Pending cannot be completed");

	/* delete */
	is_int(tasks_delete(&db, &bob, id), DB_FORBIDDEN, "the assignee may not delete");
	is_int(tasks_delete(&db, &carol, id), DB_NOTFOUND, "a stranger gets not found");
	is_int(tasks_delete(&db, &alice, id), DB_OK, "the owner deletes");
	is_int(q1("SELECT count(*) FROM events WHERE task_id = ? AND action = 'deleted'", id), 2,
	    "deleted: events for owner and assignee");

	/* notices: never to oneself */
	n = q1("SELECT count(*) FROM outbox", -1);
	is_int(notices_assignment(&db, al, id2, "x", 0, al, now_us()), DB_OK, "self-assign");
	is_int(q1("SELECT count(*) FROM outbox", -1), n, "no notice to oneself");
	is_int(notices_assignment(&db, al, id2, "x", bo, ca, now_us()), DB_OK, "reassign");
	is_int(q1("SELECT count(*) FROM outbox", -1), n + 2, "two notices");
	is_int(q1("SELECT count(*) FROM outbox WHERE user_id = ? AND text = "
	    "'Задача ''x'' больше не назначена вам'", bo), 1, "the previous assignee's text");

	/* a caller's transaction groups domain calls: rolled back together */
	n = q1("SELECT count(*) FROM tasks", -1);
	is_int(db_begin(&db), DB_OK, "begin");
	in = named("In a rolled-back tx");
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why), DB_OK, "create inside");
	db_rollback(&db);
	is_int(q1("SELECT count(*) FROM tasks", -1), n, "rolled back with the caller");

	/* the sweep, across several batches */
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "late %d", i);
		in = named(name);
		in.set |= TF_DEADLINE | TF_ASSIGNED_TO;
		in.complete_before = 1000000 + i;
		in.assigned_to = i % 2 ? bo : 0;
		if (tasks_create(&db, &bob, l2, &in, &id, &why) != DB_OK)
			break;
	}
	is_int(i, 300, "300 tasks with past deadlines");
	in = named("not yet");
	in.set |= TF_DEADLINE;
	in.complete_before = now_us() + 3600000000LL;
	is_int(tasks_create(&db, &bob, l2, &in, &id, &why), DB_OK, "a future one");
	is_int(tasks_mark_overdue(&db, now_us(), &n), DB_OK, "sweep");
	is_int(n, 300, "marked exactly the 300");
	is_int(q1("SELECT count(*) FROM tasks WHERE status = 'Overdue'", -1), 300, "stored");
	is_int(q1("SELECT count(*) FROM outbox WHERE text LIKE 'Вам назначена задача: late%'"
	    " AND user_id = ?", bo), 0, "bob assigning himself was not notified");
	is_int(q1("SELECT count(*) FROM outbox WHERE text LIKE '%просрочена!' AND user_id = ?",
	    bo), 150, "but the sweep has no actor: one overdue notice per assigned task");
	is_int(tasks_mark_overdue(&db, now_us(), &n), DB_OK, "sweep again");
	is_int(n, 0, "nothing left");

	/* pages */
	task_query_init(&q, TQ_LIST, l2);
	is_int(tasks_page_count(&db, &alice, &q, &n), DB_NOTFOUND, "someone else's list page");
	is_int(tasks_page_count(&db, &bob, &q, &n), DB_OK, "own list page");
	is_int(n, 301, "counter");
	q.status = TS_OVERDUE;
	is_int(tasks_page_count(&db, &bob, &q, &n), DB_OK, "filtered count");
	is_int(n, 300, "overdue ones");
	q.search = "late 29";
	q.order = TO_CREATED;
	is_int(tasks_page_count(&db, &bob, &q, &n), DB_OK, "search count");
	is_int(n, 11, "late 29, late 290..299");
	ids[0] = 0;
	is_int(tasks_page_rows(&db, &q, 5, 1, count_row, ids), DB_OK, "rows");
	is_int(ids[0], 5, "five rows");
	ok(ids[1] < ids[2] && ids[4] < ids[5], "created_at ascending");
	task_query_init(&q, TQ_ASSIGNEE, bo);
	is_int(tasks_page_count(&db, &bob, &q, &n), DB_OK, "assigned count");
	is_int(n, q1("SELECT count(*) FROM tasks WHERE assigned_to = ?", bo), "counter = real");

	arena_free(&a);
	db_close(&db);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	fclose(devnull);
	return tap_done();
}
