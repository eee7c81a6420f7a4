/* Unit tests: walvfs, the VFS that writes a commit's WAL frames in one call. */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "walvfs.h"

#define diag(...) (fprintf(stderr, "# " __VA_ARGS__), fputc('\n', stderr))

static char	 path[256];

static sqlite3 *
open_db(const char *vfs)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    vfs) != SQLITE_OK) {
		fprintf(stderr, "open %s: %s\n", path, db ? sqlite3_errmsg(db) : "no memory");
		exit(1);
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
	    NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "pragmas: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;
	int	 rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		diag("%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return rc;
}

static int64_t
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t	 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		diag("%s: %s", sql, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	int	 good = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		good = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return good;
}

/* One transaction of n rows of about 1000 bytes in t (and its index). */
static int
insert_rows(sqlite3 *db, int n, int commit)
{
	char	 sql[160];
	int	 rc;

	if ((rc = exec(db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return rc;
	snprintf(sql, sizeof(sql), "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL"
	    " SELECT i + 1 FROM c WHERE i < %d) INSERT INTO t (v, pad)"
	    " SELECT i, randomblob(1000) FROM c", n);
	if ((rc = exec(db, sql)) != SQLITE_OK ||
	    (rc = exec(db, "UPDATE sums SET n = (SELECT count(*) FROM t)")) != SQLITE_OK ||
	    (rc = exec(db, commit ? "COMMIT" : "ROLLBACK")) != SQLITE_OK)
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int
main(void)
{
	char	 dir[] = "/tmp/taskmgr-walvfs-XXXXXX";
	struct walvfs_stats s0, s1;
	sqlite3	*db, *other;
	pid_t	 pid;
	int	 i, status, bad;
	int64_t	 n;

	ok(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(path, sizeof(path), "%s/t.db", dir);
	is_int(walvfs_register(), 0, "registered");
	is_int(walvfs_register(), 0, "registering again is harmless");
	ok(sqlite3_vfs_find(WALVFS_NAME) != NULL, "found by name");
	ok(sqlite3_vfs_find(NULL) != sqlite3_vfs_find(WALVFS_NAME), "not the default");

	db = open_db(WALVFS_NAME);
	is_int(exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, pad BLOB);"
	    "CREATE INDEX t_v ON t (v);"
	    "CREATE TABLE sums (n INTEGER); INSERT INTO sums VALUES (0)"), SQLITE_OK, "schema");

	/* a commit of many pages: two writes asked per frame, one made */
	walvfs_stats(&s0);
	is_int(insert_rows(db, 40, 1), SQLITE_OK, "40 rows of 1000 bytes committed");
	walvfs_stats(&s1);
	ok(s1.writes - s0.writes >= 20, "SQLite wrote %llu frame parts",
	    (unsigned long long)(s1.writes - s0.writes));
	is_int((int64_t)(s1.syscalls - s0.syscalls), 1, "in one write to the file");

	/* seen through the default VFS, by a connection of its own */
	other = open_db(NULL);
	is_int(one(other, "SELECT count(*) FROM t"), 40, "the other connection sees the rows");
	is_int(one(other, "SELECT n FROM sums"), 40, "and the same transaction's other table");
	is_int(exec(other, "INSERT INTO t (v) VALUES (-1); DELETE FROM t WHERE v = -1"),
	    SQLITE_OK, "the default VFS writes the same WAL");
	is_int(one(db, "SELECT count(*) FROM t"), 40, "and walvfs reads its commits");

	/* a transaction larger than the page cache spills frames before its
	 * commit and rewrites some of them: not one contiguous run */
	is_int(exec(db, "PRAGMA cache_size=10"), SQLITE_OK, "small page cache");
	is_int(insert_rows(db, 3000, 0), SQLITE_OK, "spilled transaction rolled back");
	is_int(one(other, "SELECT count(*) FROM t"), 40, "nothing of it is seen");
	is_int(one(db, "SELECT count(*) FROM t"), 40, "not even by its writer");
	is_int(insert_rows(db, 3000, 1), SQLITE_OK, "spilled transaction committed");
	is_int(one(other, "SELECT count(*) FROM t"), 3040, "all of it seen");
	is_int(one(other, "SELECT n FROM sums"), 3040, "with its other table");
	ok(integrity_ok(other), "integrity check");

	/* the WAL restarts from its beginning after a full checkpoint */
	is_int(exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK, "checkpoint");
	for (i = 0; i < 20; i++)
		if (insert_rows(db, 5, 1) != SQLITE_OK)
			break;
	is_int(i, 20, "20 commits after the restart");
	is_int(one(other, "SELECT count(*) FROM t"), 3140, "seen by the other connection");
	sqlite3_close(other);

	/* another process reads while this one commits: every snapshot is a
	 * whole transaction (sums.n always equals the row count) */
	pid = fork();
	if (pid == 0) {
		sqlite3	*r = open_db(NULL);
		int	 k, wrong = 0;

		for (k = 0; k < 400; k++) {
			if (one(r, "SELECT (SELECT count(*) FROM t) - (SELECT n FROM sums)") != 0)
				wrong++;
		}
		sqlite3_close(r);
		_exit(wrong ? 1 : 0);
	}
	bad = 0;
	for (i = 0; i < 100; i++)
		bad += insert_rows(db, 3, 1) != SQLITE_OK;
	is_int(bad, 0, "100 commits beside a reader");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the reader saw whole transactions only");
	sqlite3_close(db);

	/* killed in the middle of a transaction: its commits survive, the
	 * unfinished one leaves nothing */
	pid = fork();
	if (pid == 0) {
		sqlite3	*w = open_db(WALVFS_NAME);

		for (i = 0; i < 10; i++)
			if (insert_rows(w, 7, 1) != SQLITE_OK)
				_exit(2);
		exec(w, "PRAGMA cache_size=10; BEGIN IMMEDIATE");
		exec(w, "INSERT INTO t (v, pad) SELECT v, pad FROM t");
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "writer killed mid-transaction");
	db = open_db(WALVFS_NAME);
	n = one(db, "SELECT count(*) FROM t");
	is_int(n, 3140 + 300 + 70, "every commit kept, the unfinished one gone");
	is_int(one(db, "SELECT n FROM sums"), n, "consistent");
	ok(integrity_ok(db), "integrity check after recovery");
	sqlite3_close(db);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
