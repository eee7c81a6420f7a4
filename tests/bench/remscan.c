/*
 * remscan: the worker's due-reminder scan at scale (make bench-reminders).
 *
 * Seeds a temporary database (migrated as `taskmgr migrate` does) with
 * TASKS tasks, REMINDERS of which have a waiting reminder spread over the
 * next 30 days, then times the worker's pass: reminders_send_due (nothing
 * due) and reminders_next_due, averaged over many passes, and one pass
 * that sends SEND due reminders.  Prints ms per pass.
 *
 *   remscan [TASKS [REMINDERS [SEND]]]   defaults 1000000 100000 1000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "reminders.h"
#include "timeutil.h"
#include "tz.h"
#include "username.h"
#include "users.h"

#define HOUR_US	INT64_C(3600000000)

/* Runs sql with ?1 = a and ?2 = b; exits on failure. */
static void
run(struct db *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "remscan: %s: %s\n", sql, sqlite3_errmsg(db->h));
		exit(1);
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "remscan: %s: %s\n", sql, sqlite3_errmsg(db->h));
		exit(1);
	}
	sqlite3_finalize(st);
}

/* The seed: one user, 100 lists, tasks with deadlines, the waiting reminders. */
static void
seed(struct db *db, int64_t tasks, int64_t rems, int64_t now)
{
	int64_t	 uid = 0, t0 = mono_us();

	if (users_create(db, "bench", "", "", 0, 0, &uid) != DB_OK)
		exit(1);
	db_exec(db, "BEGIN");
	run(db, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100)"
	    " INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
	    " SELECT ?1, 'list ' || x, 'list ' || x, ?2, ?2 FROM n", uid, now);
	/* deadlines 2 h to 30 days ahead; the task search index is fed as usual */
	run(db, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?1)"
	    " INSERT INTO tasks (list_id, name, name_key, description, status, created_at,"
	    " updated_at, complete_before)"
	    " SELECT 1 + x % 100, 'task ' || x, 'task ' || x, '', 'Pending', ?2, ?2,"
	    " ?2 + 7200000000 + (x % 2500000) * 1000000 FROM n", tasks, now);
	run(db, "INSERT INTO reminders (task_id, recipient_id, deadline, offset_min, due_at)"
	    " SELECT t.id, l.owner_id, t.complete_before, 60, t.complete_before - 3600000000"
	    " FROM tasks t JOIN lists l ON l.id = t.list_id ORDER BY t.id LIMIT ?1",
	    rems, 0);
	/* and as many already sent: the partial index must skip them */
	run(db, "INSERT INTO reminders (task_id, recipient_id, deadline, offset_min, due_at,"
	    " state, sent_at) SELECT task_id, recipient_id, deadline, 1440, due_at - ?2, 1, ?2"
	    " FROM reminders WHERE state = 0 LIMIT ?1", rems, 1);
	db_exec(db, "COMMIT");
	db_exec(db, "ANALYZE");
	/* the seed's WAL is checkpointed now, not inside the first timed commit */
	db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	printf("seeded %lld tasks, %lld waiting reminders in %.1f s\n", (long long)tasks,
	    (long long)rems, (double)(mono_us() - t0) / 1e6);
}

int
main(int argc, char *argv[])
{
	char	 path[] = "/tmp/taskmgr-remscan-XXXXXX", err[256];
	int64_t	 tasks = argc > 1 ? atoll(argv[1]) : 1000000;
	int64_t	 rems = argc > 2 ? atoll(argv[2]) : 100000;
	int64_t	 send = argc > 3 ? atoll(argv[3]) : 1000;
	int64_t	 now = now_us(), sent, dropped, next, t0, first;
	const struct tz *utc = tz_get("UTC");
	FILE	*devnull = fopen("/dev/null", "w");
	struct db db;
	int	 fd, i, passes = 2000;

	if (rems > tasks || send > rems || (fd = mkstemp(path)) < 0) {
		fprintf(stderr, "usage: remscan [TASKS [REMINDERS<=TASKS [SEND<=REMINDERS]]]\n");
		return 2;
	}
	close(fd);
	if (db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) != 0) {
		fprintf(stderr, "remscan: %s\n", err);
		return 1;
	}
	username_sql_register(&db);
	if (db_migrate(&db, devnull) != 0)
		return 1;
	seed(&db, tasks, rems, now);
	/* the idle pass: nothing due */
	t0 = mono_us();
	for (i = 0; i < passes; i++)
		if (reminders_send_due(&db, now, utc, &sent, &dropped) != DB_OK ||
		    reminders_next_due(&db, &next) != DB_OK || sent != 0)
			return 1;
	printf("idle due-scan pass (send_due + next_due, nothing due): %.4f ms\n",
	    (double)(mono_us() - t0) / 1000.0 / passes);
	/* a pass that sends: the first send reminders (a second apart) come due */
	if (reminders_next_due(&db, &first) != DB_OK)
		return 1;
	t0 = mono_us();
	if (reminders_send_due(&db, first + (send - 1) * 1000000, utc, &sent,
	    &dropped) != DB_OK)
		return 1;
	t0 = mono_us() - t0;
	printf("one pass sending %lld due reminders (notice + event + mark each): %.2f ms,"
	    " %.4f ms per reminder\n", (long long)sent, (double)t0 / 1000.0,
	    (double)t0 / 1000.0 / (sent > 0 ? (double)sent : 1.0));
	db_close(&db);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	fclose(devnull);
	return 0;
}
