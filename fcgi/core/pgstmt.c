/*
 * pgstmt: the statements of dbstmt.h on PostgreSQL (configure
 * --with-postgresql).  See pgstmt.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "pgstmt.h"
#include "pgstmt_int.h"

#define PG_CACHE_SIZE	512	/* a power of two, as db.c's DB_CACHE_SIZE */

int	 db_on_pg;

/*
 * The session's settings: warnings and worse logged; a prepared statement
 * runs its generic plan, made once.  PostgreSQL's own choice (plan_cache_mode
 * auto) plans a statement with a parameter in LIMIT or OFFSET, every page,
 * for its values at each run, forever: the generic plan's estimate takes 10%
 * of the rows for each, so it looks dearer than every custom plan.  Planning
 * the task page of 12 indexes again cost several times its execution.  A
 * statement whose best plan does hang on its values, a search (LIKE: the
 * trigram index for a rare text, the scope's index for a common one), is
 * marked custom and runs under PostgreSQL's own choice (run_pipelined).
 */
#define PG_SESSION	"SET client_min_messages = warning;" \
			"SET plan_cache_mode = force_generic_plan"

static PGconn	*conn;
static struct {
	const char	*sql;
	struct pgstmt	*st;
} cache[PG_CACHE_SIZE];
static unsigned	 nnamed;	/* statements prepared so far: their names */
static int	 changes;
static void	(*on_rollback)(void *);	/* db_rollback_hook's */
static void	*on_rollback_arg;
static char	 errmsg[512] = "not an error";
/*
 * A read transaction's BEGIN (PG_BEGIN_READ) waits for the transaction's
 * first statement and goes in one pipeline with it, one round trip for
 * both (REPEATABLE READ takes its snapshot at the first statement anyway);
 * a read transaction with no statement sends nothing.
 */
static int	 begin_read;	/* the read transaction's BEGIN is not sent yet */
/*
 * A read transaction's COMMIT is sent without waiting for its answer, so
 * the responder writes its response at once; the answer is read (drain)
 * before anything else uses the connection.  Only a transaction that
 * began as a read (PG_BEGIN_READ) and ran nothing but SELECTs, and is not
 * in error: committing it makes nothing durable, and such a COMMIT fails
 * only with its connection, which rolls the transaction back to the same
 * effect.  A transaction that wrote, a write transaction, a ROLLBACK (the
 * failure paths only) and a COMMIT of a failed transaction (its answer is
 * "ROLLBACK", an error) are waited for as before.  Nothing is held open:
 * the COMMIT is on its way to the server when the response goes out, the
 * server ends the transaction and its snapshot as it reads it (the backend
 * shows "idle" in pg_stat_activity, not "idle in transaction"); only the
 * few bytes of its answer wait in our socket.
 */
static int	 reads_only;	/* a read transaction of SELECTs only is open */
static int	 commit_sent;	/* a COMMIT's answer is not read yet */
static unsigned long round_trips;

static void
set_errmsg(const char *m)
{
	size_t	 n;

	snprintf(errmsg, sizeof(errmsg), "%s", m && *m ? m : "unknown error");
	n = strlen(errmsg);
	while (n > 0 && errmsg[n - 1] == '\n')
		errmsg[--n] = '\0';
}

/*
 * Reads the answer of a COMMIT sent without waiting (commit_sent), before
 * the connection's next use; by then it has usually arrived, and it is not
 * counted as a round trip.  A connection lost there is found by the next
 * statement as it is today (connected() makes it again, or the statement
 * fails and run()'s retry applies); a COMMIT that failed otherwise (it
 * cannot, for a transaction of SELECTs) is logged and runs the rollback
 * hook, as an awaited one would have.
 */
static void
drain(void)
{
	PGresult *r;
	int	 bad = 0;

	if (!commit_sent)
		return;
	commit_sent = 0;
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK ||
		    strcmp(PQcmdStatus(r), "COMMIT") != 0)
			bad = 1;
		PQclear(r);
	}
	if (bad && PQstatus(conn) == CONNECTION_OK) {
		log_warn("PostgreSQL: a read transaction's COMMIT failed: %s",
		    PQerrorMessage(conn));
		if (on_rollback != NULL)
			on_rollback(on_rollback_arg);
	}
}

/*
 * 1 when sql only reads: a SELECT or WITH that names none of the writing
 * statements (a WITH may hold an INSERT, and a SELECT may lock rows FOR
 * UPDATE).  Our SQL spells its keywords in capitals (a column such as
 * updated_at is no keyword); a false 0 only makes a COMMIT wait.
 */
static int
reads(const char *sql)
{
	static const char *const writes[] = { "INSERT", "UPDATE", "DELETE", "MERGE",
	    " INTO ", "nextval", "setval" };
	size_t	 i;

	sql += strspn(sql, " \t\n");
	if (strncmp(sql, "SELECT", 6) != 0 && strncmp(sql, "WITH", 4) != 0)
		return 0;
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (strstr(sql, writes[i]) != NULL)
			return 0;
	return 1;
}

/* A new statement for sql, translated; NULL on error (logged). */
static struct pgstmt *
stmt_new(const char *sql)
{
	unsigned char used[PG_MAX_PARAMS + 1] = { 0 };
	struct pgstmt *st;
	size_t	 len = strlen(sql), q = 0, i;
	char	*text;
	int	 n, k;

	for (i = 0; i < len; i++)
		q += sql[i] == '?';
	if ((text = malloc(len + 1 + 4 * q)) == NULL ||
	    pgst_translate_marks(sql, text, len + 1 + 4 * q, &n, used) < 0 ||
	    (st = calloc(1, sizeof(*st))) == NULL) {
		log_error("sql prepare: cannot translate: %s", sql);
		free(text);
		return NULL;
	}
	st->text = text;
	st->nparams = n;
	st->custom = strstr(sql, "LIKE") != NULL;
	st->reads = reads(sql);
	if (n > 0 && ((st->types = calloc((size_t)n, sizeof(Oid))) == NULL ||
	    (st->unused = calloc((size_t)n, 1)) == NULL ||
	    (st->par = calloc((size_t)n, sizeof(struct param))) == NULL)) {
		free(st->unused);
		free(st->types);
		free(st);
		free(text);
		return NULL;
	}
	for (k = 0; k < n; k++)
		st->unused[k] = !used[k + 1];
	return st;
}

void
pgst_reset(struct dbstmt *d)
{
	struct pgstmt *st = (struct pgstmt *)d;

	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = 0;
}

/* DEALLOCATE of st's prepared statement, if it has one. */
static void
deallocate(struct pgstmt *st)
{
	char	 dealloc[40];

	if (st->name[0] == '\0' || conn == NULL)
		return;
	drain();
	snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", st->name);
	PQclear(PQexec(conn, dealloc));
	round_trips++;
	st->name[0] = '\0';
}

static void
stmt_free(struct pgstmt *st)
{
	if (st == NULL)
		return;
	pgst_reset((struct dbstmt *)st);
	pgst_clear_params(st);
	deallocate(st);
	free(st->blob);
	free(st->par);
	free(st->unused);
	free(st->types);
	free(st->text);
	free(st);
}

struct dbstmt *
pgst_prep(const char *sql, int once)
{
	size_t	 i, h = ((uintptr_t)sql >> 3) * 2654435761u;
	struct pgstmt *st;

	if (once)
		return (struct dbstmt *)stmt_new(sql);
	for (i = 0; i < PG_CACHE_SIZE; i++) {
		size_t slot = (h + i) & (PG_CACHE_SIZE - 1);

		if (cache[slot].sql == sql) {
			st = cache[slot].st;
			pgst_reset((struct dbstmt *)st);
			pgst_clear_params(st);
			return (struct dbstmt *)st;
		}
		if (cache[slot].sql == NULL) {
			if ((st = stmt_new(sql)) == NULL)
				return NULL;
			cache[slot].sql = sql;
			cache[slot].st = st;
			return (struct dbstmt *)st;
		}
	}
	log_error("sql statement cache full");
	return NULL;
}

void
pgst_finalize(struct dbstmt *d)
{
	stmt_free((struct pgstmt *)d);
}

/*
 * The code of a failed result, its message kept: the primary message only,
 * never its DETAIL (a duplicate key's detail shows the key's value).
 */
static int
fail(const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	set_errmsg(m ? m : r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	if (state == NULL)
		return DB_RC_ERROR;
	if (strcmp(state, "23505") == 0)
		return DB_RC_UNIQUE;
	if (strcmp(state, "23503") == 0)
		return SQLITE_CONSTRAINT_FOREIGNKEY;
	if (strcmp(state, "23514") == 0)
		return SQLITE_CONSTRAINT_CHECK;
	if (strcmp(state, "23502") == 0)
		return SQLITE_CONSTRAINT_NOTNULL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return DB_RC_BUSY;
	return DB_RC_ERROR;
}

/* A statement of no result (a savepoint's); a code, no message kept. */
static int
command(const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	int	 rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DB_RC_OK : DB_RC_ERROR;

	round_trips++;
	PQclear(r);
	return rc;
}

/*
 * Prepares st under a new name with the types of its first bindings; a code.
 * A NULL leaves its parameter's type to PostgreSQL; where the text gives it
 * none ("?1 IS NULL OR instr(x, ?1) > 0": indeterminate or ambiguous), the NULLs
 * are typed text, as SQLite would take them, and it is prepared again.
 */
static int
prepare(struct pgstmt *st)
{
	PGresult *r;
	const char *state;
	int	 i, untyped = 0, saved = 0, rc = DB_RC_OK;

	/* a ?N the text skips (SQLite allows it) must have a type all the same */
	for (i = 0; i < st->nparams; i++) {
		st->types[i] = st->unused[i] && st->par[i].kind == P_NULL ? OID_INT8 :
		    pgst_kind_oid(st->par[i].kind);
		untyped |= st->types[i] == 0;
	}
	/* a failed prepare would end the transaction: the retry needs a savepoint */
	if (untyped && PQtransactionStatus(conn) == PQTRANS_INTRANS)
		saved = command("SAVEPOINT pgst_prepare") == DB_RC_OK;
	snprintf(st->name, sizeof(st->name), "s%u", ++nnamed);
	r = PQprepare(conn, st->name, st->text, st->nparams, st->types);
	round_trips++;
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && state != NULL &&
	    (strcmp(state, "42P18") == 0 || strcmp(state, "42P08") == 0) && (saved ||
	    PQtransactionStatus(conn) == PQTRANS_IDLE)) {
		PQclear(r);
		if (saved)
			(void)command("ROLLBACK TO SAVEPOINT pgst_prepare");
		for (i = 0; i < st->nparams; i++)
			if (st->types[i] == 0)
				st->types[i] = OID_TEXT;
		r = PQprepare(conn, st->name, st->text, st->nparams, st->types);
		round_trips++;
	}
	if (saved && PQresultStatus(r) == PGRES_COMMAND_OK)
		(void)command("RELEASE SAVEPOINT pgst_prepare");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = fail(r);
		log_error("sql prepare: %s: %s", errmsg, st->text);
		st->name[0] = '\0';
	}
	PQclear(r);
	return rc;
}

/*
 * 0 when the connection is up; a lost one (the server restarted, a
 * connection ended by an administrator) is made again first, and every
 * statement is prepared again on its next step.  -1 with the reason kept.
 */
static int
connected(void)
{
	size_t	 i;

	if (conn == NULL) {
		set_errmsg("no PostgreSQL connection");
		return -1;
	}
	drain();
	if (PQstatus(conn) == CONNECTION_OK && PQpipelineStatus(conn) == PQ_PIPELINE_OFF)
		return 0;
	/* a transaction in progress was lost with the connection: rolled back */
	reads_only = 0;
	if (on_rollback != NULL)
		on_rollback(on_rollback_arg);
	PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK) {
		set_errmsg(PQerrorMessage(conn));
		return -1;
	}
	log_warn("PostgreSQL: connected again after the connection was lost");
	for (i = 0; i < PG_CACHE_SIZE; i++)
		if (cache[i].st != NULL)
			cache[i].st->name[0] = '\0';
	PQclear(PQexec(conn, PG_SESSION));
	return 0;
}

/*
 * st's execution in one pipeline, one round trip, with what goes with it:
 * the read transaction's BEGIN (begin), and for a custom statement the
 * plan_cache_mode it runs under and the session's back (rolled back with
 * the transaction if st fails).  st's result, or the failure of what went
 * before it; NULL when the connection failed (PQerrorMessage says why).
 */
static PGresult *
run_pipelined(struct pgstmt *st, int begin, const char **vals, const int *lens,
    const int *fmts)
{
	const char *q[4];
	PGresult *r, *got[4] = { NULL, NULL, NULL, NULL }, *out = NULL;
	int	 n = 0, at = 0, i, ok, ends = 0;

	if (begin)
		q[n++] = PG_BEGIN_READ;
	if (st->custom)
		q[n++] = "SET plan_cache_mode = auto";
	at = n++;
	if (st->custom)
		q[n++] = "SET plan_cache_mode = force_generic_plan";
	if (PQenterPipelineMode(conn) != 1)
		return NULL;
	for (i = 0, ok = 1; i < n && ok; i++)
		ok = (i == at ? PQsendQueryPrepared(conn, st->name, st->nparams, vals, lens,
		    fmts, 0) : PQsendQueryParams(conn, q[i], 0, NULL, NULL, NULL, NULL, 0)) == 1;
	if (ok && PQpipelineSync(conn) == 1) {
		/* each query's results, then a NULL; the sync's result last */
		while ((r = PQgetResult(conn)) != NULL || ++ends <= n) {
			if (r == NULL)
				continue;
			if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				break;
			}
			if (ends < n && got[ends] == NULL)
				got[ends] = r;
			else
				PQclear(r);
		}
	}
	/* left in pipeline mode (a connection lost midway): connected() resets it */
	(void)PQexitPipelineMode(conn);
	for (i = 0; i <= at && out == NULL; i++)
		if (i == at || (got[i] != NULL && PQresultStatus(got[i]) != PGRES_COMMAND_OK))
			out = got[i];
	for (i = 0; i < n; i++)
		if (got[i] != out)
			PQclear(got[i]);
	return out;
}

/* The connection was found lost by what was just sent. */
static int
lost(void)
{
	return conn != NULL && PQstatus(conn) != CONNECTION_OK;
}

/* Runs st (prepared now if it was not); a code, the rows in st->res. */
static int
run_once(struct pgstmt *st)
{
	const char *vals[PG_MAX_PARAMS];
	int	 lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS], rc;
	PGresult *r;
	const char *cmd;

	if (connected() < 0)
		return DB_RC_ERROR;
	if (st->name[0] == '\0' && (rc = prepare(st)) != DB_RC_OK)
		return rc;
	pgst_wire(st, vals, lens, fmts);
	if (begin_read || st->custom) {
		r = run_pipelined(st, begin_read, vals, lens, fmts);
		reads_only |= begin_read;
		begin_read = 0;
	} else
		r = PQexecPrepared(conn, st->name, st->nparams, vals, lens, fmts, 0);
	round_trips++;
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		break;
	default:
		rc = fail(r);
		PQclear(r);
		return rc;
	}
	cmd = PQcmdStatus(r);
	if (!st->reads || strncmp(cmd, "SELECT", 6) != 0)
		reads_only = 0;		/* the transaction's COMMIT is waited for */
	if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 ||
	    strncmp(cmd, "DELETE", 6) == 0 || strncmp(cmd, "MERGE", 5) == 0)
		changes = atoi(PQcmdTuples(r));
	st->res = r;
	st->nrows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
	st->row = 0;
	return DB_RC_OK;
}

/*
 * run_once, run again once on a connection made again when the first
 * statement of a read transaction (its BEGIN sent with it), or a SELECT
 * outside any transaction, found the connection lost (a server restarted):
 * nothing had run that could be half done.  Never after a statement of the
 * transaction went through, never a write outside one (it may have been
 * committed).
 */
static int
run(struct pgstmt *st)
{
	int	 first = begin_read, rc, idle;

	if (conn != NULL)
		drain();	/* PQtransactionStatus reads ACTIVE until then */
	idle = PQtransactionStatus(conn) == PQTRANS_IDLE;

	if ((rc = run_once(st)) != DB_RC_OK && lost() &&
	    (first || (idle && strncmp(st->text, "SELECT", 6) == 0))) {
		begin_read = first;
		rc = run_once(st);
	}
	return rc;
}

int
pgst_insert_id(struct dbstmt *d, int64_t *id)
{
	static const char ret[] = " RETURNING id";
	struct pgstmt *st = (struct pgstmt *)d;
	size_t	 n;
	char	*t;
	int	 rc;

	if (!st->returning) {
		n = strlen(st->text);
		if ((t = realloc(st->text, n + sizeof(ret))) == NULL)
			return DB_RC_NOMEM;
		memcpy(t + n, ret, sizeof(ret));
		st->text = t;
		st->returning = 1;
		deallocate(st);		/* prepared without it: prepared again */
	}
	if ((rc = pgst_step(d)) == DB_ROW) {
		*id = pgst_col_i64(d, 0);
		return DB_DONE;
	}
	if (rc == DB_DONE) {
		set_errmsg("an INSERT for db_insert_id() returned no row");
		return DB_RC_ERROR;
	}
	return rc;
}

int
pgst_step(struct dbstmt *d)
{
	struct pgstmt *st = (struct pgstmt *)d;
	int	 rc;

	if (st->res == NULL) {
		if ((rc = run(st)) != DB_RC_OK)
			return rc;
	} else if (st->row < st->nrows)
		st->row++;
	return st->row < st->nrows ? DB_ROW : DB_DONE;
}

int
pgst_changes(void)
{
	return changes;
}

const char *
pgst_errmsg(void)
{
	return errmsg;
}

void
pgst_rollback_hook(void (*fn)(void *), void *arg)
{
	on_rollback = fn;
	on_rollback_arg = arg;
}

/*
 * Runs sql.  A ROLLBACK runs db_rollback_hook's function; so does a COMMIT
 * of a transaction a failure had ended, which PostgreSQL answers with
 * "ROLLBACK" and no error: an error here, as SQLite's failed COMMIT is.
 */
static int
exec_wait(const char *sql)
{
	PGresult *r;
	int	 rc = DB_RC_OK, rolled;

	if (connected() < 0)
		return DB_RC_ERROR;
	r = PQexec(conn, sql);
	round_trips++;
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = fail(r);
	rolled = rc == DB_RC_OK && strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
	PQclear(r);
	if (rolled && strcmp(sql, "ROLLBACK") != 0) {
		set_errmsg("the transaction had failed and was rolled back");
		rc = DB_RC_ERROR;
	}
	if (rolled && on_rollback != NULL)
		on_rollback(on_rollback_arg);
	return rc;
}

/*
 * A transaction's BEGIN (a write's takes the writers' lock with it): sent
 * again once on a connection made again when it found the connection lost.
 */
static int
begin(const char *sql)
{
	int	 rc;

	if ((rc = exec_wait(sql)) != DB_RC_OK && lost())
		rc = exec_wait(sql);
	return rc;
}

/*
 * A read transaction's COMMIT, sent without waiting for its answer
 * (reads_only); the answer is read at the connection's next use (drain).
 */
static int
commit_read(void)
{
	if (PQsendQuery(conn, "COMMIT") != 1) {
		set_errmsg(PQerrorMessage(conn));
		return DB_RC_ERROR;	/* the connection is lost: as an awaited one */
	}
	commit_sent = 1;
	return DB_RC_OK;
}

/*
 * sql; a read transaction's BEGIN waits for its first statement
 * (begin_read), its COMMIT is not waited for (reads_only).
 */
int
pgst_exec(const char *sql)
{
	int	 rc, was_reads = reads_only;

	if (strcmp(sql, PG_BEGIN_READ) == 0 && pgst_autocommit()) {
		begin_read = 1;
		return DB_RC_OK;
	}
	reads_only = 0;
	if (begin_read) {
		begin_read = 0;
		if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
			return DB_RC_OK;	/* no statement ran: there is no transaction */
		if ((rc = begin(PG_BEGIN_READ)) != DB_RC_OK)
			return rc;
	}
	if (was_reads && strcmp(sql, "COMMIT") == 0 && !commit_sent &&
	    PQtransactionStatus(conn) == PQTRANS_INTRANS)
		return commit_read();
	if (strcmp(sql, PG_BEGIN_WRITE) == 0 && pgst_autocommit())
		return begin(sql);
	return exec_wait(sql);
}

int
pgst_schema_version(void)
{
	PGresult *r;
	int	 v = -1;

	if (conn == NULL)
		return -1;
	drain();
	r = PQexec(conn, "SELECT version FROM schema_version");
	round_trips++;
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		v = PQntuples(r) == 0 ? 0 : atoi(PQgetvalue(r, 0, 0));
	else
		(void)fail(r);
	PQclear(r);
	return v;
}

int
pgst_autocommit(void)
{
	if (conn == NULL)
		return 0;
	/* a COMMIT on its way has ended the transaction: no need to wait for it */
	if (commit_sent)
		return !begin_read;
	return !begin_read && PQtransactionStatus(conn) == PQTRANS_IDLE;
}

unsigned long
pgst_round_trips(void)
{
	return round_trips;
}

void
pgst_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	char	 line[512];
	size_t	 i;

	(void)arg;
	if (sev == NULL)
		sev = "NOTICE";
	/* one line: the message's own line breaks and other controls as spaces */
	snprintf(line, sizeof(line), "%s", msg != NULL ? msg : "(no message)");
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	while (i > 0 && line[i - 1] == ' ')
		line[--i] = '\0';
	log_msg(strcmp(sev, "NOTICE") == 0 || strcmp(sev, "INFO") == 0 ||
	    strcmp(sev, "LOG") == 0 || strncmp(sev, "DEBUG", 5) == 0 ? LOG_INFO : LOG_WARN,
	    "PostgreSQL %s: %s", sev, line);
}

int
pg_open(struct db *db, const char *uri, char *err, size_t errlen)
{
	memset(db, 0, sizeof(*db));
	db->wlock_fd = -1;
	pg_close();
	conn = PQconnectdb(uri);
	if (PQstatus(conn) != CONNECTION_OK) {
		/* libpq's message names the host, never the password */
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(conn));
		PQfinish(conn);
		conn = NULL;
		return -1;
	}
	/* kept by PQreset: a connection made again logs the same way */
	PQsetNoticeReceiver(conn, pgst_notice, NULL);
	if (pgst_exec(PG_SESSION) != DB_RC_OK) {
		snprintf(err, errlen, "PostgreSQL: %s", errmsg);
		pg_close();
		return -1;
	}
	db_on_pg = 1;
	return 0;
}

void
pg_close(void)
{
	size_t	 i;

	if (conn != NULL)
		drain();
	for (i = 0; i < PG_CACHE_SIZE; i++) {
		stmt_free(cache[i].st);
		cache[i].sql = NULL;
		cache[i].st = NULL;
	}
	if (conn != NULL && PQtransactionStatus(conn) != PQTRANS_IDLE && on_rollback != NULL)
		on_rollback(on_rollback_arg);	/* closing rolls it back */
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
	db_on_pg = 0;
	nnamed = 0;
	on_rollback = NULL;
	begin_read = 0;
	reads_only = 0;
	commit_sent = 0;
}
