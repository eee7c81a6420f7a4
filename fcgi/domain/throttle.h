/*
 * throttle: rate limits shared by every responder process.  Each limited
 * key (a client address, a user, a login name) has a GCRA "theoretical
 * arrival time" in a table of shared memory mapped from <database>-limits
 * (core/ratemap.h): a request costs a few hundred instructions and no
 * write to the database, bursts up to the limit are allowed, and the wait
 * is exact.  The map is opened once per process (throttle_open, in
 * app_open: app->limits).  Outcomes are enum dbrc plus the wait; turning a
 * refusal into a 429 is the HTTP layer's business (fcgi/http/ratelimit.h).
 */
#ifndef TASKMGR_THROTTLE_H
#define TASKMGR_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct rate;
struct ratemap;

/*
 * Maps the limiter state from the file path (config_state_file()'s
 * "-limits"; NULL: <database>-limits beside the SQLite database db),
 * created when missing; NULL (logged) when it cannot.  The caller closes
 * it with ratemap_close().
 */
struct ratemap *throttle_open(struct db *, const char *path);
/*
 * Counts one request for key against rate (n == 0: off) at time now_us:
 * DB_OK with *wait 0 when allowed, DB_OK with the seconds to wait (at
 * least 1) in *wait when refused (nothing counted); DB_ERROR when the map
 * is NULL (not opened).
 */
enum dbrc throttle_take(struct ratemap *, const char *key, const struct rate *,
	    int64_t now, int64_t *wait);
/* As throttle_take, but counts nothing: only whether key has budget left. */
enum dbrc throttle_peek(struct ratemap *, const char *key, const struct rate *,
	    int64_t now, int64_t *wait);

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

#endif
