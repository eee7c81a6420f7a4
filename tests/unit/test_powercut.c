/*
 * The power-cut test: what survives a power loss in each `synchronous` mode.
 *
 * Each round forks writer processes that run task-like transactions through
 * the product's own db layer and domain functions (a task created and
 * assigned, with its events and its outbox notice; the next commit edits
 * that task), on the real, migrated schema, plus a worker that marks notices
 * delivered.  Each writer numbers its commits 1, 2, 3... and publishes the
 * last one whose db_commit() returned (acknowledged) in shared memory.  The
 * files go through powercut_vfs (under walvfs, as in the programs); at a
 * random write the power is cut, the writers are killed, the unsynced
 * writes are dropped -- all, or a random part in sectors or pages -- and the
 * database is opened again and checked:
 *
 *   - PRAGMA integrity_check and foreign_key_check pass (both modes);
 *   - per writer, what survived is commits 1..K and nothing after, K at most
 *     one past the last acknowledged (the commit in flight) (both modes);
 *   - synchronous = full: K >= the last acknowledged: no acknowledged
 *     commit is lost;
 *   - every surviving task's notice is in the outbox (pending or delivered),
 *     and no notice survived without its task;
 *   - self-checks: in normal mode some cuts lost acknowledged commits (the
 *     VFS does drop writes), some kept part of the unsynced writes, and
 *     checkpoints ran before some cuts and were under way at others.
 *
 * Rounds alternate full and normal.  POWERCUT_CUTS sets the number of cuts
 * (default 60; `make powercut` runs 500), POWERCUT_SEED the random seed (a
 * failure prints the one it ran with).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "delivery.h"
#include "lists.h"
#include "powercut_vfs.h"
#include "tap.h"
#include "tasks.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

#define diag(...) (fprintf(stderr, "# " __VA_ARGS__), fputc('\n', stderr))

#define WRITERS		3
#define MAX_TARGET	900	/* the cut falls on one of the first MAX_TARGET writes */
#define CUT_WAIT_US	(60 * 1000000LL)	/* a round that does not reach its cut fails */
#define RESET_BYTES	(6 * 1024 * 1024)	/* a fresh database past this size */
#define NOTICE		"Вам назначена задача: "
#define MAX_REPORTS	10

struct acks {
	int64_t		 acked[WRITERS];	/* last acknowledged commit of each writer */
};

static char	 dir[64], path[128];
static struct pcut_shared *sh;
static struct acks *ack;
static int64_t	 owners[WRITERS], lists[WRITERS], assignee;
static uint64_t	 rnd;
static int	 reports;

/* Per-property failure counts over all cuts. */
static struct {
	int	 stopped, integrity, fkey, prefix, full_lost, outbox, checked;
} bad;

#define REPORT(...) do { if (reports++ < MAX_REPORTS) diag(__VA_ARGS__); } while (0)

static int
db_flags(int normal)
{
	return normal ? DB_OPEN_SYNC_NORMAL : 0;
}

/* Removes the database, its companions and their side files. */
static void
remove_files(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-wal-pcut", "-pcut" };
	char	 p[160];
	size_t	 i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static int
setup(void)
{
	struct db db;
	FILE	*devnull = fopen("/dev/null", "w");
	char	 err[256], name[32];
	enum rule why;
	enum dbrc rc;
	int	 w, ret = -1;

	remove_files();
	if (db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) < 0) {
		diag("open: %s", err);
		goto out;
	}
	/* the migrations' SQL functions, as the programs register them */
	username_sql_register(&db);
	if (db_migrate(&db, devnull) < 0) {
		diag("migrate failed");
		goto close;
	}
	if ((rc = users_create(&db, "bob", "", "", 0, 0, &assignee)) != DB_OK) {
		diag("user bob: %s", db_strerror(rc));
		goto close;
	}
	for (w = 0; w < WRITERS; w++) {
		snprintf(name, sizeof(name), "owner%d", w);
		if ((rc = users_create(&db, name, "", "", 0, 0, &owners[w])) != DB_OK ||
		    (rc = lists_create(&db, owners[w], "Work", &lists[w], &why)) != DB_OK) {
			diag("%s or its list: %s", name, db_strerror(rc));
			goto close;
		}
	}
	ret = 0;
close:
	db_close(&db);
out:
	if (devnull != NULL)
		fclose(devnull);
	return ret;
}

/*
 * A writer: commit k (from 1) creates task c<round>w<w>n<k> assigned to
 * bob when k is odd, and sets that task's description to u<k+1> in commit
 * k+1.  Runs until killed.
 */
static void
writer(int w, int round, int normal)
{
	struct actor me = { owners[w], 0 };
	struct task_input in;
	struct task out;
	struct arena a;
	struct db db;
	enum dbrc rc;
	enum rule why;
	int64_t	 id = 0, updated = 0, k;
	char	 err[256], name[64], desc[32];

	memset(&a, 0, sizeof(a));
	if (db_open(&db, path, DB_OPEN_DEFER | db_flags(normal), err, sizeof(err)) < 0) {
		diag("writer %d: %s", w, err);
		_exit(3);
	}
	for (k = 1;; k++) {
		memset(&in, 0, sizeof(in));
		in.complete_before = TIME_NULL;
		do {
			arena_reset(&a);
			if (k % 2 == 1) {
				snprintf(name, sizeof(name), "c%05dw%dn%lld", round, w, (long long)k);
				in.set = TF_NAME | TF_ASSIGNED_TO;
				in.name = name;
				in.assigned_to = assignee;
				rc = tasks_create(&db, &me, lists[w], &in, &id, &why, &a, &out);
				updated = out.updated_at;
			} else {
				snprintf(desc, sizeof(desc), "u%lld", (long long)k);
				in.set = TF_DESCRIPTION;
				in.description = desc;
				rc = tasks_update_locked(&db, &me, id, updated, &in, &why, &a, &out);
			}
		} while (rc == DB_BUSY);
		if (rc != DB_OK) {
			diag("writer %d, commit %lld: %s", w, (long long)k, db_strerror(rc));
			_exit(3);
		}
		__atomic_store_n(&ack->acked[w], k, __ATOMIC_SEQ_CST);
		/* as a responder: the answer is out, then the checkpoint */
		db_idle(&db);
	}
}

/* The worker's part: marks due notices delivered, until killed. */
static void
deliverer(int normal)
{
	struct outbox_row rows[16];
	struct arena a;
	struct db db;
	char	 err[256];
	int	 n, i;

	memset(&a, 0, sizeof(a));
	if (db_open(&db, path, db_flags(normal), err, sizeof(err)) < 0) {
		diag("deliverer: %s", err);
		_exit(3);
	}
	for (;;) {
		arena_reset(&a);
		if (delivery_due(&db, now_us(), 16, &a, rows, &n) != DB_OK)
			n = 0;
		for (i = 0; i < n; i++)
			(void)delivery_sent(&db, rows[i].id, now_us());
		if (n == 0)
			usleep(2000);
	}
}

static pid_t
spawn(int w, int round, int normal)
{
	pid_t	 pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(4);
	pcut_arm();
	if (w < WRITERS)
		writer(w, round, normal);
	deliverer(normal);
	_exit(0);
}

/* Runs the writers until the power is cut; 0, or -1 when a writer stopped first. */
static int
run_until_cut(int round, int normal)
{
	pid_t	 pids[WRITERS + 1];
	int64_t	 start = mono_us();
	int	 i, status, ret = 0;

	for (i = 0; i <= WRITERS; i++)
		pids[i] = spawn(i, round, normal);
	while (!__atomic_load_n(&sh->cut, __ATOMIC_SEQ_CST)) {
		for (i = 0; i <= WRITERS; i++)
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				REPORT("round %d: process %d stopped before the cut (status %d)",
				    round, i, status);
				pids[i] = -1;
				ret = -1;
			}
		if (ret < 0 || mono_us() - start > CUT_WAIT_US) {
			if (ret == 0)
				REPORT("round %d: no cut after %lld writes", round,
				    (long long)sh->writes);
			ret = -1;
			break;
		}
		usleep(200);
	}
	for (i = 0; i <= WRITERS; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (i = 0; i <= WRITERS; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
				;
	return ret;
}

/* One text result of sql, or "" */
static int
text_is(sqlite3 *h, const char *sql, const char *want, char *got, size_t len)
{
	sqlite3_stmt *st;
	int	 rows = 0;

	*got = '\0';
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(got, len, "%s", sqlite3_errmsg(h));
		return 0;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (rows++ == 0)
			snprintf(got, len, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return want == NULL ? rows == 0 : rows == 1 && strcmp(got, want) == 0;
}

/* What survived of one round: per writer, which commits, which notices. */
struct survivors {
	unsigned char	*commit[WRITERS];	/* [k]: commit k is in the database */
	unsigned char	*notice[WRITERS];	/* [k]: task k's notice is in the outbox */
	int64_t		 len[WRITERS];
	int64_t		 delivered;
};

/* Marks k in a[0..len); 0 when k is out of range (a commit never made). */
static int
mark(unsigned char *a, int64_t len, int64_t k)
{
	if (k < 1 || k >= len)
		return 0;
	a[k] = 1;
	return 1;
}

static int
read_survivors(sqlite3 *h, int round, struct survivors *s)
{
	sqlite3_stmt *st;
	char	 pat[64];
	long long k, u;
	int	 w, ok = 1, rc;

	snprintf(pat, sizeof(pat), "c%05dw%%", round);
	if (sqlite3_prepare_v2(h, "SELECT list_id, name, description FROM tasks"
	    " WHERE name LIKE ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *desc = (const char *)sqlite3_column_text(st, 2);

		if (sscanf(name + 6, "w%dn%lld", &w, &k) != 2 || w < 0 || w >= WRITERS ||
		    sqlite3_column_int64(st, 0) != lists[w] || !mark(s->commit[w], s->len[w], k)) {
			REPORT("round %d: unexpected task %s", round, name);
			ok = 0;
			continue;
		}
		if (desc != NULL && *desc != '\0') {
			if (sscanf(desc, "u%lld", &u) != 1 || u != k + 1 ||
			    !mark(s->commit[w], s->len[w], u)) {
				REPORT("round %d: task %s has description %s", round, name, desc);
				ok = 0;
			}
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return 0;
	snprintf(pat, sizeof(pat), NOTICE "c%05dw%%", round);
	if (sqlite3_prepare_v2(h, "SELECT text, status FROM outbox WHERE text LIKE ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0) + strlen(NOTICE);
		int	 status = sqlite3_column_int(st, 1);

		if (sscanf(text + 6, "w%dn%lld", &w, &k) != 2 || w < 0 || w >= WRITERS ||
		    (status != 0 && status != 1) || !mark(s->notice[w], s->len[w], k)) {
			REPORT("round %d: unexpected notice '%s' status %d", round, text, status);
			ok = 0;
		}
		s->delivered += status == 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && ok;
}

/*
 * Opens the database after the cut and checks it; counts into bad.  *lost:
 * 1 when an acknowledged commit is missing (allowed in normal mode).
 */
static void
check(int round, int normal, int *lost, int64_t *delivered)
{
	struct survivors s;
	struct db db;
	char	 err[256], got[256];
	int64_t	 k, last, acked;
	int	 w, fine;

	memset(&s, 0, sizeof(s));
	*lost = 0;
	*delivered = 0;
	if (db_open(&db, path, db_flags(normal), err, sizeof(err)) < 0) {
		REPORT("round %d: open after the cut: %s", round, err);
		bad.integrity++;
		return;
	}
	bad.checked++;
	if (!text_is(db.h, "PRAGMA integrity_check", "ok", got, sizeof(got))) {
		REPORT("round %d: integrity_check: %s", round, got);
		bad.integrity++;
	}
	if (!text_is(db.h, "PRAGMA foreign_key_check", NULL, got, sizeof(got))) {
		REPORT("round %d: foreign_key_check: a row of table %s", round, got);
		bad.fkey++;
	}
	for (w = 0; w < WRITERS; w++) {
		/* room for one commit past the acknowledged (in flight) and
		 * the next, whose presence would be an error */
		s.len[w] = ack->acked[w] + 3;
		s.commit[w] = calloc((size_t)s.len[w], 1);
		s.notice[w] = calloc((size_t)s.len[w], 1);
		if (s.commit[w] == NULL || s.notice[w] == NULL)
			abort();
	}
	if (!read_survivors(db.h, round, &s))
		bad.prefix++;
	*delivered = s.delivered;
	for (w = 0; w < WRITERS; w++) {
		acked = ack->acked[w];
		for (last = 0, k = 1; k < s.len[w]; k++)
			if (s.commit[w][k])
				last = k;
		for (fine = 1, k = 1; k <= last; k++)
			fine &= s.commit[w][k];
		if (!fine || last > acked + 1) {
			REPORT("round %d (%s): writer %d: commits up to %lld survived, not all of "
			    "them (acknowledged: %lld)", round, normal ? "normal" : "full", w,
			    (long long)last, (long long)acked);
			bad.prefix++;
		}
		if (last < acked) {
			*lost = 1;
			if (!normal) {
				REPORT("round %d (full): writer %d: acknowledged commits %lld..%lld "
				    "lost", round, w, (long long)last + 1, (long long)acked);
				bad.full_lost++;
			}
		}
		for (k = 1; k < s.len[w]; k += 2)
			if (s.commit[w][k] != s.notice[w][k]) {
				REPORT("round %d (%s): writer %d: task %lld %s, its notice %s", round,
				    normal ? "normal" : "full", w, (long long)k,
				    s.commit[w][k] ? "survived" : "lost",
				    s.notice[w][k] ? "survived" : "lost");
				bad.outbox++;
				break;
			}
		free(s.commit[w]);
		free(s.notice[w]);
	}
	db_close(&db);
}

static int64_t
file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) < 0 ? 0 : st.st_size;
}

int
main(void)
{
	const char *e;
	struct pcut_result r, rw;
	char	 wal[160];
	int	 cuts = 60, c, w, normal, piece, lost, setups = 1;
	int64_t	 delivered, commits = 0, shortened = 0;
	struct {
		int	 cuts, lost_acked, lost_pieces, torn, after_ckpt, in_ckpt;
		int64_t	 delivered;
	} mode[2];
	uint64_t seed;
	int64_t	 started = mono_us();

	memset(mode, 0, sizeof(mode));
	if ((e = getenv("POWERCUT_CUTS")) != NULL && atoi(e) > 0)
		cuts = atoi(e);
	seed = (e = getenv("POWERCUT_SEED")) != NULL ? strtoull(e, NULL, 10) :
	    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	if (seed == 0)
		seed = 1;
	rnd = seed;
	diag("%d cuts, POWERCUT_SEED=%llu", cuts, (unsigned long long)seed);

	snprintf(dir, sizeof(dir), "/tmp/taskmgr-pcut-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ack = mmap(NULL, sizeof(*ack), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || ack == MAP_FAILED)
		return 1;
	ok(pcut_register(sh) == 0, "the power-cut VFS is the default, under walvfs");
	ok(setup() == 0, "a migrated database with %d owners, their lists and an assignee",
	    WRITERS);

	for (c = 0; c < cuts; c++) {
		normal = c % 2;
		if (file_size(path) > RESET_BYTES) {
			if (setup() < 0)
				break;
			setups++;
		}
		memset(ack, 0, sizeof(*ack));
		pcut_reset(1 + (int64_t)(pcut_rand(&rnd) % MAX_TARGET));
		if (run_until_cut(c, normal) < 0) {
			bad.stopped++;
			break;
		}
		/* drop all, or keep a random half in 512-byte sectors or 4 KiB pages */
		piece = (int)(pcut_rand(&rnd) % 3);
		piece = piece == 0 ? 0 : piece == 1 ? 512 : 4096;
		mode[normal].cuts++;
		mode[normal].after_ckpt += sh->db_syncs > 0;
		shortened += sh->shortened;
		if (pcut_apply(wal, piece, &rnd, &rw) < 0 || pcut_apply(path, piece, &rnd, &r) < 0) {
			bad.stopped++;
			break;
		}
		mode[normal].in_ckpt += r.pieces > 0;
		mode[normal].lost_pieces += rw.lost + r.lost > 0;
		mode[normal].torn += piece > 0 && rw.lost + r.lost > 0 &&
		    rw.lost + r.lost < rw.pieces + r.pieces;
		for (w = 0; w < WRITERS; w++)
			commits += ack->acked[w];
		check(c, normal, &lost, &delivered);
		mode[normal].lost_acked += lost;
		mode[normal].delivered += delivered;
	}
	for (normal = 0; normal < 2; normal++)
		diag("%s: %d cuts, %d lost unsynced writes (%d kept part of them), %d lost "
		    "acknowledged commits; %d after a checkpoint, %d during one; %lld delivered "
		    "notices found", normal ? "normal" : "full", mode[normal].cuts,
		    mode[normal].lost_pieces, mode[normal].torn, mode[normal].lost_acked,
		    mode[normal].after_ckpt, mode[normal].in_ckpt,
		    (long long)mode[normal].delivered);
	diag("%lld acknowledged commits, %d fresh databases, %lld files shortened, %.1f s",
	    (long long)commits, setups, (long long)shortened, (double)(mono_us() - started) / 1e6);

	is_int(bad.stopped, 0, "every round ran its writers until the power was cut");
	is_int(bad.checked, mode[0].cuts + mode[1].cuts, "the database opened after every cut");
	is_int(bad.integrity, 0, "PRAGMA integrity_check passed after every cut");
	is_int(bad.fkey, 0, "PRAGMA foreign_key_check found nothing after every cut");
	is_int(bad.prefix, 0, "each writer's surviving commits are a prefix: 1..K, K at most one "
	    "past the acknowledged");
	is_int(bad.full_lost, 0, "synchronous=full: every acknowledged commit survived");
	is_int(bad.outbox, 0, "every surviving task's notice survived (pending or delivered), "
	    "and none without its task");
	ok(mode[1].lost_acked > 0, "self-check: in normal mode some cuts lost acknowledged "
	    "commits (%d of %d): unsynced writes are dropped", mode[1].lost_acked,
	    mode[1].cuts);
	ok(mode[0].lost_pieces > 0, "self-check: in full mode too, some cuts dropped "
	    "unsynced writes (%d of %d)", mode[0].lost_pieces, mode[0].cuts);
	ok(mode[0].torn + mode[1].torn > 0, "self-check: some cuts kept part of the unsynced "
	    "writes, in sectors or pages (%d)", mode[0].torn + mode[1].torn);
	ok(mode[0].after_ckpt > 0 && mode[1].after_ckpt > 0, "self-check: checkpoints ran "
	    "before some cuts in both modes (full %d, normal %d)", mode[0].after_ckpt,
	    mode[1].after_ckpt);
	ok(mode[0].in_ckpt > 0 && mode[1].in_ckpt > 0, "self-check: some cuts fell during a "
	    "checkpoint, with unsynced writes to the database file (full %d, normal %d)",
	    mode[0].in_ckpt, mode[1].in_ckpt);
	if (tap_failed)
		diag("to run these cuts again: POWERCUT_SEED=%llu POWERCUT_CUTS=%d",
		    (unsigned long long)seed, cuts);
	remove_files();
	rmdir(dir);
	return tap_done();
}
