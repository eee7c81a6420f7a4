/* throttle: shared rate limits (GCRA) and the keys they count under. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "ratemap.h"
#include "throttle.h"
#include "tokens.h"
#include "username.h"

struct ratemap *
throttle_open(struct db *db, const char *file)
{
	struct ratemap *map;
	char	 path[4096], err[512];

	if (file == NULL) {
		/* SQLite's own (dbstmt.h): the table sits beside the database file */
		if (!db_is_sqlite() || db->h == NULL ||
		    (file = sqlite3_db_filename(db->h, "main")) == NULL ||
		    *file == '\0')
			return NULL;
		if ((size_t)snprintf(path, sizeof(path), "%s-limits", file) >= sizeof(path)) {
			log_error("rate limits: the database path is too long");
			return NULL;
		}
		file = path;
	}
	if ((map = ratemap_open(file, err, sizeof(err))) == NULL)
		log_error("rate limits: %s", err);
	return map;
}

/* GCRA over the shared table; count 0 only looks (throttle_peek). */
static enum dbrc
gcra(struct ratemap *map, const char *key, const struct rate *rate, int64_t now,
    int count, int64_t *wait)
{
	/*
	 * GCRA: interval T = period / n, tolerance tau = period - T.  A request
	 * is allowed when max(tat, now) - now <= tau, and then moves tat to
	 * max(tat, now) + T; a refused one leaves tat alone.
	 */
	int64_t	 period, t, tau, tat;
	int	 ok;

	*wait = 0;
	if (rate->n <= 0)
		return DB_OK;
	period = rate->period * 1000000;
	t = period / rate->n;
	if (t < 1)
		t = 1;
	tau = period - t;
	if (map == NULL)
		return DB_ERROR;
	ok = count ? ratemap_take(map, key, now, t, tau, &tat) :
	    ratemap_peek(map, key, now, tau, &tat);
	if (ok)
		return DB_OK;
	*wait = (tat - tau - now + 999999) / 1000000;
	if (*wait < 1)
		*wait = 1;
	return DB_OK;
}

enum dbrc
throttle_take(struct ratemap *map, const char *key, const struct rate *rate,
    int64_t now, int64_t *wait)
{
	return gcra(map, key, rate, now, 1, wait);
}

enum dbrc
throttle_peek(struct ratemap *map, const char *key, const struct rate *rate,
    int64_t now, int64_t *wait)
{
	return gcra(map, key, rate, now, 0, wait);
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
