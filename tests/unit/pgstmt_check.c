/*
 * pgstmt_check: dbstmt.h's statements on PostgreSQL (pgstmt.c), on the
 * database named by the URI in TMTEST_PG_URI.  tests/unit/test_pgstmt.py
 * starts a throwaway cluster for it and runs it under make check (a build
 * --with-postgresql only).  Without the variable only the translation of
 * ?N is tested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "pgstmt.h"
#include "sqltext.h"
#include "tap.h"

static struct db db;

/* pgst_translate of sql, or "(error)". */
static const char *
tr(const char *sql, int *n)
{
	static char out[512];

	*n = -1;
	if (pgst_translate(sql, out, sizeof(out), n) < 0)
		return "(error)";
	return out;
}

static void
test_translate(void)
{
	char	 small[8];
	int	 n;

	is_str(tr("SELECT ?1, ?2, ?1", &n), "SELECT $1, $2, $1", "?N becomes $N, repeated too");
	is_int(n, 2, "two parameters");
	is_str(tr("SELECT ?, ?, ?", &n), "SELECT $1, $2, $3", "bare ? count up");
	is_str(tr("SELECT ?3, ?", &n), "SELECT $3, $4", "a bare ? after ?3 is ?4, as SQLite numbers it");
	is_int(n, 4, "the largest is the count");
	is_str(tr("SELECT '?1 it''s ?', ?1", &n), "SELECT '?1 it''s ?', $1",
	    "question marks inside a literal (with '') stay");
	is_int(n, 1, "and are not parameters");
	is_str(tr("SELECT \"a?\" FROM t -- what ?\nWHERE x = ?", &n),
	    "SELECT \"a?\" FROM t -- what ?\nWHERE x = $1", "quoted names and -- comments stay");
	is_str(tr("/* ?2 */ SELECT ?1 /* ? */", &n), "/* ?2 */ SELECT $1 /* ? */",
	    "block comments stay");
	is_int(n, 1, "one parameter");
	is_str(tr("SELECT 1", &n), "SELECT 1", "no parameters");
	is_int(n, 0, "none counted");
	is_str(tr("SELECT ?0", &n), "(error)", "?0 is refused");
	is_str(tr("SELECT ?1000", &n), "(error)", "?1000 is past the limit");
	ok(pgst_translate("SELECT ?1, ?2", small, sizeof(small), &n) < 0,
	    "a text that does not fit is refused");
}

/* Runs sql through the layer, expecting no rows; the step's code. */
static int
run(const char *sql)
{
	struct dbstmt *st = db_prep(&db, sql);

	return st == NULL ? -1 : db_done(st, db_step(st));
}

static const char ins[] =
    "INSERT INTO t (i, d, s, b, flag, u, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/* Inserts a row with u and n; its id, or -1. */
static int64_t
insert(const char *u, int n)
{
	struct dbstmt *st = db_prep(&db, ins);
	int64_t	 id = -1;

	if (st == NULL)
		return -1;
	db_bind_i64(st, 1, 7);
	db_bind_text(st, 6, u);
	db_bind_int(st, 7, n);
	if (db_insert_id(&db, st, "insert", &id) != DB_OK)
		return -1;
	return id;
}

static void
test_types(void)
{
	static const char sel[] =
	    "SELECT id, i, d, s, b, flag, u, n, fk FROM t WHERE id = ?1";
	static const unsigned char blob[] = { 0, 1, 0xff, '\\', 'x', 0, 0x80 };
	struct dbstmt *st;
	int64_t	 id = 0;

	ok(run("CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	    " i BIGINT, d DOUBLE PRECISION, s TEXT, b BYTEA, flag INTEGER,"
	    " u TEXT UNIQUE, n INTEGER CHECK (n >= 0), fk BIGINT REFERENCES t (id))") == DB_DONE,
	    "a statement without rows is DONE");
	st = db_prep(&db, ins);
	ok(st != NULL, "prepared");
	db_bind_i64(st, 1, INT64_C(-9007199254740993));
	db_bind_double(st, 2, 2.5);
	db_bind_textn(st, 3, "héllo?world", 6, DB_TRANSIENT);
	db_bind_blob(st, 4, blob, (int)sizeof(blob), DB_STATIC);
	db_bind_int(st, 5, 1);
	db_bind_text(st, 6, "one");
	db_bind_int(st, 7, 3);
	is_int(db_insert_id(&db, st, "insert", &id), DB_OK, "db_insert_id: INSERT ... RETURNING id");
	is_int(id, 1, "the new id");
	is_int(db_changes(&db), 1, "one row changed");

	st = db_prep(&db, sel);
	db_bind_i64(st, 1, id);
	is_int(db_step(st), DB_ROW, "the row");
	is_int(db_col_i64(st, 1), INT64_C(-9007199254740993), "int64 round trip");
	ok(db_col_double(st, 2) == 2.5, "double round trip");
	is_str(db_col_str(st, 3), "héllo", "text of n bytes");
	is_int(db_col_bytes(st, 3), 6, "its length in bytes");
	ok(db_col_bytes(st, 4) == (int)sizeof(blob) &&
	    memcmp(db_col_blob(st, 4), blob, sizeof(blob)) == 0, "blob round trip, NULs kept");
	is_int(db_col_bytes(st, 4), (int)sizeof(blob), "the blob's length");
	is_int(db_col_int(st, 5), 1, "an int bound to an INTEGER column");
	is_int(db_col_i64(st, 7), 3, "an INTEGER column");
	ok(db_col_isnull(st, 8) && !db_col_isnull(st, 7), "isnull");
	is_int(db_col_i64(st, 8), 0, "the integer of NULL is 0");
	ok(db_col_double(st, 8) == 0, "the double of NULL is 0");
	ok(db_col_str(st, 8) == NULL, "the text of NULL is NULL");
	is_str(db_col_text(st, 8), "", "db_col_text of NULL is \"\"");
	is_int(db_col_bytes(st, 8), 0, "the length of NULL is 0");
	is_int(db_col_i64(st, 3), 0, "the integer of text that is no number is 0");
	is_int(db_step(st), DB_DONE, "then DONE");
	is_int(db_step(st), DB_DONE, "and DONE again");
	db_done(st, DB_DONE);

	/* NULLs bound, and bindings cleared by db_prep */
	st = db_prep(&db, ins);
	db_bind_null(st, 1);
	db_bind_text(st, 3, NULL);
	db_bind_text(st, 6, "two");
	db_bind_i64(st, 7, 0);
	is_int(db_insert_id(&db, st, "insert", &id), DB_OK, "a row of NULLs");
	st = db_prep(&db, sel);
	db_bind_i64(st, 1, id);
	ok(db_step(st) == DB_ROW && db_col_isnull(st, 1) && db_col_isnull(st, 2) &&
	    db_col_isnull(st, 3) && db_col_isnull(st, 4) && db_col_isnull(st, 5),
	    "NULL bound and unbound parameters are NULL");
	db_done(st, DB_ROW);
	ok(db_bind_i64(st, 2, 1) != DB_RC_OK, "a parameter past the last is refused");

	st = db_prep(&db, "SELECT 1 = 1, 1 = 2, 1.5::numeric");
	ok(db_step(st) == DB_ROW && db_col_int(st, 0) == 1 && db_col_int(st, 1) == 0,
	    "a boolean is 1 or 0");
	ok(db_col_double(st, 2) == 1.5 && db_col_i64(st, 2) == 1, "a numeric converts");
	db_done(st, DB_ROW);

	/* a type of the first binding; another kind later goes as text */
	st = db_prep(&db, "SELECT ?1 + ?1, ?2");
	db_bind_i64(st, 1, 20);
	db_bind_text(st, 2, "x");
	ok(db_step(st) == DB_ROW && db_col_i64(st, 0) == 40, "?1 twice");
	is_str(db_col_str(st, 1), "x", "a text parameter");
	db_done(st, DB_ROW);
	st = db_prep(&db, "SELECT ?1 + ?1, ?2");
	db_bind_text(st, 1, "21");
	db_bind_i64(st, 2, 5);
	ok(db_step(st) == DB_ROW && db_col_i64(st, 0) == 42, "text bound where int8 was: converted");
	is_str(db_col_str(st, 1), "5", "an integer bound where text was");
	db_done(st, DB_ROW);
	st = db_prep(&db, "SELECT ?1, ?4");
	db_bind_i64(st, 1, 1);
	db_bind_text(st, 3, "skipped");
	ok(db_step(st) == DB_ROW && db_col_i64(st, 0) == 1 && db_col_isnull(st, 1),
	    "?2 and ?3 skipped by the text, ?3 bound all the same, ?4 NULL");
	db_done(st, DB_ROW);
}

static int rollbacks;

static void
on_rollback(void *arg)
{
	++*(int *)arg;
}

/* Rows of t. */
static int64_t
count(void)
{
	struct dbstmt *st = db_prep(&db, "SELECT count(*) FROM t");
	int64_t	 n = -1;

	if (st != NULL && db_step(st) == DB_ROW)
		n = db_col_i64(st, 0);
	db_done(st, DB_ROW);
	return n;
}

static void
test_rows_and_errors(void)
{
	struct dbstmt *st;
	int	 rc, rows = 0;

	rc = run("INSERT INTO t (u, n) VALUES ('one', 1)");
	is_int(rc, DB_RC_UNIQUE, "a duplicate key is DB_RC_UNIQUE");
	is_int(rc & 0xff, DB_RC_CONSTRAINT, "a constraint");
	is_int(db_rc(&db, rc, "test"), DB_CONFLICT, "db_rc: conflict");
	ok(strstr(db_errmsg(&db), "duplicate key") != NULL, "the message is kept: %s",
	    db_errmsg(&db));
	ok(strstr(db_errmsg(&db), "one") == NULL, "but not its DETAIL, the key's value");
	rc = run("INSERT INTO t (u, n) VALUES ('neg', -1)");
	ok(rc != DB_RC_UNIQUE && (rc & 0xff) == DB_RC_CONSTRAINT, "a CHECK: a constraint");
	is_int(db_rc(&db, rc, "test"), DB_INVALID, "db_rc: invalid");
	rc = run("INSERT INTO t (u, fk) VALUES ('fk', 999)");
	ok(rc != DB_RC_UNIQUE && (rc & 0xff) == DB_RC_CONSTRAINT, "a foreign key: a constraint");
	rc = run("INSERT INTO t (id) OVERRIDING SYSTEM VALUE VALUES (NULL)");
	ok(rc != DB_RC_UNIQUE && (rc & 0xff) == DB_RC_CONSTRAINT, "NOT NULL: a constraint");
	rc = run("SELECT nosuchcolumn FROM t");
	is_int(rc, DB_RC_ERROR, "an unknown column: an error");
	is_int(db_rc(&db, rc, "test"), DB_ERROR, "db_rc: error");

	is_int(run("UPDATE t SET i = 8"), DB_DONE, "an UPDATE");
	is_int(db_changes(&db), 2, "changed both rows");
	st = db_prep(&db, "SELECT u FROM t ORDER BY id");
	while ((rc = db_step(st)) == DB_ROW)
		rows++;
	db_done(st, rc);
	is_int(rows, 2, "the rows walked");
	is_int(db_changes(&db), 2, "a SELECT leaves db_changes");
	st = db_prep(&db, "DELETE FROM t WHERE u = ?1");
	db_bind_text(st, 1, "nobody");
	is_int(db_done(st, db_step(st)), DB_DONE, "a DELETE of nothing");
	is_int(db_changes(&db), 0, "changed none");
}

static void
test_transactions(PGconn *other)
{
	PGresult *r;
	int	 rc;

	is_int(db_begin(&db), DB_OK, "begin");
	ok(insert("rolled back", 1) > 0, "an insert inside");
	db_rollback(&db);
	is_int(count(), 2, "rollback: the row is gone");
	is_int(db_begin(&db), DB_OK, "begin");
	ok(insert("kept", 1) > 0, "an insert inside");
	is_int(db_commit(&db), DB_OK, "commit");
	is_int(count(), 3, "commit: the row stays");

	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), 3, "its snapshot");
	PQclear(PQexec(other, "INSERT INTO t (u, n) VALUES ('other', 1)"));
	is_int(count(), 3, "another connection's commit is not seen inside it");
	db_read_end(&db);
	is_int(count(), 4, "it is once the read transaction ends");

	/* busy: a lock another connection holds, with a short lock_timeout */
	is_int(db_exec(&db, "SET lock_timeout = '100ms'"), DB_OK, "lock_timeout");
	r = PQexec(other, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
	ok(PQresultStatus(r) == PGRES_COMMAND_OK, "another connection locks t");
	PQclear(r);
	rc = run("UPDATE t SET i = 9");
	is_int(rc, DB_RC_BUSY, "lock not available is DB_RC_BUSY");
	is_int(db_rc(&db, rc, "test"), DB_BUSY, "db_rc: busy");
	PQclear(PQexec(other, "ROLLBACK"));

	/* writers queue on one advisory lock, as on SQLite's write lock */
	r = PQexec(other, "SELECT pg_advisory_lock(" PG_WRITE_LOCK ")");
	ok(PQresultStatus(r) == PGRES_TUPLES_OK, "another writer holds the write lock");
	PQclear(r);
	is_int(db_begin(&db), DB_BUSY, "so db_begin waits, then is busy");
	ok(pgst_autocommit(), "and no transaction is left open");
	PQclear(PQexec(other, "SELECT pg_advisory_unlock(" PG_WRITE_LOCK ")"));
	is_int(db_begin(&db), DB_OK, "free again: begin");
	is_int(db_commit(&db), DB_OK, "commit");
	is_int(db_exec(&db, "SET lock_timeout = 0"), DB_OK, "lock_timeout off");

	/* an error inside a transaction: rollback makes the connection usable */
	db_rollback_hook(&db, on_rollback, &rollbacks);
	is_int(db_begin(&db), DB_OK, "begin");
	is_int(db_rc(&db, run("INSERT INTO t (u, n) VALUES ('one', 1)"), "test"), DB_CONFLICT,
	    "a conflict inside");
	db_rollback(&db);
	is_int(rollbacks, 1, "db_rollback_hook's function ran");
	is_int(count(), 4, "after the rollback the connection works");
	/* a COMMIT of a transaction a failure ended fails, as on SQLite */
	is_int(db_begin(&db), DB_OK, "begin");
	ok(run("SELECT nosuchcolumn FROM t") == DB_RC_ERROR, "a failure inside");
	ok(db_commit(&db) != DB_OK, "its COMMIT is an error, not a success");
	is_int(rollbacks, 2, "and ran the rollback hook");
	ok(pgst_autocommit(), "no transaction is left open");
}

/* The state of backend pid in pg_stat_activity, as another connection sees it. */
static const char *
state_of(PGconn *other, long long pid)
{
	static char state[40];
	char	 q[96];
	PGresult *r;

	snprintf(q, sizeof(q), "SELECT state FROM pg_stat_activity WHERE pid = %lld", pid);
	r = PQexec(other, q);
	snprintf(state, sizeof(state), "%s", PQresultStatus(r) == PGRES_TUPLES_OK &&
	    PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "(none)");
	PQclear(r);
	return state;
}

/* This connection's backend pid, or -1. */
static long long
backend_pid(void)
{
	struct dbstmt *st = db_prep(&db, "SELECT pg_backend_pid()");
	long long pid = -1;

	if (st != NULL && db_step(st) == DB_ROW)
		pid = (long long)db_col_i64(st, 0);
	db_done(st, DB_ROW);
	return pid;
}

/*
 * Waits, bounded, until backend pid's state is want, as another connection
 * sees it (the server works on its own time); the last state seen.
 */
static const char *
wait_state(PGconn *other, long long pid, const char *want)
{
	const char *state = state_of(other, pid);
	int	 i;

	for (i = 0; i < 500 && strcmp(state, want) != 0; i++) {
		usleep(10000);
		state = state_of(other, pid);
	}
	return state;
}

/*
 * A read transaction's round trips: its BEGIN goes with its first
 * statement, its COMMIT is not waited for.
 */
static void
test_read_round_trips(PGconn *other)
{
	unsigned long before;
	long long pid;
	int	 n, rolled;

	pid = backend_pid();
	ok(run("CREATE TABLE schema_version (version INTEGER)") == DB_DONE &&
	    run("INSERT INTO schema_version VALUES (7)") == DB_DONE, "a schema version");
	before = pgst_round_trips();
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_str(state_of(other, pid), "idle", "its BEGIN waits for its first statement");
	db_read_end(&db);
	is_int((int)(pgst_round_trips() - before), 0, "a read transaction of no statement sends nothing");
	ok(pgst_autocommit(), "and leaves none open");

	n = (int)count();
	before = pgst_round_trips();
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n, "its first statement");
	is_str(state_of(other, pid), "idle in transaction", "went with its BEGIN");
	PQclear(PQexec(other, "INSERT INTO t (u, n) VALUES ('unseen', 1)"));
	is_int(count(), n, "its snapshot holds");
	db_read_end(&db);
	is_int((int)(pgst_round_trips() - before), 2,
	    "two statements: two round trips, the COMMIT not waited for");
	ok(pgst_autocommit(), "no transaction is left open");
	is_str(wait_state(other, pid, "idle"), "idle",
	    "the server ends the transaction without another statement");
	is_int(count(), n + 1, "the next statement runs outside it");
	is_int((int)(pgst_round_trips() - before), 3,
	    "one round trip: the COMMIT's answer was there");

	/* each of the connection's uses after a COMMIT not waited for */
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 1, "reads");
	db_read_end(&db);
	is_int(db_begin(&db), DB_OK, "then a write transaction's BEGIN");
	ok(insert("after a read", 1) > 0, "writes");
	is_int(db_commit(&db), DB_OK, "and commits");
	is_int(count(), n + 2, "seen by the next statement");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 2, "reads");
	db_read_end(&db);
	is_int(db_exec(&db, "SET lock_timeout = 0"), DB_OK, "then db_exec");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 2, "reads");
	db_read_end(&db);
	is_int(db_schema_version(&db), 7, "then the schema version");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 2, "reads");
	db_read_end(&db);
	PQclear(PQexec(other, "INSERT INTO t (u, n) VALUES ('unseen too', 1)"));
	is_int(db_read_begin(&db), DB_OK, "then another read transaction");
	is_int(count(), n + 3, "on a new snapshot");
	db_read_end(&db);
	{
		static const char fresh[] = "SELECT count(*) FROM t WHERE n = ?1";
		struct dbstmt *st = db_prep(&db, fresh);

		db_bind_int(st, 1, 1);
		ok(db_step(st) == DB_ROW && db_col_i64(st, 0) > 0,
		    "a statement prepared after it (PQprepare)");
		db_done(st, DB_ROW);
	}

	/* a read transaction that writes commits before db_read_end returns */
	n = (int)count();
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n, "reads");
	ok(insert("written in a read", 1) > 0, "then writes");
	before = pgst_round_trips();
	db_read_end(&db);
	is_int((int)(pgst_round_trips() - before), 1, "its COMMIT is waited for");
	{
		PGresult *r = PQexec(other, "SELECT count(*) FROM t WHERE u = 'written in a read'");

		ok(PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "1") == 0,
		    "its write is committed when db_read_end returns");
		PQclear(r);
	}
	/* a SELECT that writes (its command tag is SELECT): its COMMIT waits too */
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 1, "reads");
	ok(run("WITH w AS (INSERT INTO t (u, n) VALUES ('written by a WITH', 1) RETURNING id)"
	    " SELECT count(*) FROM w") == DB_ROW, "then a WITH that inserts, a SELECT");
	before = pgst_round_trips();
	db_read_end(&db);
	is_int((int)(pgst_round_trips() - before), 1, "its COMMIT is waited for");
	n++;
	/* a failure inside a read transaction: the rollback hook, as before */
	rolled = rollbacks;
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	ok(run("SELECT 1 / (n - n) FROM t") == DB_RC_ERROR, "a failure inside (at execution)");
	db_read_end(&db);
	is_int(rollbacks, rolled + 1, "its end ran the rollback hook");
	ok(pgst_autocommit(), "no transaction is left open");
	is_int(count(), n + 1, "the connection works");
}

/* The server's prepared statements whose text is sql. */
static int
prepared(const char *sql)
{
	struct dbstmt *st = db_prep(&db,
	    "SELECT count(*) FROM pg_prepared_statements WHERE statement = ?1");
	int	 n = -1;

	db_bind_text(st, 1, sql);
	if (db_step(st) == DB_ROW)
		n = db_col_int(st, 0);
	db_done(st, DB_ROW);
	return n;
}

static void
test_cache(void)
{
	static const char sql[] = "SELECT ?1 * 2";
	struct dbstmt *a, *b;
	int	 once, i, rc;

	a = db_prep(&db, sql);
	db_bind_i64(a, 1, 1);
	db_done(a, db_step(a));
	for (i = 0; i < 3; i++) {
		b = db_prep(&db, sql);
		db_bind_i64(b, 1, i);
		rc = db_step(b);
		ok(b == a && rc == DB_ROW && db_col_i64(b, 0) == 2 * i,
		    "the cached statement again (%d)", i);
		db_done(b, rc);
	}
	is_int(prepared("SELECT $1 * 2"), 1, "prepared once on the server");

	/* a connection ended from outside: the next statement connects again */
	{
		PGconn *killer = PQconnectdb(getenv("TMTEST_PG_URI"));
		char	 q[96];
		PGresult *r;

		a = db_prep(&db, "SELECT pg_backend_pid()");
		ok(db_step(a) == DB_ROW, "this connection's pid");
		snprintf(q, sizeof(q), "SELECT pg_terminate_backend(%lld)",
		    (long long)db_col_i64(a, 0));
		db_done(a, DB_ROW);
		r = PQexec(killer, q);
		ok(PQresultStatus(r) == PGRES_TUPLES_OK, "ended by another connection");
		PQclear(r);
		PQfinish(killer);
		/* a SELECT outside a transaction finds it lost: run again once */
		b = db_prep(&db, sql);
		db_bind_i64(b, 1, 21);
		rc = db_step(b);
		is_int(rc, DB_ROW, "the cached statement runs again, prepared anew");
		ok(rc == DB_ROW && db_col_i64(b, 0) == 42, "answered after connecting again");
		db_done(b, rc);
	}
	b = sql_stmt(&db, 0x7f000001, "SELECT 'built at run time', ?1", &once);
	ok(b != NULL && !once, "sql_stmt: an interned text is cached");
	db_bind_i64(b, 1, 3);
	ok(db_step(b) == DB_ROW && db_col_i64(b, 1) == 3, "and runs");
	sql_stmt_end(b, once);
}

/*
 * Ends backend pid from another connection (as a server's restart does)
 * and waits, bounded, until it is gone; 1 when it is.
 */
static int
terminate(PGconn *other, long long pid)
{
	char	 q[96];
	PGresult *r;
	int	 i, gone = 0;

	snprintf(q, sizeof(q), "SELECT pg_terminate_backend(%lld)", pid);
	PQclear(PQexec(other, q));
	snprintf(q, sizeof(q), "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld", pid);
	for (i = 0; i < 500 && !gone; i++) {
		r = PQexec(other, q);
		gone = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 0;
		PQclear(r);
		if (!gone)
			usleep(10000);
	}
	return pid > 0 && gone;
}

/* Ends this connection from another one: terminate(). */
static int
kill_self(PGconn *other)
{
	return terminate(other, backend_pid());
}

/* A connection found lost by a transaction's first statement: run again once. */
static void
test_retry(PGconn *other)
{
	int64_t	 n = count();
	long long pid, pid2;

	ok(kill_self(other), "ended before a read transaction");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n, "its first statement is answered, on a new connection");
	db_read_end(&db);

	ok(kill_self(other), "ended before a write transaction");
	is_int(db_begin(&db), DB_OK, "begin: on a new connection, the lock taken");
	ok(insert("retried", 1) > 0, "its first statement");
	is_int(db_commit(&db), DB_OK, "commit");
	is_int(count(), n + 1, "the row is there");

	/* a write outside a transaction may have been committed: never again */
	ok(kill_self(other), "ended before a write outside a transaction");
	is_int(run("UPDATE t SET n = n WHERE u = 'retried'"), DB_RC_ERROR,
	    "the write fails, not run again");
	is_int(count(), n + 1, "then the connection works again");

	/* once a statement of the transaction went through: never again */
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 1, "its first statement");
	ok(kill_self(other), "ended inside it");
	is_int(count(), -1, "the next statement fails, not run again");
	db_read_end(&db);
	is_int(count(), n + 1, "then the connection works again");

	/* ended after a read's COMMIT went, its answer unread: the next use */
	pid = backend_pid();
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 1, "reads");
	db_read_end(&db);
	ok(terminate(other, pid), "ended after its COMMIT was sent");
	is_int(db_read_begin(&db), DB_OK, "the next read transaction");
	is_int(count(), n + 1, "its first statement is answered, on a new connection");
	db_read_end(&db);
	ok((pid2 = backend_pid()) != pid && pid2 > 0, "a new backend");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 1, "reads");
	db_read_end(&db);
	ok(terminate(other, pid2), "ended after its COMMIT was sent");
	is_int(count(), n + 1, "a SELECT outside a transaction is answered, on a new connection");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(count(), n + 1, "reads");
	db_read_end(&db);
	ok(terminate(other, backend_pid()), "ended after its COMMIT was sent");
	is_int(db_begin(&db), DB_OK, "a write's BEGIN: on a new connection, the lock taken");
	ok(insert("after a lost read", 1) > 0, "its first statement");
	is_int(db_commit(&db), DB_OK, "commit");
	is_int(count(), n + 2, "the row is there");

	is_int(db_begin(&db), DB_OK, "begin");
	ok(insert("lost", 1) > 0, "a first insert");
	ok(kill_self(other), "ended inside the write transaction");
	is_int(insert("lost", 2), -1, "the next insert fails, not run again");
	db_rollback(&db);
	ok(pgst_autocommit(), "no transaction is left open");
	is_int(count(), n + 2, "nothing of it was kept");
}

static void
test_insert_id(void)
{
	static const char sql[] = "INSERT INTO t (u, n) VALUES (?1, 1)";
	struct dbstmt *st = db_prep(&db, sql);
	int64_t	 id = 0, before = insert("before", 1);

	db_bind_text(st, 1, "plain");
	is_int(db_done(st, db_step(st)), DB_DONE, "an INSERT stepped as it is");
	st = db_prep(&db, sql);
	db_bind_text(st, 1, "with id");
	is_int(db_insert_id(&db, st, "insert", &id), DB_OK,
	    "then through db_insert_id: prepared again with RETURNING id");
	is_int(id, before + 2, "its id");
	st = db_prep(&db, "SELECT id FROM t WHERE u = 'with id'");
	ok(db_step(st) == DB_ROW && db_col_i64(st, 0) == id, "is the row's");
	db_done(st, DB_ROW);
}

/* ?1 first bound NULL where the text gives it no type, in a transaction;
 * n: how many of 'abc' and 'xyz' it matches (3 for NULL: no filter). */
static int
matches(const char *needle)
{
	static const char sql[] = "SELECT count(*) FROM (VALUES ('abc'), ('xyz'), ('abd'))"
	    " v (s) WHERE ?1 IS NULL OR instr(s, ?1) > 0";
	struct dbstmt *st = db_prep(&db, sql);
	int	 n = -1;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, needle);
	if (db_step(st) == DB_ROW)
		n = (int)db_col_i64(st, 0);
	db_done(st, DB_ROW);
	return n;
}

static void
test_untyped_null(void)
{
	static const char upd[] = "UPDATE t SET n = ?2 WHERE u = ?3";
	struct dbstmt *st;

	ok(run("CREATE FUNCTION instr(h text, n text) RETURNS integer LANGUAGE sql"
	    " IMMUTABLE STRICT RETURN strpos(h, n)") == DB_DONE, "instr()");
	is_int(db_read_begin(&db), DB_OK, "a read transaction");
	is_int(matches(NULL), 3, "?1 IS NULL OR instr(s, ?1): NULL first, typed text");
	is_int(matches("ab"), 2, "then a text, in the same transaction");
	db_read_end(&db);
	is_int(matches("x"), 1, "and after it");
	/* ?1 is not in the text: bound NULL first (typed int8), then a text */
	st = db_prep(&db, upd);
	db_bind_null(st, 1);
	db_bind_int(st, 2, 5);
	db_bind_text(st, 3, "kept");
	is_int(db_done(st, db_step(st)), DB_DONE, "a ?N the text skips, bound NULL");
	st = db_prep(&db, upd);
	db_bind_text(st, 1, "not a number");
	db_bind_int(st, 2, 6);
	db_bind_text(st, 3, "kept");
	is_int(db_done(st, db_step(st)), DB_DONE, "then bound to a text: sent as NULL");
}

int
main(void)
{
	const char *uri = getenv("TMTEST_PG_URI");
	char	 err[512];
	PGconn	*other;

	test_translate();
	if (uri == NULL || *uri == '\0') {
		printf("# TMTEST_PG_URI unset: only the translation was tested\n");
		return tap_done();
	}
	ok(db_is_sqlite(), "SQLite until a PostgreSQL database is opened");
	if (pg_open(&db, uri, err, sizeof(err)) < 0) {
		ok(0, "pg_open: %s", err);
		return tap_done();
	}
	ok(!db_is_sqlite(), "PostgreSQL once opened");
	other = PQconnectdb(uri);
	ok(PQstatus(other) == CONNECTION_OK, "a second connection");
	test_types();
	test_rows_and_errors();
	test_transactions(other);
	test_read_round_trips(other);
	test_cache();
	test_retry(other);
	test_insert_id();
	test_untyped_null();
	PQfinish(other);
	db_close(&db);
	ok(db_is_sqlite(), "closed: SQLite again");
	return tap_done();
}
