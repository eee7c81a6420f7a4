/*
 * get1: the one way domain/ reads "one visible row by id" (lists, tasks,
 * the admin pages' rows), inline so a hot read costs no extra call.
 */
#ifndef TASKMGR_GET1_H
#define TASKMGR_GET1_H

#include <stddef.h>

#include "db.h"
#include "lists.h"

/*
 * Steps the literal sql, which takes ?1 the id and, when who is not NULL,
 * ?2 the actor's sees_all and ?3 its id (sql holds the visibility test).
 * DB_OK: *stp is on the row; the caller reads its columns, then calls
 * db_done(*stp, SQLITE_ROW).  Otherwise the statement is already reset:
 * DB_NOTFOUND (no such row, or not visible) or the error, logged as what.
 */
static inline enum dbrc
db_get1(struct db *db, const char *sql, int64_t id, const struct actor *who,
    const char *what, sqlite3_stmt **stp)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int	 rc;

	*stp = NULL;
	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if (who != NULL) {
		sqlite3_bind_int(st, 2, who->sees_all != 0);
		sqlite3_bind_int64(st, 3, who->id);
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st, rc);
		return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, what);
	}
	*stp = st;
	return DB_OK;
}

#endif
