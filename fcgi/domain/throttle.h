/*
 * throttle: rate limits shared by every responder process.  Each limited
 * key (a client address, a user, a login name) has a GCRA "theoretical
 * arrival time" in a table of shared memory mapped from <database>-limits
 * (core/ratemap.h): a request costs a few hundred instructions and no
 * write to the database, bursts up to the limit are allowed, and the wait
 * is exact.  throttle_housekeep purges expired tokens and sessions in
 * small batches, at most once a minute per process.
 */
#ifndef TASKMGR_THROTTLE_H
#define TASKMGR_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct app;
struct rate;
struct req;

/*
 * Counts one request for key against rate (n == 0: off) at time now_us.
 * Returns 0 when allowed, else the seconds to wait (at least 1) in *wait
 * and 1; -DB_ERROR when the shared table cannot be mapped.
 */
int	 throttle_take(struct db *, const char *key, const struct rate *,
	    int64_t now, int64_t *wait);
/*
 * Counts one request for key; 0 when allowed, 429 with the DRF body and
 * Retry-After when throttled, 503/500 on a storage failure.
 */
int	 throttle_hit(struct req *, const char *key, const struct rate *);
#define THROTTLE_KEY_MAX	72	/* bytes of a key below, NUL included */

/*
 * The limiter key of a client address: "a:" and the address, an IPv6 one
 * cut to its /64 prefix ("a:2001:db8:1:2::/64": one client usually holds a
 * whole /64), an IPv4-mapped one ("::ffff:192.0.2.1") as the IPv4 address.
 */
void	 throttle_addr_key(const char *addr, char *out, size_t outlen);
/*
 * The limiter key of a login name: "l:" and the hex SHA-256 of its
 * username_key(), the key the user lookup compares, so every spelling
 * that finds one user counts against one budget.  A name with no key
 * (too long, no user can have it) is hashed as it is, under "L:".
 */
void	 throttle_login_key(const char *username, char out[THROTTLE_KEY_MAX]);
/*
 * Counts one anonymous request of the client address (REMOTE_ADDR, an IPv6
 * one by its /64) against throttle_anon, as throttle_hit does: also what a
 * failed credential costs.
 */
int	 throttle_anon_hit(struct req *);
/*
 * 429 (as throttle_hit) when the client address has no throttle_anon
 * budget left, without counting a request; else 0.  Asked before a bot
 * secret is compared, so a throttled guess is never checked.
 */
int	 throttle_anon_over(struct req *);
/* The app->throttle hook: throttle_anon per REMOTE_ADDR (/64 for IPv6) or throttle_user per user. */
int	 throttle_request(struct req *);
/*
 * The app->housekeep hook: purges a batch of each kind of expired row
 * (tokens, sessions), at most once a minute per process;
 * and lets the search index catch up with new tasks (task_search, a few
 * times a second at most).  Otherwise it costs two clock reads.
 */
void	 throttle_housekeep(struct app *);

#endif
