/* db: SQLite connection, statement cache, transactions, migrations. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#ifdef HAVE_POSTGRESQL
#include "pgstmt.h"
#else
#define PG_BEGIN_WRITE	NULL
#define PG_BEGIN_READ	NULL
#endif
#include "timeutil.h"
#include "walvfs.h"

#define BUSY_TIMEOUT_US	(5 * 1000000LL)
#define RESTART_WAIT_US	(20 * 1000LL)	/* how long a WAL restart waits for readers */

/*
 * SQLite's busy handler: waits for another process's write transaction for
 * up to BUSY_TIMEOUT_US in short naps.  (sqlite3_busy_timeout() naps 1, 2,
 * 5, 10, 15, 20, 25... ms: a writer queued behind a transaction of 100 us
 * sleeps ten times longer than it had to wait, and write throughput and
 * latency suffer whenever two processes write at once.)
 */
static int
busy_wait(void *arg, int n)
{
	struct db *db = arg;
	struct timespec ts;
	int64_t	 now = mono_us(), nap;

	if (n == 0)
		db->busy_since = now;
	if (now - db->busy_since >= (db->restarting ? RESTART_WAIT_US : BUSY_TIMEOUT_US))
		return 0;
	nap = n < 8 ? 30 : n < 64 ? 100 : n < 256 ? 500 : 2000;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)nap * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

#define PAGECACHE_BULK	128	/* pages of a connection's cache allocated at once */
#define WAL_CHECKPOINT_FRAMES	1000	/* a checkpoint each time the WAL grows past a multiple of this */

/*
 * After each commit (in place of wal_autocheckpoint): the commit that takes
 * the WAL past a multiple of 1000 pages asks for a checkpoint.  Exactly one
 * commit crosses each multiple: the number of pages this commit appended
 * comes from the connection's page-write counter.  (Checkpointing on every
 * commit past a threshold, as a plain test of the WAL's size does once
 * readers keep the WAL from rewinding, costs two fsyncs and a copy of the
 * commit's pages per write.)  With db->defer_checkpoint the checkpoint
 * waits for db_idle() (the responder calls it once the answer is sent),
 * else it runs here.
 */
static int
wal_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
	struct db *db = arg;
	int	 cur = 0, hi = 0, before;

	if (strcmp(name, "main") != 0)
		return SQLITE_OK;
	if (sqlite3_db_status(h, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 1) != SQLITE_OK)
		cur = frames;
	before = frames - cur;
	if (before < 0 || before / WAL_CHECKPOINT_FRAMES == frames / WAL_CHECKPOINT_FRAMES)
		return SQLITE_OK;
	db->checkpoint = 1;
	if (!db->defer_checkpoint)
		db_idle(db);
	return SQLITE_OK;
}

/*
 * Waits for the writers' flock on the database file (see db_begin); without
 * the file (an in-memory database) or when interrupted, goes on without it.
 * Returns 1 when this call took it.
 */
static int
wlock_take(struct db *db)
{
	if (db->wlock_fd < 0 || db->wlocked)
		return 0;
	while (flock(db->wlock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return 0;
	db->wlocked = 1;
	return 1;
}

static void
wlock_drop(struct db *db)
{
	if (!db->wlocked)
		return;
	flock(db->wlock_fd, LOCK_UN);
	db->wlocked = 0;
}

/*
 * The checkpoint: a passive pass copies the WAL's pages into the database
 * (after syncing the WAL) while writers go on; then a restart pass, under
 * the writers' flock and SQLite's write lock, copies what was committed
 * meanwhile and waits (at most RESTART_WAIT_US) for the readers of older
 * snapshots, so that the next writer starts the WAL over.  The WAL is kept
 * short on purpose: each commit rewrites the same hot pages (a list's row,
 * the right edge of each index), every copy of a page in the WAL lies in
 * one chain of the WAL index's hash table, and every page read walks its
 * chain -- in a WAL of 16000 pages that walk was 40% of a task update's
 * instructions.  A restart that finds readers still busy gives up; the
 * next checkpoint tries again.
 */
void
db_idle(struct db *db)
{
	int	 took;

	if (!db->checkpoint || db->h == NULL)
		return;
	db->checkpoint = 0;
	/* the second pass copies what was committed during the first, so
	 * that the restart, which blocks writers, finds little left */
	sqlite3_wal_checkpoint_v2(db->h, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	sqlite3_wal_checkpoint_v2(db->h, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	took = wlock_take(db);
	db->restarting = 1;
	sqlite3_wal_checkpoint_v2(db->h, "main", SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	db->restarting = 0;
	if (took)
		wlock_drop(db);
}

/*
 * Process-wide settings, made before SQLite first initialises: no memory
 * statistics (each allocation would take a global mutex to count itself;
 * nothing reads them), page cache slots allocated PAGECACHE_BULK at a time
 * and reused (another process's commit empties a connection's page cache:
 * without the slots every page read again was a malloc and every page
 * dropped a free), and the VFS the connections open (walvfs.h: a commit's
 * WAL frames in one write).  Every program of ours is single-threaded per
 * connection, and opens its connections with SQLITE_OPEN_NOMUTEX.
 */
static const char *
db_configure_once(void)
{
	static int done;
	static const char *vfs;

	if (done)
		return vfs;
	done = 1;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)NULL, 0, PAGECACHE_BULK);
	if (walvfs_register() == 0)
		vfs = WALVFS_NAME;
	return vfs;
}

int
db_single_thread(void)
{
	return sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) == SQLITE_OK ? 0 : -1;
}

/*
 * Keeps the database to its owner whatever the umask: creates the file
 * 0600 when create is set and it is missing (SQLite then makes its -wal and
 * -shm with the database's mode), and takes group and other permissions
 * away from an existing database, -wal and -shm, with a warning.  Runs
 * before SQLite opens the file, so that no companion is made with the old
 * mode.
 */
static void
db_keep_private(const char *path, int create)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char	 p[4096];
	struct stat st;
	size_t	 i;
	int	 fd;

	if (*path == '\0' || strcmp(path, ":memory:") == 0)
		return;
	if (create && (fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
		(void)fchmod(fd, 0600);	/* the umask may have taken owner bits too */
		close(fd);
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, sfx[i]) >= sizeof(p) ||
		    stat(p, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0)
			continue;
		if (chmod(p, st.st_mode & 0700) == 0)
			log_warn("%s: mode %04o tightened to %04o", p,
			    (unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & 0700));
		else
			log_warn("%s: mode %04o lets others read it; cannot change it: %s", p,
			    (unsigned)(st.st_mode & 07777), strerror(errno));
	}
}

int
db_open(struct db *db, const char *path, int flags, char *err, size_t errlen)
{
	static const char *pragmas =
	    "PRAGMA journal_mode=WAL;"
	    "PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY;"
	    "PRAGMA cache_size=-8000;"
	    "PRAGMA journal_size_limit=67108864;";
	int	 oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	char	*msg = NULL;
	const char *vfs;

	memset(db, 0, sizeof(*db));
	db->defer_checkpoint = (flags & DB_OPEN_DEFER) != 0;
	vfs = db_configure_once();
	db->wlock_fd = -1;
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	db_keep_private(path, flags & DB_OPEN_CREATE);
	if (sqlite3_open_v2(path, &db->h, oflags, vfs) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_wal_hook(db->h, wal_hook, db);
	if (sqlite3_exec(db->h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "pragma failed");
		sqlite3_free(msg);
		goto fail;
	}
	/* FULL: the WAL is synced before a commit returns; NORMAL: at
	 * checkpoints only (see README, "Durability of writes") */
	if (sqlite3_exec(db->h, (flags & DB_OPEN_SYNC_NORMAL) ? "PRAGMA synchronous=NORMAL" :
	    "PRAGMA synchronous=FULL", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "pragma failed");
		sqlite3_free(msg);
		goto fail;
	}
	/* never closed before the connection: closing any descriptor of the
	 * file would drop the process's fcntl locks on it, SQLite's among them */
	db->wlock_fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
fail:
	sqlite3_close(db->h);
	db->h = NULL;
	return -1;
}

void
db_close(struct db *db)
{
	size_t	 i;

#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		pg_close();
#endif
	for (i = 0; i < DB_CACHE_SIZE; i++)
		sqlite3_finalize(db->cache[i].st);
	sql_texts_free(&db->texts);
	if (db->h != NULL)
		sqlite3_close(db->h);
	if (db->wlock_fd >= 0)
		close(db->wlock_fd);
	memset(db, 0, sizeof(*db));
	db->wlock_fd = -1;
}

/* db_prep(); with bound, the caller binds every parameter (db_prep_bound) */
static struct dbstmt *
prep(struct db *db, const char *sql, int bound)
{
	size_t	 i, h = ((uintptr_t)sql >> 3) * 2654435761u;
	sqlite3_stmt *st;

#ifdef HAVE_POSTGRESQL
	if (__builtin_expect(db_on_pg, 0))
		return pgst_prep(sql, 0);
#endif
	for (i = 0; i < DB_CACHE_SIZE; i++) {
		size_t slot = (h + i) & (DB_CACHE_SIZE - 1);

		if (db->cache[slot].sql == sql) {
			st = db->cache[slot].st;
			/* db_done() reset it; one left running still needs it (a
			 * finished one resets itself at its next step) */
			if (sqlite3_stmt_busy(st))
				sqlite3_reset(st);
			if (!bound && db->cache[slot].nvar > 0)
				sqlite3_clear_bindings(st);
			return (struct dbstmt *)st;
		}
		if (db->cache[slot].sql == NULL) {
			if (sqlite3_prepare_v3(db->h, sql, -1,
			    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
				log_error("sql prepare: %s: %s", sqlite3_errmsg(db->h), sql);
				return NULL;
			}
			db->cache[slot].sql = sql;
			db->cache[slot].st = st;
			db->cache[slot].nvar = sqlite3_bind_parameter_count(st);
			return (struct dbstmt *)st;
		}
	}
	log_error("sql statement cache full");
	return NULL;
}

void
db_sq_misuse(sqlite3_stmt *st)
{
	static int logged;

	if (!logged) {
		logged = 1;
		log_warn("sql: bound before db_done() reset it: %s", sqlite3_sql(st));
	}
	sqlite3_reset(st);
}

struct dbstmt *
db_prep(struct db *db, const char *sql)
{
	return prep(db, sql, 0);
}

struct dbstmt *
db_prep_bound(struct db *db, const char *sql)
{
	return prep(db, sql, 1);
}

const char *
db_strerror(enum dbrc rc)
{
	switch (rc) {
	case DB_OK:		return "ok";
	case DB_NOTFOUND:	return "not found";
	case DB_CONFLICT:	return "conflict";
	case DB_FORBIDDEN:	return "forbidden";
	case DB_INVALID:	return "invalid";
	case DB_BUSY:		return "database busy";
	case DB_ERROR:		return "database error";
	}
	return "unknown";
}

enum dbrc
db_rc(struct db *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return DB_CONFLICT;
		log_error("%s: %s", what, db_errmsg(db));
		return DB_INVALID;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("%s: %s", what, db_errmsg(db));
		return DB_BUSY;
	default:
		log_error("%s: %s", what, db_errmsg(db));
		return DB_ERROR;
	}
}

enum dbrc
db_change2(struct db *db, const char *sql, int64_t a, int64_t b, const char *what,
    int *n)
{
	struct dbstmt *st;
	int	 rc;

	*n = 0;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, a);
	db_bind_i64(st, 2, b);
	rc = db_done(st, db_step(st));
	if (rc != DB_DONE)
		return db_rc(db, rc, what);
	*n = db_changes(db);
	return DB_OK;
}

enum dbrc
db_insert_id(struct db *db, struct dbstmt *st, const char *what, int64_t *id)
{
	int	 rc;

#ifdef HAVE_POSTGRESQL
	if (__builtin_expect(db_on_pg, 0))
		return db_rc(db, db_done(st, pgst_insert_id(st, id)), what);
#endif
	if ((rc = db_done(st, db_step(st))) == DB_DONE)
		*id = sqlite3_last_insert_rowid(db->h);
	return db_rc(db, rc, what);
}

enum dbrc
db_exec(struct db *db, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		return db_rc(db, pgst_exec(sql), "exec");
#endif
	rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	return db_rc(db, rc, "exec");
}

int64_t
db_data_version(struct db *db)
{
	struct dbstmt *st;
	int64_t	 v = -1;
	int	 rc;

	/*
	 * PostgreSQL has no such number; its snapshot (the oldest running
	 * transaction, the next id, those running between) changes when a
	 * writing transaction starts or ends, a commit of another connection
	 * included: a hash of it, read without touching a table.  A reader
	 * polls it (the worker every 50 ms while it waits).
	 */
	if ((st = db_prep(db, db_is_sqlite() ? "PRAGMA data_version" :
	    "SELECT hashtextextended(pg_current_snapshot()::text, 0)")) == NULL)
		return -1;
	if ((rc = db_step(st)) == DB_ROW)
		v = db_col_i64(st, 0);
	db_done(st, rc);
	return v;
}

/* 1 when a connection is open and no transaction is. */
static int
db_autocommit(struct db *db)
{
#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		return pgst_autocommit();
#endif
	return db->h != NULL && sqlite3_get_autocommit(db->h);
}

/*
 * Runs a transaction's BEGIN, COMMIT or ROLLBACK: the literal sql on
 * SQLite (a cached statement), pg's text on PostgreSQL (pgstmt.h says why
 * they differ).
 */
static int
db_tx(struct db *db, const char *sql, const char *pg)
{
	struct dbstmt *st;

#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		return pgst_exec(pg);
#else
	(void)pg;
#endif
	if ((st = db_prep(db, sql)) == NULL)
		return DB_RC_ERROR;
	return db_done(st, db_step(st));
}

static int
db_tx_rollback(struct db *db)
{
#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		return pgst_exec("ROLLBACK");
#endif
	return sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

enum dbrc
db_read_begin(struct db *db)
{
	enum dbrc rc;

	if (db->in_tx || db->in_read || !db_autocommit(db))
		return DB_OK;
	rc = db_rc(db, db_tx(db, "BEGIN", PG_BEGIN_READ), "begin read");
	if (rc == DB_OK)
		db->in_read = 1;
	return rc;
}

void
db_read_end(struct db *db)
{
	if (!db->in_read)
		return;
	db->in_read = 0;
	if (db_autocommit(db))
		return;
	if (db_rc(db, db_tx(db, "COMMIT", "COMMIT"), "commit read") != DB_OK)
		db_rollback(db);
}

enum dbrc
db_begin(struct db *db)
{
	enum dbrc rc;

	if (db->in_read)
		db_read_end(db);
	wlock_take(db);
	rc = db_rc(db, db_tx(db, "BEGIN IMMEDIATE", PG_BEGIN_WRITE), "begin");
	if (rc == DB_OK)
		db->in_tx = 1;
	else {
		/* PostgreSQL's BEGIN went through and its lock did not */
		if (!db_autocommit(db))
			(void)db_tx_rollback(db);
		wlock_drop(db);
	}
	return rc;
}

enum dbrc
db_commit(struct db *db)
{
	enum dbrc rc;

	rc = db_rc(db, db_tx(db, "COMMIT", "COMMIT"), "commit");
	if (rc != DB_OK)
		db_rollback(db);
	db->in_tx = 0;
	wlock_drop(db);
	return rc;
}

void
db_rollback(struct db *db)
{
	if (!db_autocommit(db))
		(void)db_tx_rollback(db);
	db->in_tx = 0;
	db->in_read = 0;
	wlock_drop(db);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int	 v = -1;

#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		return pgst_schema_version();
#endif
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
db_schema_expected(void)
{
	return n_migrations;
}

/* A row callback that counts the rows (of PRAGMA foreign_key_check). */
static int
count_rows(void *ctx, int n, char **v, char **names)
{
	(void)n;
	(void)v;
	(void)names;
	++*(int *)ctx;
	return 0;
}

/*
 * Applies migration m in one transaction, with foreign keys checked before
 * the commit (the caller turned their enforcement off): the migration may
 * not add a row that breaks one (rows that broke one before, written by
 * hand, do not stop it).  0, or -1 with the reason written to out and
 * nothing applied.
 */
static int
migrate_one(struct db *db, const struct migration *m, FILE *out)
{
	static const char check[] = "PRAGMA foreign_key_check";
	char	*msg = NULL, pragma[64];
	int	 before = 0, after = 0;

	snprintf(pragma, sizeof(pragma), ";PRAGMA user_version=%d;", m->version);
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db->h, check, count_rows, &before, &msg) != SQLITE_OK ||
	    sqlite3_exec(db->h, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db->h, check, count_rows, &after, &msg) != SQLITE_OK)
		goto fail;
	if (after > before) {
		fprintf(out, "failed: %d row(s) would break a foreign key\n", after - before);
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(db->h, pragma, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db->h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	fprintf(out, "failed: %s\n", msg ? msg : sqlite3_errmsg(db->h));
	sqlite3_free(msg);
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
db_migrate(struct db *db, FILE *out)
{
	int	 cur, i, rc = 0;

	if ((cur = db_schema_version(db)) < 0) {
		fprintf(out, "cannot read the schema version: %s\n", sqlite3_errmsg(db->h));
		return -1;
	}
	if (cur > n_migrations) {
		fprintf(out, "the database is at schema version %d, newer than this "
		    "program's %d: upgrade taskmgr\n", cur, n_migrations);
		return -1;
	}
	/*
	 * Foreign keys are not enforced while migrating (the pragma works only
	 * outside a transaction): rebuilding a table that others refer to, the
	 * way SQLite documents, drops it, and a drop with them on deletes every
	 * row that refers to it.  migrate_one checks them before each commit.
	 */
	if (cur < n_migrations && sqlite3_exec(db->h, "PRAGMA foreign_keys=OFF",
	    NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(out, "cannot turn foreign keys off: %s\n", sqlite3_errmsg(db->h));
		return -1;
	}
	for (i = cur; i < n_migrations && rc == 0; i++) {
		fprintf(out, "applying %03d_%s ... ", migrations[i].version, migrations[i].name);
		fflush(out);
		if ((rc = migrate_one(db, &migrations[i], out)) == 0)
			fprintf(out, "ok\n");
	}
	if (cur < n_migrations &&
	    sqlite3_exec(db->h, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(out, "cannot turn foreign keys on: %s\n", sqlite3_errmsg(db->h));
		return -1;
	}
	if (rc != 0)
		return -1;
	if (cur == n_migrations)
		fprintf(out, "schema is up to date (version %d)\n", cur);
	else
		fprintf(out, "schema now at version %d\n", n_migrations);
	return 0;
}
