/*
 * Unit tests: domain/retention on a temporary database -- its migration on a
 * database that already holds events, batched purges of old events and of
 * finished notices (pending ones kept), 0 = keep, the feed's cursor after a
 * purge, and the query plans (an index of the old rows, never a table scan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "delivery.h"
#include "event_feed.h"
#include "notices.h"
#include "retention.h"
#include "tap.h"
#include "unit_db.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

#define DAY	(86400 * (int64_t)1000000)

static struct db db;

/* One integer from sql with one bound integer (or none when arg < 0). */
static int64_t
q1(const char *sql, int64_t arg)
{
	return unit_q1(db.h, sql, arg);
}

/* Runs sql with up to three integers bound; 0 on success. */
static int
run(const char *sql, int64_t a, int64_t b, int64_t c)
{
	sqlite3_stmt *st;
	int	 rc;

	if (sqlite3_prepare_v2(db.h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, c);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Adds n events of user uid created at t. */
static void
events_at(int64_t uid, int n, int64_t t)
{
	int	 i;

	sqlite3_exec(db.h, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < n; i++)
		run("INSERT INTO events (user_id, type, action, created_at)"
		    " VALUES (?, 'task_updated', 'updated', ?)", uid, t, 0);
	sqlite3_exec(db.h, "COMMIT", NULL, NULL, NULL);
}

/* Adds n notices of uid with status, created at t, finished at fin (0: not). */
static void
notices_at(int64_t uid, int n, int status, int64_t t, int64_t fin)
{
	int	 i;

	sqlite3_exec(db.h, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < n; i++)
		run("INSERT INTO outbox (user_id, text, status, next_attempt_at, created_at)"
		    " VALUES (?1, 'x', ?2, ?3, ?3)", uid, status, t);
	if (fin != 0)
		run("UPDATE outbox SET finished_at = ?1, sent_at = CASE WHEN status = 1 THEN ?1 END"
		    " WHERE status <> 0 AND finished_at IS NULL", fin, 0, 0);
	sqlite3_exec(db.h, "COMMIT", NULL, NULL, NULL);
}

/* Whether EXPLAIN QUERY PLAN of sql names index and scans no table. */
static int
plan_uses(const char *sql, const char *index)
{
	char	 plan[2048];
	int	 scan;

	unit_plan(db.h, sql, plan, sizeof(plan));
	scan = strncmp(plan, "SCAN", 4) == 0 || strstr(plan, "|SCAN") != NULL;
	if (strstr(plan, index) == NULL || scan)
		printf("#   plan: %s\n", plan);
	return strstr(plan, index) != NULL && !scan;
}

struct seen {
	int64_t	 ids[16];
	int	 n;
};

static int
collect(void *arg, const struct event *e)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->ids[s->n++] = e->id;
	return 0;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX", err[256];
	FILE	*devnull = fopen("/dev/null", "w");
	int64_t	 now = now_us(), old = now - 40 * DAY, recent = now - 2 * DAY;
	int64_t	 cut = retention_cutoff(now, 30), al, bo, n, top, last;
	volatile sig_atomic_t stop = 0;
	struct seen s;
	int	 fd, i, r;

	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	ok(db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) == 0, "open %s", err);

	/* an existing database just before the retention migration, with events */
	for (r = 0; r < n_migrations && strcmp(migrations[r].name, "retention") != 0; r++)
		continue;
	ok(r < n_migrations, "the retention migration is embedded (%d)", r + 1);
	for (i = 0; i < r; i++)
		ok(sqlite3_exec(db.h, migrations[i].sql, NULL, NULL, NULL) == SQLITE_OK,
		    "migration %d by hand", i + 1);
	snprintf(err, sizeof(err), "PRAGMA user_version=%d", r);
	sqlite3_exec(db.h, err, NULL, NULL, NULL);
	users_create(&db, "old", "", "", 0, 0, &al);
	events_at(al, 3, old);
	run("DELETE FROM events WHERE id = 1", 0, 0, 0);
	run("INSERT INTO outbox (id, user_id, text, status, next_attempt_at, created_at,"
	    " sent_at) VALUES (1, ?1, 'sent', 1, 0, ?2, ?3), (2, ?1, 'skipped', 3, 0, ?2, NULL),"
	    " (3, ?1, 'pending', 0, 0, ?2, NULL)", al, old, recent);
	username_sql_register(&db);
	ok(db_migrate(&db, devnull) == 0, "migrate %d -> latest", r);
	is_int(q1("SELECT finished_at FROM outbox WHERE id = 1", -1), recent,
	    "a sent notice finished when sent");
	is_int(q1("SELECT finished_at FROM outbox WHERE id = 2", -1), old,
	    "a skipped one when created");
	is_int(q1("SELECT finished_at IS NULL FROM outbox WHERE id = 3", -1), 1,
	    "a pending one not yet");
	is_int(delivery_skipped(&db, 3, now), DB_OK, "skipping it");
	is_int(q1("SELECT finished_at FROM outbox WHERE id = 3", -1), now, "... sets finished_at");
	run("INSERT INTO outbox (id, user_id, text, next_attempt_at, created_at)"
	    " VALUES (4, ?1, 'a', 0, ?2), (5, ?1, 'b', 0, ?2)", al, old, 0);
	is_int(delivery_failed(&db, 4, "403: blocked", recent), DB_OK, "failing one");
	is_int(q1("SELECT finished_at FROM outbox WHERE id = 4", -1), recent, "... sets it");
	is_int(delivery_sent(&db, 5, now), DB_OK, "sending one");
	is_int(q1("SELECT finished_at FROM outbox WHERE id = 5 AND sent_at = finished_at", -1),
	    now, "... sets it with sent_at");
	run("DELETE FROM outbox", 0, 0, 0);
	is_int(q1("SELECT count(*) FROM events", -1), 2, "events kept by the rebuild");
	is_int(q1("SELECT min(id) FROM events", -1), 2, "with their ids");
	is_int(q1("SELECT count(*) FROM sqlite_sequence WHERE name = 'events'", -1), 0,
	    "no sequence since 025: the newest id stays in the table");
	{
		/*
		 * the events purge walks only its batch of the oldest rows: with
		 * 1,000 young rows and a batch of 100 it steps over at most 100
		 * of them and deletes none (no index on created_at, sql/015)
		 */
		sqlite3_stmt *st;
		int	 steps;

		events_at(al, 1000, now);
		ok(sqlite3_prepare_v2(db.h, retention_events_sql, -1, &st, NULL) == SQLITE_OK,
		    "events purge prepares");
		sqlite3_bind_int64(st, 1, now - DAY);
		sqlite3_bind_int64(st, 2, 100);
		is_int(sqlite3_step(st), SQLITE_DONE, "... runs");
		steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
		sqlite3_finalize(st);
		ok(steps <= 100, "... stepping over at most its batch of rows (%d)", steps);
		is_int(q1("SELECT count(*) FROM events WHERE created_at = ?", now), 1000,
		    "... deleting no young row");
		run("DELETE FROM events WHERE created_at = ?1", now, 0, 0);
	}
	ok(plan_uses(retention_outbox_sql, "outbox_finished"), "outbox purge walks outbox_finished");
	run("DELETE FROM events", 0, 0, 0);
	is_int(q1("SELECT count(*) FROM events WHERE user_id IS NULL", -1), 1,
	    "deleting every event leaves the high-water mark");

	users_create(&db, "alice", "", "", 0, 0, &al);
	users_create(&db, "bob", "", "", 0, 0, &bo);

	/* the cut-off; 0 = keep forever */
	is_int(retention_cutoff(now, 30), now - 30 * DAY, "cut-off 30 days back");
	is_int(retention_cutoff(now, 0), 0, "0 days: no cut-off");

	/* events: batches of the old rows only */
	events_at(al, 1203, old);
	events_at(bo, 7, recent);
	events_at(al, 5, now);
	is_int(retention_purge(&db, 'e', retention_cutoff(now, 0), 500, 100, NULL, &n), DB_OK,
	    "0 = keep: purge runs");
	is_int(n, 0, "... and deletes nothing");
	is_int(retention_events_batch(&db, cut, 500, &n), DB_OK, "one batch");
	is_int(n, 500, "... of 500 rows");
	is_int(q1("SELECT count(*) FROM events WHERE user_id IS NOT NULL", -1), 715, "715 left");
	stop = 1;
	is_int(retention_purge(&db, 'e', cut, 500, 100, &stop, &n), DB_OK, "stopped purge");
	is_int(n, 0, "... deletes nothing");
	stop = 0;
	is_int(retention_purge(&db, 'e', cut, 100, 3, &stop, &n), DB_OK, "at most 3 batches");
	is_int(n, 300, "... of 100");
	is_int(retention_purge(&db, 'e', cut, 500, 100, &stop, &n), DB_OK, "purge the rest");
	is_int(n, 403, "... 403 more");
	is_int(q1("SELECT count(*) FROM events WHERE created_at < ?", cut), 0, "no old event left");
	is_int(q1("SELECT count(*) FROM events WHERE user_id IS NOT NULL", -1), 12,
	    "the 12 recent ones kept");
	is_int(q1("SELECT count(*) FROM events WHERE user_id IS NULL", -1), 1,
	    "the purge leaves the mark");
	is_int(retention_events_batch(&db, cut, 500, &n), DB_OK, "nothing older");
	is_int(n, 0, "... an empty batch");

	/* the feed's cursor when the newest rows are gone too */
	top = q1("SELECT max(id) FROM events", -1);
	last = q1("SELECT max(id) FROM events WHERE user_id = ?", al);
	is_int(retention_purge(&db, 'e', now + DAY, 500, 100, NULL, &n), DB_OK, "purge all");
	is_int(n, 12, "... 12 rows");
	is_int(q1("SELECT count(*) FROM events WHERE user_id IS NULL AND id = ?", top), 1,
	    "the newest id stays as the mark");
	is_int(q1("SELECT count(*) FROM events", -1), 1, "... the only row: the older mark gone");
	is_int(retention_purge(&db, 'e', now + DAY, 100, 100, NULL, &n), DB_OK, "purge again");
	is_int(n, 0, "... deletes nothing: the mark is not purged (nor put back 100 times)");
	is_int(notices_task_event(&db, 7, "updated", al, 0, now), DB_OK, "a new event");
	ok(q1("SELECT max(id) FROM events", -1) > top, "its id is above every purged one");
	memset(&s, 0, sizeof(s));
	is_int(event_feed(&db, al, last, 10, collect, &s), DB_OK, "feed after a purged id");
	is_int(s.n, 1, "... has the new event");
	ok(s.n == 1 && s.ids[0] > last, "... after the cursor");
	memset(&s, 0, sizeof(s));
	is_int(event_feed(&db, al, 0, 10, collect, &s), DB_OK, "feed from the start");
	is_int(s.n, 1, "... only what is left");

	/* outbox: finished and old goes, pending never */
	notices_at(al, 3, 0, old, 0);			/* pending, old: kept */
	notices_at(al, 2, 0, now, 0);			/* pending, new: kept */
	notices_at(al, 600, 1, old, old);		/* sent long ago: purged */
	notices_at(al, 4, 1, old, recent);		/* created old, sent recently: kept */
	notices_at(bo, 5, 2, old, old);			/* failed long ago: purged */
	notices_at(bo, 6, 3, old, old);			/* skipped long ago: purged */
	notices_at(bo, 7, 3, old, recent);		/* created old, skipped recently: kept */
	is_int(q1("SELECT count(*) FROM outbox", -1), 627, "627 notices");
	is_int(retention_outbox_batch(&db, cut, 500, &n), DB_OK, "one outbox batch");
	is_int(n, 500, "... of 500");
	is_int(retention_purge(&db, 'o', cut, 500, 100, NULL, &n), DB_OK, "outbox purge");
	is_int(n, 111, "... the other 111 finished old ones");
	is_int(q1("SELECT count(*) FROM outbox WHERE status = 0", -1), 5, "every pending kept");
	is_int(q1("SELECT count(*) FROM outbox WHERE status = 1", -1), 4, "recently sent kept");
	is_int(q1("SELECT count(*) FROM outbox WHERE status = 2", -1), 0, "old failed gone");
	is_int(q1("SELECT count(*) FROM outbox WHERE status = 3", -1), 7, "recent skipped kept");
	is_int(retention_purge(&db, 'o', now + DAY, 500, 100, NULL, &n), DB_OK,
	    "a cut-off in the future");
	is_int(n, 11, "... takes every finished one");
	is_int(q1("SELECT count(*) FROM outbox", -1), 5, "... and leaves the 5 pending");

	unit_db_remove(&db, path);
	fclose(devnull);
	return tap_done();
}
