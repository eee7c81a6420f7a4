/*
 * ratemap: rate-limit state shared by processes through one mapped file.
 *
 * A fixed table of RATEMAP_SLOTS slots, each a key's hash and its GCRA
 * "theoretical arrival time", in a file every responder maps (MAP_SHARED)
 * and guards with one process-shared, robust mutex: counting a request is
 * a few hundred instructions and no system call, where a row in SQLite
 * cost a write transaction per request.  Keys are hashed with a random
 * secret kept in the file.  A slot whose time has passed holds nothing
 * back and is reused; when a key's probe window is full of live slots,
 * the one that frees soonest is given up (that key's budget starts over).
 * The state lives as long as the file: restarting a responder keeps it;
 * deleting the file (or a reboot, for a file on tmpfs) forgets it.
 */
#ifndef TASKMGR_RATEMAP_H
#define TASKMGR_RATEMAP_H

#include <stddef.h>
#include <stdint.h>

#define RATEMAP_SLOTS	65536	/* a power of two: 1 MiB of slots */
#define RATEMAP_PROBE	32	/* slots a key may lie in */

struct ratemap;

/* Maps (creating when missing, mode 0600; a looser mode is tightened) the table at path; NULL with err set. */
struct ratemap	*ratemap_open(const char *path, char *err, size_t errlen);
void		 ratemap_close(struct ratemap *);

/*
 * GCRA for key at now (microseconds): interval t, tolerance tau.  A request
 * is allowed when max(tat, now) - now <= tau, and then moves tat to
 * max(tat, now) + t; a refused one leaves it.  Returns 1 allowed, 0
 * refused; *tat is the key's time after the call.
 */
int		 ratemap_take(struct ratemap *, const char *key, int64_t now,
		    int64_t t, int64_t tau, int64_t *tat);

/*
 * Whether ratemap_take would allow a request for key at now, without
 * counting one (nothing is written): 1 allowed, 0 refused; *tat as above.
 */
int		 ratemap_peek(struct ratemap *, const char *key, int64_t now,
		    int64_t tau, int64_t *tat);

/* Live keys (tat in the future) at now: for tests and diagnostics. */
size_t		 ratemap_live(struct ratemap *, int64_t now);
/* For tests: takes the lock and dies holding it (SIGKILL). */
void		 ratemap_test_lock_and_die(struct ratemap *) __attribute__((noreturn));

#endif
