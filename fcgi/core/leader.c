/*
 * leader: one worker (or bot) per database, the others standbys.  See
 * leader.h; the flock() side always, the advisory-lock side in builds
 * configured --with-postgresql.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif

#include "config.h"
#include "leader.h"
#include "log.h"
#ifdef HAVE_POSTGRESQL
#include "pgstmt.h"
#endif
#include "timeutil.h"

/* how often a PostgreSQL leader makes sure its connection still works */
#define PG_CHECK_US 1000000

#ifdef HAVE_POSTGRESQL
/*
 * The advisory lock of what on PostgreSQL: "tm-" and what's first five
 * letters in ASCII, big-endian ("tm-worke" 8389411671855229797, "tm-bot"
 * 128012261683060); never the migrations' lock (pgdb.c).
 */
static int64_t
lock_key(const char *what)
{
	const char *p;
	uint64_t k = 0;
	char	 name[9];

	snprintf(name, sizeof(name), "tm-%s", what);
	for (p = name; *p != '\0'; p++)
		k = k << 8 | (unsigned char)*p;
	return (int64_t)(k & INT64_MAX);
}
#endif

int
leader_init(struct leader *l, const char *what, const char *database, char *err,
    size_t errlen)
{
	size_t	 n;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->what, sizeof(l->what), "%s", what);
	if (config_is_pg_uri(database)) {
#ifdef HAVE_POSTGRESQL
		l->key = lock_key(what);
		if ((l->uri = strdup(database)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
#else
		snprintf(err, errlen, "a PostgreSQL database needs a build "
		    "configured --with-postgresql");
		return -1;
#endif
	}
	n = strlen(database) + strlen(what) + sizeof("--.lock");
	if (n > 4096) {
		snprintf(err, errlen, "the database path is too long");
		return -1;
	}
	if ((l->path = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(l->path, n, "%s-%s.lock", database, what);
	return 0;
}

/* Notes a failed try: logged when it is the first since one worked. */
static int
failed(struct leader *l, const char *why)
{
	if (!l->failing)
		log_warn("%s: cannot try the lead: %s", l->what, why);
	l->failing = 1;
	return -1;
}

/*
 * SQLite: opens the lock file (again: it may have been replaced) and tries
 * the exclusive lock without blocking.  The file then holds the leader's
 * PID, for the operator.
 */
static int
file_try(struct leader *l)
{
	struct stat st;
	char	 msg[600], pid[24];
	int	 fd, n;

	fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", l->path, strerror(errno));
		return failed(l, msg);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = errno;
		close(fd);
		if (n == EWOULDBLOCK)
			return 0;
		snprintf(msg, sizeof(msg), "flock %s: %s", l->path, strerror(n));
		return failed(l, msg);
	}
	if (fstat(fd, &st) < 0) {
		snprintf(msg, sizeof(msg), "fstat %s: %s", l->path, strerror(errno));
		close(fd);
		return failed(l, msg);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot write the PID into %s: %s", l->what, l->path,
		    strerror(errno));
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 1;
}

/* SQLite: the lock file is still the one locked (not removed, not replaced). */
static int
file_held(struct leader *l)
{
	struct stat st;

	if (stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		return 1;
	log_warn("%s: the lock file %s was removed or replaced: another %s may lead; "
	    "stopping work", l->what, l->path, l->what);
	return 0;
}

#ifdef HAVE_POSTGRESQL
/* libpq's message on one line: its newlines and tabs as single spaces, none at the end. */
static const char *
pg_message(PGconn *c, char *out, size_t outlen)
{
	const char *p = c != NULL ? PQerrorMessage(c) : "out of memory";
	size_t	 n = 0;

	for (; *p != '\0' && n + 1 < outlen; p++) {
		if (*p == '\n' || *p == '\t' || *p == ' ') {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
		} else
			out[n++] = *p;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

/*
 * A connection of its own: a dead peer is noticed by TCP keepalives and
 * tcp_user_timeout rather than never; the URI's own settings win (dbname,
 * which carries it, comes last).
 */
static PGconn *
pg_connect(struct leader *l)
{
	char	 app[32];
	const char *keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    "application_name", "dbname", NULL };
	const char *vals[] = { "10", "1", "10", "5", "3", "30000", app, l->uri, NULL };

	snprintf(app, sizeof(app), "taskmgr %s", l->what);
	return PQconnectdbParams(keys, vals, 1);
}

/* PostgreSQL: connects when needed and tries the session advisory lock. */
static int
pg_try(struct leader *l)
{
	PGconn	*c = l->pg;
	PGresult *r;
	char	 num[24], msg[512];
	const char *params[1] = { num };
	int	 got;

	if (c != NULL && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		l->pg = c = NULL;
	}
	if (c == NULL) {
		c = pg_connect(l);
		if (c == NULL || PQstatus(c) != CONNECTION_OK) {
			pg_message(c, msg, sizeof(msg));
			PQfinish(c);
			return failed(l, msg);
		}
		PQsetNoticeReceiver(c, pgst_notice, NULL);
		l->pg = c;
	}
	snprintf(num, sizeof(num), "%lld", (long long)l->key);
	r = PQexecParams(c, "SELECT pg_try_advisory_lock($1::bigint)", 1, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
		PQclear(r);
		msg[strcspn(msg, "\n")] = '\0';
		return failed(l, msg);
	}
	got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	l->checked = mono_us();
	return got;
}

/* PostgreSQL: the connection, and so the session's lock, still works. */
static int
pg_held(struct leader *l)
{
	PGconn	*c = l->pg;
	PGresult *r;
	char	 msg[512];
	int	 ok;

	if (mono_us() - l->checked < PG_CHECK_US)
		return 1;
	r = PQexec(c, "SELECT 1");
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (ok && PQstatus(c) == CONNECTION_OK) {
		l->checked = mono_us();
		return 1;
	}
	log_warn("%s: the connection that holds the lead failed (%s): stopping work",
	    l->what, pg_message(c, msg, sizeof(msg)));
	PQfinish(c);
	l->pg = NULL;
	return 0;
}
#endif

int
leader_try(struct leader *l)
{
	int	 k;

	if (l->held)
		return 1;
#ifdef HAVE_POSTGRESQL
	if (l->uri != NULL)
		k = pg_try(l);
	else
#endif
		k = file_try(l);
	if (k >= 0)
		l->failing = 0;
	l->held = k > 0;
	return k;
}

/* Sleeps ms milliseconds, waking early when *stop gets set. */
static void
nap(int64_t ms, volatile sig_atomic_t *stop)
{
	struct timespec ts;

	while (ms > 0 && (stop == NULL || !*stop)) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 50 ? 50 : ms) * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 50;
	}
}

int
leader_wait(struct leader *l, volatile sig_atomic_t *stop, int64_t max_ms)
{
	int64_t	 until = max_ms < 0 ? INT64_MAX : mono_us() + max_ms * 1000, left;
	int	 waited = 0, k;

	for (;;) {
		if ((k = leader_try(l)) > 0) {
			if (waited)
				log_info("%s: took over as the leader", l->what);
			else
				log_info("%s: leads on this database", l->what);
			return 1;
		}
		if (k == 0 && !waited) {
			log_info("%s: another %s leads on this database; waiting as a standby",
			    l->what, l->what);
			waited = 1;
		}
		left = until == INT64_MAX ? LEADER_RETRY_MS : (until - mono_us()) / 1000;
		if (left <= 0 || (stop != NULL && *stop))
			return 0;
		nap(left < LEADER_RETRY_MS ? left : LEADER_RETRY_MS, stop);
		if (stop != NULL && *stop)
			return 0;
	}
}

int
leader_held(struct leader *l)
{
	int	 ok;

	if (!l->held)
		return 0;
#ifdef HAVE_POSTGRESQL
	if (l->uri != NULL)
		ok = pg_held(l);
	else
#endif
		ok = file_held(l);
	if (!ok) {
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		l->held = 0;
	}
	return ok;
}

void
leader_free(struct leader *l)
{
	if (l->path == NULL && l->uri == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
#ifdef HAVE_POSTGRESQL
	if (l->pg != NULL)
		PQfinish(l->pg);
#endif
	free(l->path);
	free(l->uri);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
