/*
 * ratelimit: the rate limits as HTTP.  Counts requests against the shared
 * limiter (domain/throttle.h, the map on app->limits) and answers a refusal
 * as DRF does: 429 {"detail": "Request was throttled. Expected available
 * in N seconds."} with Retry-After: N.
 */
#ifndef TASKMGR_RATELIMIT_H
#define TASKMGR_RATELIMIT_H

#include <stdint.h>

#include "db.h"

struct rate;
struct req;

/* The status a hook answers for a storage failure: 503 for DB_BUSY, else 500. */
int	 http_db_status(enum dbrc);
/* Writes the 429 (DRF's body, Retry-After) for a wait of that many seconds; returns 429. */
int	 http_throttled(struct req *, int64_t wait);
/*
 * Counts one request for key against rate; 0 when allowed, 429
 * (http_throttled) when refused, 503/500 when the limiter cannot count.
 */
int	 http_throttle_hit(struct req *, const char *key, const struct rate *);
/*
 * Counts one anonymous request of the client address (REMOTE_ADDR, an IPv6
 * one by its /64) against throttle_anon, as http_throttle_hit does: also
 * what a failed credential costs.
 */
int	 http_anon_hit(struct req *);
/*
 * 429 (as http_throttle_hit) when the client address has no throttle_anon
 * budget left, without counting a request; else 0.  Asked before a bot
 * secret is compared, so a throttled guess is never checked.
 */
int	 http_anon_over(struct req *);
/* The app->throttle hook: throttle_anon per REMOTE_ADDR (/64 for IPv6) or throttle_user per user. */
int	 http_throttle(struct req *);

#endif
