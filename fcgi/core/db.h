/*
 * db: the process's one SQLite connection, its pragmas, a cache of prepared
 * statements reused across requests, transactions and migrations.
 *
 * Statements are cached by the address of their SQL text, so callers pass
 * string literals (static storage): db_prep() returns a statement already
 * reset with its bindings cleared; the caller binds, steps and calls
 * db_done() (reset) on every path.  The cache owns the statements.
 */
#ifndef TASKMGR_DB_H
#define TASKMGR_DB_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "dbstmt.h"
#include "sqltext.h"

#define DB_CACHE_SIZE 256	/* a power of two, larger than the number of distinct statements */

struct tz;

struct db {
	sqlite3		*h;
	struct {
		const char	*sql;
		sqlite3_stmt	*st;
		int		 nvar;	/* its parameters: none, no bindings to clear */
	} cache[DB_CACHE_SIZE];
	struct sql_texts texts;		/* texts built at run time (sqltext.h), freed by db_close */
	int		 in_tx;
	int		 in_read;	/* a read transaction of db_read_begin() is open */
	int64_t		 busy_since;	/* mono_us() when the current wait for a lock began */
	int		 checkpoint;	/* 1: a commit asked for a checkpoint (db_idle) */
	int		 restarting;	/* a WAL restart is waiting: the busy handler gives up soon */
	int		 defer_checkpoint; /* 1: it waits for db_idle(), else runs at once */
	int		 wlock_fd;	/* the database file, for the writers' flock(); -1: none */
	int		 wlocked;	/* this process holds that flock */
	const struct tz	*zone;		/* the time_zone setting, for the rules that
					   step or show times of users without
					   their own (set by app_open); NULL: UTC */
};

/* The result codes of storage operations; db_strerror names them. */
enum dbrc {
	DB_OK = 0,
	DB_NOTFOUND,	/* no such row (or not visible) */
	DB_CONFLICT,	/* a unique constraint or an optimistic-lock mismatch */
	DB_FORBIDDEN,	/* the row is visible but the caller may not change it */
	DB_INVALID,	/* a rule of the domain refused the change */
	DB_BUSY,	/* the database stayed locked past busy_timeout */
	DB_ERROR,	/* anything else; logged */
};

#define DB_OPEN_CREATE	0x01	/* create the file if missing (migrate only) */
#define DB_OPEN_DEFER	0x02	/* checkpoints wait for db_idle() (a responder) */
#define DB_OPEN_SYNC_NORMAL 0x04 /* synchronous=NORMAL: the WAL is synced at checkpoints
				    only, not at each commit (the default is FULL) */

/*
 * For a process that uses SQLite from one thread only (a responder), called
 * before its first connection: SQLite's mutexes become no-ops (a write took
 * about sixteen, e.g. one per WAL-index memory barrier, each a pthread
 * mutex).  -1 when SQLite was already initialised (nothing changes).
 */
int	 db_single_thread(void);
/*
 * Opens path and sets the pragmas; -1 with a message in err.  The file is
 * created 0600 (DB_OPEN_CREATE), and an existing database, -wal or -shm
 * that group or others may use is made the owner's only (a warning says so).
 */
int	 db_open(struct db *, const char *path, int flags, char *err, size_t errlen);
void	 db_close(struct db *);
/*
 * A cached, reset statement for the literal sql, its bindings all NULL;
 * NULL on error (logged).  dbstmt.h binds, steps and reads it.
 */
struct dbstmt *db_prep(struct db *, const char *sql);
/*
 * db_prep() for a caller that binds every parameter of sql before each
 * step: the previous use's bindings are left to be overwritten, not
 * cleared first (a hot statement's few hundred instructions).
 */
struct dbstmt *db_prep_bound(struct db *, const char *sql);
/*
 * DB_SQL(sqlite_sql, pg_sql): the text of a statement one text cannot serve
 * on both backends, each a literal (db_prep caches by address); a build
 * without PostgreSQL has sqlite_sql alone, and SQLite's path one predicted
 * branch.  db_prep2() prepares it.
 */
#ifdef HAVE_POSTGRESQL
#define DB_SQL(sqlite_sql, pg_sql) (__builtin_expect(db_on_pg, 0) ? (pg_sql) : (sqlite_sql))
#else
#define DB_SQL(sqlite_sql, pg_sql) (sqlite_sql)
#endif
#define db_prep2(db, sqlite_sql, pg_sql) db_prep((db), DB_SQL(sqlite_sql, pg_sql))
/* Rows the last INSERT, UPDATE or DELETE changed. */
static inline int
db_changes(struct db *db)
{
#ifdef HAVE_POSTGRESQL
	if (__builtin_expect(db_on_pg, 0))
		return pgst_changes();
#endif
	return sqlite3_changes(db->h);
}
/*
 * fn(arg) runs whenever a transaction of db rolls back (SQLite's rollback
 * hook; on PostgreSQL, a ROLLBACK or a COMMIT that rolled back), in place of
 * the function set before.
 */
static inline void
db_rollback_hook(struct db *db, void (*fn)(void *), void *arg)
{
#ifdef HAVE_POSTGRESQL
	if (__builtin_expect(db_on_pg, 0)) {
		pgst_rollback_hook(fn, arg);
		return;
	}
#endif
	sqlite3_rollback_hook(db->h, fn, arg);
}
/* 1 when db is connected (to SQLite, or to PostgreSQL by pg_open). */
static inline int
db_is_open(const struct db *db)
{
	return db->h != NULL || !db_is_sqlite();
}
/* The message of the last failure. */
static inline const char *
db_errmsg(struct db *db)
{
#ifdef HAVE_POSTGRESQL
	if (__builtin_expect(db_on_pg, 0))
		return pgst_errmsg();
#endif
	return sqlite3_errmsg(db->h);
}
/*
 * Runs the cached statement for the literal sql with ?1 = a and ?2 = b
 * (a batched DELETE ... LIMIT ?2, say); *n rows changed, 0 on error.
 * what names the statement in the log.
 */
enum dbrc db_change2(struct db *, const char *sql, int64_t a, int64_t b,
	    const char *what, int *n);
/*
 * Steps st, an INSERT of one row, and ends it; *id gets the new row's id
 * (SQLite's last_insert_rowid; on PostgreSQL the statement is prepared
 * with " RETURNING id" appended, so its text must allow that).  DB_OK, or
 * the error logged as what (a duplicate key: DB_CONFLICT), *id unchanged.
 */
enum dbrc db_insert_id(struct db *, struct dbstmt *st, const char *what, int64_t *id);
/* Runs sql that returns no rows; DB_OK or an error code. */
enum dbrc db_exec(struct db *, const char *sql);
/*
 * PRAGMA data_version: a number that changes when another connection (a
 * responder, another process) commits to the database; -1 on error.  A
 * cheap "did anything change?" for a loop that waits.  On PostgreSQL a hash
 * of the current snapshot, which changes when any writing transaction of
 * the cluster starts or ends (this connection's too).
 */
int64_t	 db_data_version(struct db *);
/*
 * BEGIN IMMEDIATE (a write transaction), COMMIT and ROLLBACK.  Writers
 * queue for the write lock in the kernel: db_begin() takes an exclusive
 * flock() on the database file (held until COMMIT or ROLLBACK) before
 * SQLite's own lock, so a writer sleeps until the one before it is done
 * instead of polling in the busy handler.  SQLite's locks still decide;
 * the flock only orders the processes that use it.
 */
enum dbrc db_begin(struct db *);
/*
 * A read transaction around a safe request's handler: its statements share
 * one snapshot (a page and its count agree) and one lock, instead of
 * taking and dropping the locks statement by statement.  db_begin() inside
 * it ends it first, so a handler may still write.  db_read_end() commits it
 * (and whatever an autocommit write did inside); both are no-ops when no
 * read transaction is open.
 */
enum dbrc db_read_begin(struct db *);
void	 db_read_end(struct db *);
enum dbrc db_commit(struct db *);
/*
 * Runs the WAL checkpoint a commit asked for when db->defer_checkpoint is
 * set (a responder calls it after sending its answer, so no request waits
 * for the checkpoint's fsyncs); does nothing otherwise.
 */
void	 db_idle(struct db *);
void	 db_rollback(struct db *);
/* Maps a result code (dbstmt.h) to a dbrc (logging unexpected ones). */
enum dbrc db_rc(struct db *, int sqlite_rc, const char *what);
const char *db_strerror(enum dbrc);

/* Schema version stored in PRAGMA user_version; -1 on error. */
int	 db_schema_version(struct db *);
/* The version this build expects: the number of embedded migrations. */
int	 db_schema_expected(void);
/* Applies the embedded migrations newer than the database, each in a
 * transaction, printing one line per step to out.  -1 on failure. */
int	 db_migrate(struct db *, FILE *out);

/* The embedded migrations (generated from sql/ at build time). */
struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};
extern const struct migration migrations[];
extern const int n_migrations;

#endif
