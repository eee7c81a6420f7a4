/*
 * dbstmt: the statements storage code uses, the same calls on SQLite and
 * on PostgreSQL (configure --with-postgresql, database = postgresql://...).
 *
 * A statement comes from db_prep() (db.h), cached by the address of its
 * SQL text; the caller binds (?N counts from 1), steps, reads the columns
 * of a row (from 0) and calls db_done() on every path.  The result codes
 * are SQLite's numbers under our names: db_step() returns DB_ROW (a row is
 * there), DB_DONE (no more) or a failure, DB_RC_CONSTRAINT (with
 * DB_RC_UNIQUE, an extended code, for a duplicate key), DB_RC_BUSY or
 * DB_RC_ERROR; db_rc() maps any of them to an enum dbrc.
 *
 * On SQLite each call is an inline wrapper over the sqlite3 call; a
 * process-global flag, set when a PostgreSQL database is opened, sends
 * them to pgstmt.c instead (a build without PostgreSQL has no flag).  Text
 * and blob bindings say whether the bytes stay valid until the statement
 * is done (DB_STATIC) or must be copied (DB_TRANSIENT).  Column values
 * convert as SQLite converts them: the number of a NULL is 0, its text
 * NULL (db_col_str) or "" (db_col_text).
 *
 * What stays SQLite's own (the connection's pragmas and hooks, walvfs,
 * sqlmem, the backup, the migrations, SQL functions written in C) uses
 * db->h directly, fenced by db_is_sqlite().
 */
#ifndef TASKMGR_DBSTMT_H
#define TASKMGR_DBSTMT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct db;
struct dbstmt;	/* a sqlite3_stmt, or pgstmt.c's statement */

#define DB_ROW		SQLITE_ROW
#define DB_DONE		SQLITE_DONE
#define DB_RC_OK	SQLITE_OK
#define DB_RC_ERROR	SQLITE_ERROR
#define DB_RC_BUSY	SQLITE_BUSY
#define DB_RC_NOMEM	SQLITE_NOMEM
#define DB_RC_CORRUPT	SQLITE_CORRUPT
#define DB_RC_CONSTRAINT SQLITE_CONSTRAINT
#define DB_RC_UNIQUE	SQLITE_CONSTRAINT_UNIQUE

#define DB_STATIC	0	/* the bytes stay valid until db_done() */
#define DB_TRANSIENT	1	/* the bytes are copied at once */

#ifdef HAVE_POSTGRESQL
/* 1 once this process opened a PostgreSQL database (pgstmt.c). */
extern int db_on_pg;
#define DB_PG(call)	do { if (__builtin_expect(db_on_pg, 0)) return call; } while (0)

/* The PostgreSQL side of each call below (pgstmt.c). */
int	 pgst_bind_i64(struct dbstmt *, int, int64_t);
int	 pgst_bind_double(struct dbstmt *, int, double);
int	 pgst_bind_text(struct dbstmt *, int, const char *, int);
int	 pgst_bind_blob(struct dbstmt *, int, const void *, int);
int	 pgst_bind_null(struct dbstmt *, int);
int	 pgst_bind_count(struct dbstmt *);
int	 pgst_step(struct dbstmt *);
int64_t	 pgst_col_i64(struct dbstmt *, int);
double	 pgst_col_double(struct dbstmt *, int);
const char *pgst_col_str(struct dbstmt *, int);
int	 pgst_col_bytes(struct dbstmt *, int);
int	 pgst_col_isnull(struct dbstmt *, int);
void	 pgst_reset(struct dbstmt *);
int	 pgst_changes(void);
const char *pgst_errmsg(void);
void	 pgst_rollback_hook(void (*)(void *), void *);
#else
#define DB_PG(call)	do { } while (0)
#endif

#define DB_SQ(st)	((sqlite3_stmt *)(void *)(st))

/* 1 when the process's database is SQLite: code that only SQLite has. */
static inline int
db_is_sqlite(void)
{
#ifdef HAVE_POSTGRESQL
	return !db_on_pg;
#else
	return 1;
#endif
}

/*
 * A bind SQLite refused with SQLITE_MISUSE: the statement was stepped and
 * not reset since (a caller that skipped db_done(); db_prep() resets only a
 * statement still running).  db_sq_misuse() logs its SQL once and resets
 * it, and the bind is made again: never a statement run with the bindings
 * of its last use.  One compare when all is well.
 */
void db_sq_misuse(sqlite3_stmt *);

static inline int
db_sq_again(struct dbstmt *st, int rc)
{
	if (__builtin_expect(rc != SQLITE_MISUSE, 1))
		return 0;
	db_sq_misuse(DB_SQ(st));
	return 1;
}

static inline int
db_bind_i64(struct dbstmt *st, int i, int64_t v)
{
	int	 rc;

	DB_PG(pgst_bind_i64(st, i, v));
	rc = sqlite3_bind_int64(DB_SQ(st), i, v);
	return db_sq_again(st, rc) ? sqlite3_bind_int64(DB_SQ(st), i, v) : rc;
}

static inline int
db_bind_int(struct dbstmt *st, int i, int v)
{
	int	 rc;

	DB_PG(pgst_bind_i64(st, i, v));
	rc = sqlite3_bind_int(DB_SQ(st), i, v);
	return db_sq_again(st, rc) ? sqlite3_bind_int(DB_SQ(st), i, v) : rc;
}

static inline int
db_bind_double(struct dbstmt *st, int i, double v)
{
	int	 rc;

	DB_PG(pgst_bind_double(st, i, v));
	rc = sqlite3_bind_double(DB_SQ(st), i, v);
	return db_sq_again(st, rc) ? sqlite3_bind_double(DB_SQ(st), i, v) : rc;
}

/* n bytes of text at s (n < 0: up to its NUL); copy is DB_STATIC or DB_TRANSIENT. */
static inline int
db_bind_textn(struct dbstmt *st, int i, const char *s, int n, int copy)
{
	int	 rc;

	DB_PG(pgst_bind_text(st, i, s, n));
	rc = sqlite3_bind_text(DB_SQ(st), i, s, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
	return db_sq_again(st, rc) ? sqlite3_bind_text(DB_SQ(st), i, s, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC) : rc;
}

static inline int
db_bind_blob(struct dbstmt *st, int i, const void *p, int n, int copy)
{
	int	 rc;

	DB_PG(pgst_bind_blob(st, i, p, n));
	rc = sqlite3_bind_blob(DB_SQ(st), i, p, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
	return db_sq_again(st, rc) ? sqlite3_bind_blob(DB_SQ(st), i, p, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC) : rc;
}

static inline int
db_bind_null(struct dbstmt *st, int i)
{
	int	 rc;

	DB_PG(pgst_bind_null(st, i));
	rc = sqlite3_bind_null(DB_SQ(st), i);
	return db_sq_again(st, rc) ? sqlite3_bind_null(DB_SQ(st), i) : rc;
}

/* Binds NULL when s is NULL, else the text, which stays valid until db_done(). */
static inline int
db_bind_text(struct dbstmt *st, int i, const char *s)
{
	if (s == NULL)
		return db_bind_null(st, i);
	return db_bind_textn(st, i, s, -1, DB_STATIC);
}

/* The largest ?N the statement takes. */
static inline int
db_bind_count(struct dbstmt *st)
{
	DB_PG(pgst_bind_count(st));
	return sqlite3_bind_parameter_count(DB_SQ(st));
}

static inline int
db_step(struct dbstmt *st)
{
	DB_PG(pgst_step(st));
	return sqlite3_step(DB_SQ(st));
}

/* Back to before the first step, the bindings kept (db_done() does it too). */
static inline void
db_reset(struct dbstmt *st)
{
#ifdef HAVE_POSTGRESQL
	if (__builtin_expect(db_on_pg, 0)) {
		pgst_reset(st);
		return;
	}
#endif
	sqlite3_reset(DB_SQ(st));
}

/* Resets st (NULL: nothing) so its locks are released; returns rc for chaining. */
static inline int
db_done(struct dbstmt *st, int rc)
{
	if (st != NULL)
		db_reset(st);
	return rc;
}

static inline int64_t
db_col_i64(struct dbstmt *st, int c)
{
	DB_PG(pgst_col_i64(st, c));
	return sqlite3_column_int64(DB_SQ(st), c);
}

static inline int
db_col_int(struct dbstmt *st, int c)
{
	DB_PG((int)pgst_col_i64(st, c));
	return sqlite3_column_int(DB_SQ(st), c);
}

static inline double
db_col_double(struct dbstmt *st, int c)
{
	DB_PG(pgst_col_double(st, c));
	return sqlite3_column_double(DB_SQ(st), c);
}

/* A column as text, NULL for NULL (db_col_text() gives ""). */
static inline const char *
db_col_str(struct dbstmt *st, int c)
{
	DB_PG(pgst_col_str(st, c));
	return (const char *)sqlite3_column_text(DB_SQ(st), c);
}

/* A column as text, "" for NULL. */
static inline const char *
db_col_text(struct dbstmt *st, int c)
{
	const char *s = db_col_str(st, c);

	return s ? s : "";
}

/* A column's bytes (a blob; NULL for NULL or empty). */
static inline const void *
db_col_blob(struct dbstmt *st, int c)
{
	DB_PG((const void *)pgst_col_str(st, c));
	return sqlite3_column_blob(DB_SQ(st), c);
}

/* The length in bytes of the column's text or blob, after db_col_str/text/blob. */
static inline int
db_col_bytes(struct dbstmt *st, int c)
{
	DB_PG(pgst_col_bytes(st, c));
	return sqlite3_column_bytes(DB_SQ(st), c);
}

static inline int
db_col_isnull(struct dbstmt *st, int c)
{
	DB_PG(pgst_col_isnull(st, c));
	return sqlite3_column_type(DB_SQ(st), c) == SQLITE_NULL;
}

#endif
