/*
 * leader: one process of a kind per database, the others wait as standbys
 * (README "PostgreSQL and several hosts").
 *
 * A SQLite database lives on one host: the leader holds an exclusive
 * flock() on the file "<database>-<what>.lock" beside it (created 0600),
 * which the kernel drops when the process ends, killed -9 included.  A
 * PostgreSQL database (a postgresql:// URI, configure --with-postgresql)
 * may be served from several hosts: the leader holds the session advisory
 * lock pg_try_advisory_lock(key) on a libpq connection of its own, which
 * the server drops when that connection ends; a lost connection is lost
 * leadership.
 *
 * Use: leader_init() once; leader_wait() until it leads; then
 * leader_held() between steps of work (cheap: a fstat() and a stat() on
 * SQLite, one query a second at most on PostgreSQL) and, when it says the
 * lead is lost, stop working and leader_wait() again; leader_free() at the
 * end.  leader_wait() logs one line when it starts waiting and one when it
 * takes over; leader_held() one when the lead is lost.
 */
#ifndef TASKMGR_LEADER_H
#define TASKMGR_LEADER_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* how often a standby tries again */
#define LEADER_RETRY_MS 1000

struct leader {
	char	 what[16];	/* "worker", "bot": the log's word and the lock's name */
	char	*path;		/* SQLite: the lock file */
	char	*uri;		/* PostgreSQL: the connection URI */
	int64_t	 key;		/* PostgreSQL: the advisory lock */
	int	 fd;		/* SQLite: the locked file, -1 */
	dev_t	 dev;		/* ... and its identity, to notice it replaced */
	ino_t	 ino;
	void	*pg;		/* PostgreSQL: the PGconn, NULL */
	int	 held;		/* leads now */
	int	 failing;	/* the last try failed (logged once until it works) */
	int64_t	 checked;	/* mono_us() of the last look at a PostgreSQL lead */
};

/*
 * Prepares l for what ("worker", "bot") on database, a SQLite file's path
 * (absolute, as the open database names it) or a PostgreSQL URI.  Takes
 * nothing yet.  0, or -1 with the reason in err (a URI in a build without
 * --with-postgresql, a path too long, no memory).
 */
int	 leader_init(struct leader *, const char *what, const char *database,
	    char *err, size_t errlen);
/*
 * Tries once to take the lead: 1 leads, 0 another process does, -1 the
 * lock could not be tried (the file cannot be opened, the server cannot be
 * reached; logged once until a try works).
 */
int	 leader_try(struct leader *);
/*
 * Takes the lead, trying every LEADER_RETRY_MS, until it leads (1), *stop
 * is set or max_ms milliseconds have passed (max_ms < 0: no limit) (0).
 * Logs "<what>: another <what> leads on this database; waiting as a
 * standby" when the first try fails and "<what>: took over as the leader"
 * when a later one succeeds.
 */
int	 leader_wait(struct leader *, volatile sig_atomic_t *stop, int64_t max_ms);
/*
 * Whether the lead is still held: 1 yes, 0 lost (logged; l is back to not
 * leading: stop the work, then leader_wait()).  On SQLite the lead is lost
 * when the lock file was removed or replaced; on PostgreSQL when the
 * connection fails (checked at most once a second).
 */
int	 leader_held(struct leader *);
/* Gives the lead up (a standby takes over) and frees l; l may be zeroed or freed already. */
void	 leader_free(struct leader *);

#endif
