/* ratelimit: the shared rate limits as 429 answers. */
#include <stdio.h>

#include "app.h"
#include "config.h"
#include "ratelimit.h"
#include "request.h"
#include "throttle.h"
#include "timeutil.h"

int
http_db_status(enum dbrc rc)
{
	return rc == DB_BUSY ? 503 : 500;
}

int
http_throttled(struct req *r, int64_t wait)
{
	char	 msg[96], ra[24];

	snprintf(msg, sizeof(msg), "Request was throttled. Expected available in %lld %s.",
	    (long long)wait, wait == 1 ? "second" : "seconds");
	snprintf(ra, sizeof(ra), "%lld", (long long)wait);
	resp_header(r, "Retry-After", ra);
	return resp_detail(r, 429, msg);
}

/* The answer of a limiter outcome: 0 allowed, 429, or the storage failure. */
static int
answer(struct req *r, enum dbrc rc, int64_t wait)
{
	if (rc != DB_OK)
		return http_db_status(rc);
	return wait > 0 ? http_throttled(r, wait) : 0;
}

int
http_throttle_hit(struct req *r, const char *key, const struct rate *rate)
{
	int64_t	 wait;
	enum dbrc rc;

	rc = throttle_take(r->app->limits, key, rate, now_us(), &wait);
	return answer(r, rc, wait);
}

int
http_anon_hit(struct req *r)
{
	char	 key[THROTTLE_KEY_MAX];

	throttle_addr_key(r->remote_addr, key, sizeof(key));
	return http_throttle_hit(r, key, &r->app->cfg.throttle_anon);
}

int
http_anon_over(struct req *r)
{
	char	 key[THROTTLE_KEY_MAX];
	int64_t	 wait;
	enum dbrc rc;

	throttle_addr_key(r->remote_addr, key, sizeof(key));
	rc = throttle_peek(r->app->limits, key, &r->app->cfg.throttle_anon, now_us(), &wait);
	return answer(r, rc, wait);
}

int
http_throttle(struct req *r)
{
	const struct config *cfg = &r->app->cfg;
	char	 key[THROTTLE_KEY_MAX];

	if (r->user.id != 0) {
		if (cfg->throttle_user.n <= 0)
			return 0;
		snprintf(key, sizeof(key), "u:%lld", (long long)r->user.id);
		return http_throttle_hit(r, key, &cfg->throttle_user);
	}
	if (cfg->throttle_anon.n <= 0)
		return 0;
	return http_anon_hit(r);
}
