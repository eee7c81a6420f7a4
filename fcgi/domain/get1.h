/*
 * get1: the one way domain/ reads "one visible row by id" (lists, tasks,
 * the admin pages' rows), the count and the pages of the rows of one id (a
 * task's comments, history, completions), inline so a hot read costs no
 * extra call.
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
 * db_done(*stp, DB_ROW).  Otherwise the statement is already reset:
 * DB_NOTFOUND (no such row, or not visible) or the error, logged as what.
 */
static inline enum dbrc
db_get1(struct db *db, const char *sql, int64_t id, const struct actor *who,
    const char *what, struct dbstmt **stp)
{
	/* with who, the three parameters are bound below each time */
	struct dbstmt *st = who != NULL ? db_prep_bound(db, sql) : db_prep(db, sql);
	int	 rc;

	*stp = NULL;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	if (who != NULL) {
		db_bind_int(st, 2, who->sees_all != 0);
		db_bind_i64(st, 3, who->id);
	}
	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, what);
	}
	*stp = st;
	return DB_OK;
}

/*
 * Steps the literal sql, a count(*) that takes ?1 the id, into *n (0 on
 * error).  DB_OK or the error, logged as what.
 */
static inline enum dbrc
db_count1(struct db *db, const char *sql, int64_t id, const char *what, int64_t *n)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW)
		*n = db_col_i64(st, 0);
	rc = db_done(st, rc);
	return rc == DB_ROW ? DB_OK : db_rc(db, rc, what);
}

/*
 * Prepares the literal sql, a page of the rows of one id, binding ?1 the id,
 * ?2 the limit and ?3 the offset; NULL on error.  The caller steps it and
 * ends with db_done().
 */
static inline struct dbstmt *
db_page1(struct db *db, const char *sql, int64_t id, int64_t limit, int64_t offset)
{
	struct dbstmt *st = db_prep(db, sql);

	if (st != NULL) {
		db_bind_i64(st, 1, id);
		db_bind_i64(st, 2, limit);
		db_bind_i64(st, 3, offset);
	}
	return st;
}

#endif
