/*
 * pgdb: migrating a PostgreSQL database (configure --with-postgresql).
 * See pgdb.h; sql/pg/ holds the migrations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "pgdb.h"

/*
 * The advisory lock every 'taskmgr migrate' takes for its transaction
 * ("taskmgr" in ASCII): a second host migrating at the same time waits
 * for the first to commit, then reads the version it left.
 */
#define PG_MIGRATE_LOCK "32758245649901426"	/* 0x7461736b6d6772 */

/* Runs sql (one or more statements); 0, or -1 with the server's message printed. */
static int
run(PGconn *c, const char *sql, FILE *out)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int	 rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(out, "failed: %s", PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* The version in schema_version (0: no row yet), or -1 with the message printed. */
static int
read_version(PGconn *c, FILE *out)
{
	PGresult *r = PQexec(c, "SELECT version FROM schema_version");
	int	 v = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(out, "cannot read the schema version: %s", PQresultErrorMessage(r));
	else if (PQntuples(r) == 0)
		v = 0;
	else
		v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* Stores v as the schema version; 0 or -1 (printed). */
static int
write_version(PGconn *c, int v, FILE *out)
{
	char	 num[16];
	const char *params[1] = { num };
	PGresult *r;
	int	 rc = 0;

	snprintf(num, sizeof(num), "%d", v);
	r = PQexecParams(c, "INSERT INTO schema_version (one, version) VALUES (true, $1) "
	    "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(out, "cannot store the schema version: %s", PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/*
 * Applies what the database lacks inside the open transaction: 1 when it
 * applied some, 0 when the schema was up to date, -1 on failure (printed).
 */
static int
migrate_tx(PGconn *c, FILE *out)
{
	int	 cur, i, last = pg_migrations[n_pg_migrations - 1].version;

	/* the lock first: the table below is created by whoever comes first */
	if (run(c, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", out) < 0 ||
	    run(c, "CREATE TABLE IF NOT EXISTS schema_version ("
	    " one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),"
	    " version INTEGER NOT NULL)", out) < 0 ||
	    (cur = read_version(c, out)) < 0)
		return -1;
	if (cur > last) {
		fprintf(out, "the database is at schema version %d, newer than this "
		    "program's %d: upgrade taskmgr\n", cur, last);
		return -1;
	}
	if (cur != 0 && cur < pg_migrations[0].version) {
		fprintf(out, "the database is at schema version %d, older than the "
		    "PostgreSQL baseline %d: it was not made by taskmgr migrate\n",
		    cur, pg_migrations[0].version);
		return -1;
	}
	if (cur == last) {
		fprintf(out, "schema is up to date (version %d)\n", cur);
		return 0;
	}
	for (i = 0; i < n_pg_migrations; i++) {
		if (pg_migrations[i].version <= cur)
			continue;
		fprintf(out, "applying pg/%03d_%s ... ", pg_migrations[i].version,
		    pg_migrations[i].name);
		fflush(out);
		if (run(c, pg_migrations[i].sql, out) < 0)
			return -1;
		fprintf(out, "ok\n");
	}
	return write_version(c, last, out) < 0 ? -1 : 1;
}

/*
 * Pages sorted by a name (the admin lists, users by username) come in the
 * database's collation on PostgreSQL and in code point order on SQLite: the
 * same answers only when the database sorts as "C" does (C, POSIX or
 * C.UTF-8).  Compared by behaviour, not by name, so an ICU locale is caught
 * too; a warning, since a team may want its locale's order.  1 when it
 * sorts as "C" (or the question failed: nothing to warn about), else 0.
 */
static int
sorts_as_c(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT ('a' < 'B') = ('a' < 'B' COLLATE \"C\")"
	    " AND ('a-c' < 'ab') = ('a-c' < 'ab' COLLATE \"C\")"
	    " AND ('\xc3\xa9' < 'f') = ('\xc3\xa9' < 'f' COLLATE \"C\")");
	int	 as_c;

	as_c = !(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "f") == 0);
	PQclear(r);
	return as_c;
}

int
pg_migrate(const char *uri, FILE *out)
{
	PGconn	*c;
	int	 v = -1, as_c = 1;

	if (n_pg_migrations == 0) {
		fprintf(out, "this build has no PostgreSQL migrations\n");
		return -1;
	}
	c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		/* libpq's message names the host, never the password */
		fprintf(out, "cannot connect to ");
		config_print_database(uri, out);
		fprintf(out, ": %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	/* the notices of IF NOT EXISTS and the like are not ours to print */
	if (run(c, "SET client_min_messages = warning", out) == 0 &&
	    run(c, "BEGIN", out) == 0) {
		if ((v = migrate_tx(c, out)) < 0 || run(c, "COMMIT", out) < 0) {
			v = -1;
			PQclear(PQexec(c, "ROLLBACK"));
		}
	}
	if (v >= 0)
		as_c = sorts_as_c(c);
	PQfinish(c);
	if (v < 0)
		return -1;
	if (v == 1)
		fprintf(out, "schema now at version %d\n", pg_migrations[n_pg_migrations - 1].version);
	if (!as_c)
		fprintf(out, "warning: this database sorts text by its locale, not by "
		    "code point as SQLite does, so pages sorted by name may come in "
		    "another order than on SQLite; create it with LOCALE 'C' (or "
		    "'C.UTF-8') for the same order (README, \"PostgreSQL and several "
		    "hosts\")\n");
	return 0;
}
