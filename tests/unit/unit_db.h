/*
 * unit_db.h: what the domain unit tests share: a new migrated database
 * under /tmp, its removal, and a query for one integer.
 */
#ifndef TASKMGR_UNIT_DB_H
#define TASKMGR_UNIT_DB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "tap.h"
#include "username.h"

/*
 * Makes a new file of the mkstemp() template path (its XXXXXX replaced),
 * opens it into db and migrates it, the opening and the migration each an
 * assertion.  -1 when no file could be made.
 */
static inline int
unit_db_open(struct db *db, char *path)
{
	char	 err[256] = "";
	FILE	*devnull;
	int	 fd;

	if ((fd = mkstemp(path)) < 0)
		return -1;
	close(fd);
	ok(db_open(db, path, DB_OPEN_CREATE, err, sizeof(err)) == 0, "open %s", err);
	username_sql_register(db);
	devnull = fopen("/dev/null", "w");
	ok(devnull != NULL && db_migrate(db, devnull) == 0, "migrate");
	if (devnull != NULL)
		fclose(devnull);
	return 0;
}

/* Closes db and removes path, with its -wal and -shm. */
static inline void
unit_db_remove(struct db *db, const char *path)
{
	char	 side[512];

	db_close(db);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/*
 * One integer from sql on h with one bound integer (none when arg < 0):
 * -1 when there is no row, -2 when sql does not prepare.
 */
static inline int64_t
unit_q1(sqlite3 *h, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t	 v = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (arg >= 0)
		sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * The EXPLAIN QUERY PLAN of sql on h into out: its detail rows, each
 * followed by '|' (empty when sql does not prepare).
 */
static inline void
unit_plan(sqlite3 *h, const char *sql, char *out, size_t len)
{
	char	 q[2048];
	sqlite3_stmt *st;

	out[0] = '\0';
	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(h, q, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out + strlen(out), len - strlen(out), "%s|",
		    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

#endif
