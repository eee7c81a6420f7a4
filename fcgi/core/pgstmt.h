/*
 * pgstmt: dbstmt.h's statements on PostgreSQL (configure --with-postgresql).
 *
 * One connection per process (pg_open).  A statement's SQL is SQLite's
 * spelling with ?N (or ?) parameters: on its first step, pgst_translate()
 * turns them into $N (string literals, quoted names and comments are left
 * alone) and the text is prepared with PQprepare under a name of its own,
 * once per process, the statement kept in a cache by the address of its
 * SQL text, as db_prep() keeps SQLite's.  The type of each parameter is
 * taken from its first binding (int8 for an integer, float8, text, bytea;
 * a NULL leaves it to the server, or is int8 for a ?N the text skips, as a
 * text built at run time may), so the server never guesses; a later
 * binding of another kind is sent as text for the server to convert.
 * Integers, floats and blobs go in binary, text as text.
 *
 * A step runs PQexecPrepared once, asking for TEXT results, then walks the
 * rows it returned: the column calls convert the text as SQLite would (an
 * integer or float of NULL or of text that is not a number is 0; a boolean
 * is 1 or 0; a bytea is decoded from its hex form).
 *
 * Failures map to dbstmt.h's codes by SQLSTATE: unique violation (23505)
 * to DB_RC_UNIQUE, the other constraints (23503, 23514, 23502) to
 * DB_RC_CONSTRAINT, serialization failure, deadlock and lock not available
 * (40001, 40P01, 55P03) to DB_RC_BUSY, the rest to DB_RC_ERROR; the
 * server's message is kept for db_errmsg().
 *
 * Transactions: db_begin() is PG_BEGIN_WRITE, READ COMMITTED under a
 * transaction-level advisory lock that every writer takes, so writers run
 * one at a time across every host, as BEGIN IMMEDIATE makes them on SQLite
 * (what a write transaction read stays true until its commit, the way the
 * domain's rules expect); the optimistic locking (UPDATE ... WHERE version
 * = ?) and the unique constraints hold under READ COMMITTED anyway.
 * db_read_begin() is PG_BEGIN_READ, REPEATABLE READ: one snapshot for a
 * page and its count.  That BEGIN is not sent at once: it goes in one
 * pipeline with the transaction's first statement (one round trip for
 * both; the snapshot is taken at that statement either way), and a read
 * transaction that runs no statement sends nothing at all.  Its COMMIT,
 * when it ran SELECTs only, is sent without waiting for the answer, which
 * is read before the connection's next use: a request that reads waits
 * for its statements only.  A COMMIT of a transaction that wrote is waited
 * for (the answer that follows means committed).
 *
 * Plans: the session runs with plan_cache_mode = force_generic_plan, so a
 * prepared statement is planned once, not at every run (PostgreSQL's own
 * choice plans a statement with LIMIT ? or OFFSET ?, every page, for its
 * values each time).  A statement whose text has LIKE (a search, where the
 * text decides between the trigram index and the scope's) runs under
 * plan_cache_mode = auto, set and reset in the same pipeline.
 */
#ifndef TASKMGR_PGSTMT_H
#define TASKMGR_PGSTMT_H

#include <stddef.h>
#include <stdint.h>

#include "dbstmt.h"

struct db;

#define PG_MAX_PARAMS	999	/* parameters of a statement, as SQLite's default limit */

/* The writers' advisory lock: "tmwrite" in ASCII. */
#define PG_WRITE_LOCK	"32771457086485605"
#define PG_BEGIN_WRITE	"BEGIN ISOLATION LEVEL READ COMMITTED;" \
			"SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")"
#define PG_BEGIN_READ	"BEGIN ISOLATION LEVEL REPEATABLE READ"

/*
 * Connects db to the libpq connection URI uri and makes every db_* call of
 * this process go to it; 0, or -1 with the reason (never the password) in
 * err.  A connection found lost is made again before the next statement
 * (the one that found it failed).
 */
int	 pg_open(struct db *, const char *uri, char *err, size_t errlen);
/* Closes the connection and forgets every statement. */
void	 pg_close(void);
/*
 * libpq's notice receiver for a connection (PQsetNoticeReceiver), in place
 * of its default, which prints to stderr: the server's warnings, and the
 * FATAL it sends as it ends a connection ("terminating connection due to
 * administrator command"), read while the connection is idle, become a line
 * of our log ("PostgreSQL <severity>: <message>"; warn, or info below
 * WARNING); the message's primary text only, no detail (it may quote rows).
 */
struct pg_result;	/* libpq's PGresult */
void	 pgst_notice(void *arg, const struct pg_result *r);

/* A statement for sql (see above); once: not cached, pgst_finalize() ends it. */
struct dbstmt *pgst_prep(const char *sql, int once);
void	 pgst_finalize(struct dbstmt *);
/*
 * Steps an INSERT of one row for db_insert_id(): its text gets " RETURNING
 * id" before it is first prepared; *id the new id.  DB_DONE or a failure.
 */
int	 pgst_insert_id(struct dbstmt *, int64_t *id);
/* Runs sql (one or more statements, no parameters); a dbstmt.h code. */
int	 pgst_exec(const char *sql);
/* The version in the table schema_version (pgdb.c), 0 without a row; -1 on error. */
int	 pgst_schema_version(void);
/* 1 when no transaction is open. */
int	 pgst_autocommit(void);
/*
 * The times this process waited for the server (a statement, a
 * preparation, a BEGIN, ...): what a request costs in round trips.  A read
 * transaction's COMMIT, not waited for, is not counted.
 */
unsigned long pgst_round_trips(void);

/*
 * Writes sql with its ?N and ? turned into $N into out (outlen bytes, at
 * least strlen(sql) + 1 + 2 per '?' needed); *nparams gets the largest N.
 * -1 when out is too small or an N is out of range (1..999).
 */
int	 pgst_translate(const char *sql, char *out, size_t outlen, int *nparams);
/* pgst_translate, also setting used[N] (PG_MAX_PARAMS + 1 bytes) for each ?N seen. */
int	 pgst_translate_marks(const char *sql, char *out, size_t outlen, int *nparams,
	    unsigned char *used);

#endif
