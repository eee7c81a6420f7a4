/*
 * test_dbstmt: the cached statements of db_prep() and db_prep_bound() on
 * SQLite.  A statement db_done() reset is used again as it is; one a
 * caller left stepped without db_done() (run to its end, or stopped at a
 * row) still takes its new bindings: never the bindings of its last use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbstmt.h"
#include "tap.h"
#include "unit_db.h"

static struct db db;

/* The value of k's row through the one cached statement; -1: none. */
static const char get_sql[] = "SELECT v FROM t WHERE k = ?1";

static int64_t
get(int bound, int64_t k, int done)
{
	struct dbstmt *st = bound ? db_prep_bound(&db, get_sql) : db_prep(&db, get_sql);
	int64_t	 v = -1;
	int	 rc;

	if (st == NULL)
		return -2;
	db_bind_i64(st, 1, k);
	if ((rc = db_step(st)) == DB_ROW) {
		v = db_col_i64(st, 0);
		rc = db_step(st);	/* to its end: DB_DONE */
	}
	if (done)
		db_done(st, rc);
	return v;
}

/* Steps the insert and, if done, resets it. */
static const char put_sql[] = "INSERT INTO t (k, v) VALUES (?1, ?2)";

static int
put(int bound, int64_t k, int64_t v, int done)
{
	struct dbstmt *st = bound ? db_prep_bound(&db, put_sql) : db_prep(&db, put_sql);
	int	 rc;

	if (st == NULL)
		return -2;
	db_bind_i64(st, 1, k);
	db_bind_i64(st, 2, v);
	rc = db_step(st);
	if (done)
		db_done(st, rc);
	return rc;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX";
	struct dbstmt *st;
	int	 bound;

	if (unit_db_open(&db, path) != 0)
		return 1;
	is_int(db_exec(&db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)"), DB_OK,
	    "a table");
	for (bound = 0; bound <= 1; bound++) {
		const char *how = bound ? "db_prep_bound" : "db_prep";

		db_exec(&db, "DELETE FROM t");
		is_int(put(bound, 1, 10, 1), DB_DONE, "%s: insert, reset by db_done", how);
		is_int(put(bound, 2, 20, 0), DB_DONE, "%s: insert, left without db_done", how);
		is_int(put(bound, 3, 30, 0), DB_DONE,
		    "%s: the next insert binds its own values", how);
		is_int(unit_q1(db.h, "SELECT v FROM t WHERE k = 3", -1), 30, "%s: ... row 3", how);
		is_int(unit_q1(db.h, "SELECT count(*) FROM t", -1), 3,
		    "%s: ... and no row was written twice", how);
		put(bound, 4, 40, 1);

		is_int(get(bound, 1, 1), 10, "%s: a read, reset by db_done", how);
		is_int(get(bound, 2, 0), 20, "%s: a read run to its end, no db_done", how);
		is_int(get(bound, 3, 1), 30, "%s: the next read binds its own key", how);
		is_int(get(bound, 9, 0), -1, "%s: a read of nothing, no db_done", how);
		is_int(get(bound, 4, 1), 40, "%s: ... then the next key", how);

		/* stopped at its first row, no db_done */
		st = bound ? db_prep_bound(&db, get_sql) : db_prep(&db, get_sql);
		db_bind_i64(st, 1, 1);
		is_int(db_step(st), DB_ROW, "%s: a read stopped at its row", how);
		is_int(get(bound, 2, 1), 20, "%s: ... the next use reads its own key", how);
	}
	unit_db_remove(&db, path);
	return tap_done();
}
