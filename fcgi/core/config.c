/* config: key = value file, environment overrides, validation. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "timeutil.h"
#include "tz.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
/* state_dir's default on PostgreSQL (no database file to sit beside) */
#define STATE_DIR_PG	LOCALSTATEDIR "/lib/taskmgr"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/taskmgr"
#endif

enum ktype { K_STR, K_INT, K_RATE };

struct key {
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	const char	*def;
	int64_t		 min, max;	/* K_INT bounds; K_STR: min length unless empty */
	int		 secret;	/* masked by config_print; 2: a URI's password only */
};

/*
 * The placeholder of the example configuration of earlier releases: a
 * secret anyone can read, refused like a short one.
 */
#define SECRET_PLACEHOLDER	"change-me-to-a-long-random-string"
#define SECRET_MIN		32	/* characters of a shared secret */

#define S(f) K_STR, offsetof(struct config, f)
#define I(f) K_INT, offsetof(struct config, f)
#define R(f) K_RATE, offsetof(struct config, f)

static const struct key keys[] = {
	{ "database", S(database), LOCALSTATEDIR "/lib/taskmgr/taskmgr.db", 0, 0, 2 },
	{ "state_dir", S(state_dir), "", 0, 0, 0 },
	{ "synchronous", S(synchronous), "full", 0, 0, 0 },
	{ "time_zone", S(time_zone), "UTC", 0, 0, 0 },
	{ "page_size", I(page_size), "20", 1, 10000, 0 },
	{ "max_page_size", I(max_page_size), "100", 1, 10000, 0 },
	{ "max_body", I(max_body), "65536", 1024, 64 * 1024 * 1024, 0 },
	{ "request_timeout", I(request_timeout), "30", 1, 3600, 0 },
	{ "access_token_ttl", I(access_token_ttl), "900", 10, 86400 * 366, 0 },
	{ "refresh_token_ttl", I(refresh_token_ttl), "604800", 60, 86400 * 3660, 0 },
	{ "session_ttl", I(session_ttl), "1209600", 60, 86400 * 3660, 0 },
	{ "throttle_anon", R(throttle_anon), "10/minute", 0, 0, 0 },
	{ "throttle_user", R(throttle_user), "1000/day", 0, 0, 0 },
	{ "throttle_login", R(throttle_login), "10/minute", 0, 0, 0 },
	{ "argon2_t_cost", I(argon2_t_cost), "2", 1, 100, 0 },
	{ "argon2_m_cost_kib", I(argon2_m_cost_kib), "19456", 8, 4 * 1024 * 1024, 0 },
	{ "argon2_parallelism", I(argon2_parallelism), "1", 1, 64, 0 },
	{ "telegram_bot_name", S(telegram_bot_name), "", 0, 0, 0 },
	{ "telegram_bot_token", S(telegram_bot_token), "", 0, 0, 1 },
	{ "telegram_bot_secret", S(telegram_bot_secret), "", SECRET_MIN, 0, 1 },
	{ "telegram_webhook_secret", S(telegram_webhook_secret), "", SECRET_MIN, 0, 1 },
	{ "telegram_api_base", S(telegram_api_base), "https://api.telegram.org", 0, 0, 0 },
	{ "telegram_link_ttl", I(telegram_link_ttl), "600", 10, 86400, 0 },
	{ "overdue_sweep_interval", I(overdue_sweep_interval), "60", 1, 86400, 0 },
	{ "events_retention_days", I(events_retention_days), "30", 0, 36500, 0 },
	{ "outbox_retention_days", I(outbox_retention_days), "30", 0, 36500, 0 },
	{ "telegram_timeout", I(telegram_timeout), "10", 1, 300, 0 },
	{ "telegram_poll_timeout", I(telegram_poll_timeout), "25", 0, 50, 0 },
	{ "telegram_retry_base_ms", I(telegram_retry_base_ms), "2000", 10, 3600000, 0 },
	{ "telegram_retry_max", I(telegram_retry_max), "3600", 1, 86400, 0 },
	{ "telegram_chat_interval_ms", I(telegram_chat_interval_ms), "1000", 0, 60000, 0 },
	{ "telegram_rate", R(telegram_rate), "30/second", 0, 0, 0 },
	{ "worker_poll_ms", I(worker_poll_ms), "1000", 10, 60000, 0 },
	{ "admin_prefix", S(admin_prefix), "/admin/", 0, 0, 0 },
	{ "templates_dir", S(templates_dir), PKGDATADIR "/templates", 0, 0, 0 },
	{ "public_url", S(public_url), "", 0, 0, 0 },
	{ "log_level", S(log_level), "info", 0, 0, 0 },
	{ "log_file", S(log_file), "", 0, 0, 0 },
	{ "metrics_allow", S(metrics_allow), "127.0.0.1 ::1", 0, 0, 0 },
	{ "webhook_timeout", I(webhook_timeout), "10", 1, 300, 0 },
	{ "webhook_disable_after", I(webhook_disable_after), "20", 1, 100000, 0 },
	{ "webhook_allow_http", S(webhook_allow_http), "no", 0, 0, 0 },
	{ "webhook_allow_hosts", S(webhook_allow_hosts), "", 0, 0, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int
config_state_file(const struct config *cfg, const char *suffix, char *out, size_t outlen)
{
	const char *dir = cfg->state_dir;
	int	 n;

	if (*dir == '\0' && !cfg->db_pg)
		n = snprintf(out, outlen, "%s%s", cfg->database, suffix);
	else
		n = snprintf(out, outlen, "%s/taskmgr%s",
		    *dir != '\0' ? dir : STATE_DIR_PG, suffix);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

const char *
config_path(const char *explicit_path)
{
	const char *e;

	if (explicit_path != NULL)
		return explicit_path;
	if ((e = getenv("TASKMGR_CONFIG")) != NULL && *e != '\0')
		return e;
	return SYSCONFDIR "/taskmgr.conf";
}

int
config_parse_rate(const char *s, struct rate *r)
{
	static const struct { const char *name; int64_t secs; } units[] = {
		{ "s", 1 }, { "sec", 1 }, { "second", 1 },
		{ "m", 60 }, { "min", 60 }, { "minute", 60 },
		{ "h", 3600 }, { "hour", 3600 },
		{ "d", 86400 }, { "day", 86400 },
	};
	char	*end;
	long long n;
	size_t	 i;

	if (strcmp(s, "off") == 0) {
		r->n = 0;
		r->period = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || n < 1 || n > 1000000000 || *end != '/')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end + 1, units[i].name) == 0) {
			r->n = n;
			r->period = units[i].secs;
			return 0;
		}
	return -1;
}

static const struct key *
key_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Stores value into the field of k; on error writes a message (without location) to err. */
static int
key_set(struct config *cfg, const struct key *k, const char *val,
    char *err, size_t errlen)
{
	char	*base = (char *)cfg, *end, *dup;
	long long v;

	switch (k->type) {
	case K_STR:
		/* a shared secret must not be guessable: empty (not configured) or long */
		if (k->min > 0 && *val != '\0' && (strcmp(val, SECRET_PLACEHOLDER) == 0 ||
		    strlen(val) < (size_t)k->min)) {
			snprintf(err, errlen, "%s: %s; set at least %lld random characters "
			    "(e.g. openssl rand -hex 32) or leave it empty", k->name,
			    strcmp(val, SECRET_PLACEHOLDER) == 0 ? "is the example's placeholder" :
			    "too short", (long long)k->min);
			return -1;
		}
		if ((dup = strdup(val)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(*(char **)(base + k->off));
		*(char **)(base + k->off) = dup;
		return 0;
	case K_INT:
		errno = 0;
		v = strtoll(val, &end, 10);
		if (*val == '\0' || *end != '\0' || errno != 0) {
			snprintf(err, errlen, "%s: not a whole number: \"%s\"", k->name, val);
			return -1;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: %lld is out of range (%lld to %lld)",
			    k->name, v, (long long)k->min, (long long)k->max);
			return -1;
		}
		*(int64_t *)(base + k->off) = v;
		return 0;
	case K_RATE:
		if (config_parse_rate(val, (struct rate *)(base + k->off)) < 0) {
			snprintf(err, errlen, "%s: expected N/second, N/minute, "
			    "N/hour, N/day or off, not \"%s\"", k->name, val);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* Checks rules that involve the value as a whole or several keys. */
static int
config_validate(struct config *cfg, char *err, size_t errlen)
{
	static const char *levels[] = { "error", "warn", "info", "debug" };
	size_t	 i, n;

	if (*cfg->database == '\0') {
		snprintf(err, errlen, "database: must not be empty");
		return -1;
	}
	/* a URI is libpq's to parse, when a command connects; not a file */
	cfg->db_pg = config_is_pg_uri(cfg->database);
	if (*cfg->state_dir != '\0' && cfg->state_dir[0] != '/') {
		snprintf(err, errlen, "state_dir: expected an absolute folder, not \"%s\"",
		    cfg->state_dir);
		return -1;
	}
	if (strcmp(cfg->synchronous, "full") != 0 && strcmp(cfg->synchronous, "normal") != 0) {
		snprintf(err, errlen, "synchronous: expected full or normal, not \"%s\"",
		    cfg->synchronous);
		return -1;
	}
	cfg->sync_normal = strcmp(cfg->synchronous, "normal") == 0;
	if ((cfg->tz = tz_get(cfg->time_zone)) == NULL) {
		snprintf(err, errlen, "time_zone: unknown time zone \"%s\"", cfg->time_zone);
		return -1;
	}
	if (cfg->page_size > cfg->max_page_size) {
		snprintf(err, errlen, "page_size: %lld is larger than max_page_size %lld",
		    (long long)cfg->page_size, (long long)cfg->max_page_size);
		return -1;
	}
	n = strlen(cfg->admin_prefix);
	if (n < 2 || cfg->admin_prefix[0] != '/' || cfg->admin_prefix[n - 1] != '/' ||
	    strncmp(cfg->admin_prefix, "/api/", 5) == 0 ||
	    strncmp(cfg->admin_prefix, "/static/", 8) == 0) {
		snprintf(err, errlen, "admin_prefix: must start and end with '/' "
		    "and not be under /api/ or /static/: \"%s\"", cfg->admin_prefix);
		return -1;
	}
	if (*cfg->public_url != '\0' &&
	    ((strncmp(cfg->public_url, "http://", 7) != 0 &&
	    strncmp(cfg->public_url, "https://", 8) != 0) ||
	    cfg->public_url[strlen(cfg->public_url) - 1] == '/')) {
		snprintf(err, errlen, "public_url: expected scheme://host[:port] "
		    "without a trailing slash, not \"%s\"", cfg->public_url);
		return -1;
	}
	if (strncmp(cfg->telegram_api_base, "http://", 7) != 0 &&
	    strncmp(cfg->telegram_api_base, "https://", 8) != 0) {
		snprintf(err, errlen, "telegram_api_base: expected an http:// or "
		    "https:// URL, not \"%s\"", cfg->telegram_api_base);
		return -1;
	}
	for (i = 0; i < 4; i++)
		if (strcmp(cfg->log_level, levels[i]) == 0)
			break;
	if (i == 4) {
		snprintf(err, errlen, "log_level: expected error, warn, info or debug, "
		    "not \"%s\"", cfg->log_level);
		return -1;
	}
	cfg->log_level_n = (int)i;
	if (metrics_allow_check(cfg->metrics_allow, err, errlen) < 0)
		return -1;
	if (strcmp(cfg->webhook_allow_http, "yes") != 0 &&
	    strcmp(cfg->webhook_allow_http, "no") != 0) {
		snprintf(err, errlen, "webhook_allow_http: expected yes or no, not \"%s\"",
		    cfg->webhook_allow_http);
		return -1;
	}
	cfg->hook_http = strcmp(cfg->webhook_allow_http, "yes") == 0;
	return 0;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

#define CONFIG_MAX_LINE	4094		/* bytes of one line without its newline */
#define CONFIG_MAX_SIZE	(1024 * 1024)	/* bytes of the whole file */

/*
 * Applies the key = value lines of len bytes of text to cfg; name is the
 * file name used in messages.  A line may end in \n or \r\n or the end of
 * the text; NUL bytes and lines longer than CONFIG_MAX_LINE are errors.
 * Never reads outside text[0..len).
 */
static int
config_parse_text(struct config *cfg, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	char	 line[CONFIG_MAX_LINE + 2], msg[512], *k, *v, *eq;
	const char *p = text, *end = text + len, *nl;
	const struct key *key;
	size_t	 n;
	int	 lineno = 0;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n > CONFIG_MAX_LINE) {
			snprintf(err, errlen, "%s:%d: line too long", name, lineno);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%d: NUL byte in line", name, lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected key = value", name, lineno);
			return -1;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if ((key = key_find(k)) == NULL) {
			snprintf(err, errlen, "%s:%d: unknown key \"%.200s\"", name, lineno, k);
			return -1;
		}
		if (key_set(cfg, key, v, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
			return -1;
		}
	}
	return 0;
}

/* Reads the whole file at path (at most CONFIG_MAX_SIZE bytes) and applies it. */
static int
config_read_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*text = NULL;
	size_t	 len;
	int	 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(CONFIG_MAX_SIZE + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	len = fread(text, 1, CONFIG_MAX_SIZE + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (len > CONFIG_MAX_SIZE) {
		snprintf(err, errlen, "%s: file too large", path);
		goto out;
	}
	rc = config_parse_text(cfg, path, text, len, err, errlen);
out:
	free(text);
	fclose(f);
	return rc;
}

extern char **environ;

/*
 * Refuses a TASKMGR_* environment variable that is neither TASKMGR_CONFIG
 * nor TASKMGR_<KEY> of a key, as an unknown key in the file is refused (a
 * misspelt override would otherwise be ignored): -1 with "NAME: unknown
 * setting" in err.
 */
static int
env_check(char *err, size_t errlen)
{
	char	**e;
	size_t	 i, j, n;

	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "TASKMGR_", 8) != 0)
			continue;
		n = strcspn(*e, "=");
		if (n == 14 && strncmp(*e, "TASKMGR_CONFIG", 14) == 0)
			continue;
		for (i = 0; i < NKEYS; i++) {
			for (j = 0; keys[i].name[j] != '\0' && 8 + j < n &&
			    (*e)[8 + j] == toupper((unsigned char)keys[i].name[j]); j++)
				;
			if (keys[i].name[j] == '\0' && 8 + j == n)
				break;
		}
		if (i == NKEYS) {
			snprintf(err, errlen, "%.*s: unknown setting", (int)(n < 100 ? n : 100), *e);
			return -1;
		}
	}
	return 0;
}

/* Defaults, then the file (path) or the text (name, text, len), then the environment. */
static int
config_load_from(struct config *cfg, const char *path, const char *name,
    const char *text, size_t len, char *err, size_t errlen)
{
	char	 env[128], msg[512];
	const char *v;
	size_t	 i, j;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (key_set(cfg, &keys[i], keys[i].def, err, errlen) < 0)
			return -1;
	if (path != NULL && config_read_file(cfg, path, err, errlen) < 0)
		return -1;
	if (text != NULL && config_parse_text(cfg, name, text, len, err, errlen) < 0)
		return -1;
	if (env_check(err, errlen) < 0)
		return -1;
	for (i = 0; i < NKEYS; i++) {
		snprintf(env, sizeof(env), "TASKMGR_%s", keys[i].name);
		for (j = 8; env[j] != '\0'; j++)
			env[j] = (char)toupper((unsigned char)env[j]);
		if ((v = getenv(env)) == NULL)
			continue;
		if (key_set(cfg, &keys[i], v, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s: %s", env, msg);
			return -1;
		}
	}
	if (config_validate(cfg, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", path ? path : name ? name : "(defaults)", msg);
		return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	return config_load_from(cfg, path, NULL, NULL, 0, err, errlen);
}

int
config_load_text(struct config *cfg, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	return config_load_from(cfg, NULL, name ? name : "(text)", text, len, err, errlen);
}

void
config_free(struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STR) {
			free(*(char **)((char *)cfg + keys[i].off));
			*(char **)((char *)cfg + keys[i].off) = NULL;
		}
}

static void
rate_print(const struct rate *r, FILE *f)
{
	const char *u = "second";

	if (r->n == 0) {
		fputs("off", f);
		return;
	}
	if (r->period == 60)
		u = "minute";
	else if (r->period == 3600)
		u = "hour";
	else if (r->period == 86400)
		u = "day";
	fprintf(f, "%lld/%s", (long long)r->n, u);
}

int
config_is_pg_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

void
config_print_database(const char *db, FILE *f)
{
	const char *p, *q, *auth, *end, *at = NULL, *colon;

	if (!config_is_pg_uri(db)) {
		fputs(db, f);
		return;
	}
	/* postgresql://[user[:password]@][host][/dbname][?k=v&...] */
	auth = strstr(db, "://") + 3;
	end = auth + strcspn(auth, "/?");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL) {
		fwrite(db, 1, (size_t)(colon + 1 - db), f);
		fputs("********", f);
		p = at;
	} else
		p = db;
	/* a password=... parameter: its value, up to the next '&' */
	while ((q = strstr(p, "password=")) != NULL) {
		fwrite(p, 1, (size_t)(q + 9 - p), f);
		p = q + 9;
		if (q > end && (q[-1] == '?' || q[-1] == '&')) {
			fputs("********", f);
			p += strcspn(p, "&");
		}
	}
	fputs(p, f);
}

void
config_print(const struct config *cfg, FILE *f)
{
	const char *base = (const char *)cfg, *s;
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		fprintf(f, "%s = ", keys[i].name);
		switch (keys[i].type) {
		case K_STR:
			s = *(char *const *)(base + keys[i].off);
			if (keys[i].secret == 2)
				config_print_database(s, f);
			else
				fputs(keys[i].secret && *s != '\0' ? "********" : s, f);
			break;
		case K_INT:
			fprintf(f, "%lld", (long long)*(const int64_t *)(base + keys[i].off));
			break;
		case K_RATE:
			rate_print((const struct rate *)(base + keys[i].off), f);
			break;
		}
		fputc('\n', f);
	}
}
