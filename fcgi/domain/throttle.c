/* throttle: shared rate limits (GCRA) and the periodic purge of expired rows. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "ratemap.h"
#include "request.h"
#include "sessions.h"
#include "task_search.h"
#include "throttle.h"
#include "timeutil.h"
#include "tokens.h"
#include "username.h"

#define PURGE_EVERY	(60 * 1000000LL)	/* microseconds between purges per process */
#define PURGE_BATCH	200

/*
 * The process's map of the limiter state, beside the database file
 * (<database>-limits), opened on first use and again when the database's
 * path changes.
 */
static struct ratemap *
limits_map(struct db *db)
{
	static struct ratemap *map;
	static char *map_db;
	const char *file;
	char	 path[4096], err[512];

	if (db->h == NULL || (file = sqlite3_db_filename(db->h, "main")) == NULL ||
	    *file == '\0')
		return NULL;
	if (map != NULL && strcmp(map_db, file) == 0)
		return map;
	ratemap_close(map);
	free(map_db);
	map = NULL;
	if ((map_db = strdup(file)) == NULL)
		return NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s-limits", file) >= sizeof(path)) {
		log_error("rate limits: the database path is too long");
		return NULL;
	}
	if ((map = ratemap_open(path, err, sizeof(err))) == NULL)
		log_error("rate limits: %s", err);
	return map;
}

/* GCRA over the shared table; count 0 only looks (throttle_anon_over). */
static int
gcra(struct db *db, const char *key, const struct rate *rate, int64_t now,
    int count, int64_t *wait)
{
	/*
	 * GCRA: interval T = period / n, tolerance tau = period - T.  A request
	 * is allowed when max(tat, now) - now <= tau, and then moves tat to
	 * max(tat, now) + T; a refused one leaves tat alone.
	 */
	struct ratemap *map;
	int64_t	 period, t, tau, tat;
	int	 ok;

	*wait = 0;
	if (rate->n <= 0)
		return 0;
	period = rate->period * 1000000;
	t = period / rate->n;
	if (t < 1)
		t = 1;
	tau = period - t;
	if ((map = limits_map(db)) == NULL)
		return -DB_ERROR;
	ok = count ? ratemap_take(map, key, now, t, tau, &tat) :
	    ratemap_peek(map, key, now, tau, &tat);
	if (ok)
		return 0;
	*wait = (tat - tau - now + 999999) / 1000000;
	if (*wait < 1)
		*wait = 1;
	return 1;
}

int
throttle_take(struct db *db, const char *key, const struct rate *rate,
    int64_t now, int64_t *wait)
{
	return gcra(db, key, rate, now, 1, wait);
}

/* The 429 (DRF's body, Retry-After) for a wait of that many seconds. */
static int
throttled(struct req *r, int64_t wait)
{
	char	 msg[96], ra[24];

	snprintf(msg, sizeof(msg), "Request was throttled. Expected available in %lld %s.",
	    (long long)wait, wait == 1 ? "second" : "seconds");
	snprintf(ra, sizeof(ra), "%lld", (long long)wait);
	resp_header(r, "Retry-After", ra);
	return resp_detail(r, 429, msg);
}

int
throttle_hit(struct req *r, const char *key, const struct rate *rate)
{
	int64_t	 wait;
	int	 rc;

	rc = throttle_take(&r->app->db, key, rate, now_us(), &wait);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return -rc == DB_BUSY ? 503 : 500;
	return throttled(r, wait);
}

/* The throttle_anon key of the request's client address (an IPv6 one by its /64). */
static void
anon_key(const struct req *r, char *key, size_t keylen)
{
	throttle_addr_key(r->remote_addr, key, keylen);
}

int
throttle_anon_hit(struct req *r)
{
	char	 key[96];

	anon_key(r, key, sizeof(key));
	return throttle_hit(r, key, &r->app->cfg.throttle_anon);
}

int
throttle_anon_over(struct req *r)
{
	int64_t	 wait;
	char	 key[96];
	int	 rc;

	anon_key(r, key, sizeof(key));
	rc = gcra(&r->app->db, key, &r->app->cfg.throttle_anon, now_us(), 0, &wait);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return -rc == DB_BUSY ? 503 : 500;
	return throttled(r, wait);
}

void
throttle_housekeep(struct app *app)
{
	static int64_t last;	/* process state: when this process last purged */
	struct db *db = &app->db;
	int64_t	 now = mono_us();
	int	 a = 0, b = 0;

	task_search_housekeep(db);
	if (last != 0 && now - last < PURGE_EVERY)
		return;
	last = now;
	if (tokens_purge(db, PURGE_BATCH, &a) != DB_OK ||
	    sessions_purge(db, PURGE_BATCH, &b) != DB_OK)
		return;
	if (a + b > 0)
		log_debug("purged %d tokens, %d sessions", a, b);
}

void
throttle_addr_key(const char *addr, char *out, size_t outlen)
{
	struct in6_addr a6;
	char	 text[INET6_ADDRSTRLEN];

	if (addr == NULL)
		addr = "";
	if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, &a6) != 1) {
		snprintf(out, outlen, "a:%.64s", addr);
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text));
		snprintf(out, outlen, "a:%s", text);
		return;
	}
	memset(&a6.s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, &a6, text, sizeof(text));
	snprintf(out, outlen, "a:%s/64", text);
}

void
throttle_login_key(const char *username, char out[THROTTLE_KEY_MAX])
{
	static const char hex[] = "0123456789abcdef";
	char	 key[USERNAME_KEY_BUF];
	unsigned char d[32];
	const char *s = key;
	int	 i;

	out[0] = 'l';
	if (username_key(username, key, sizeof(key)) < 0) {
		s = username;
		out[0] = 'L';
	}
	token_digest(s, d);
	out[1] = ':';
	for (i = 0; i < 32; i++) {
		out[2 + 2 * i] = hex[d[i] >> 4];
		out[3 + 2 * i] = hex[d[i] & 15];
	}
	out[66] = '\0';
}

int
throttle_request(struct req *r)
{
	const struct config *cfg = &r->app->cfg;
	char	 key[96];

	if (r->user.id != 0) {
		if (cfg->throttle_user.n <= 0)
			return 0;
		snprintf(key, sizeof(key), "u:%lld", (long long)r->user.id);
		return throttle_hit(r, key, &cfg->throttle_user);
	}
	if (cfg->throttle_anon.n <= 0)
		return 0;
	return throttle_anon_hit(r);
}
