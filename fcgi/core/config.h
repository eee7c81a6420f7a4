/*
 * config: the one configuration file (key = value lines, # comments) with
 * every key overridable by the environment variable TASKMGR_<KEY>.
 */
#ifndef TASKMGR_CONFIG_H
#define TASKMGR_CONFIG_H

#include <stdint.h>
#include <stdio.h>

/* A rate limit such as 10/minute: n requests per period seconds; n == 0 means off. */
struct rate {
	int64_t	 n;
	int64_t	 period;
};

struct tz;

struct config {
	char	*database;
	char	*state_dir;	/* per-host files (rate limits, metrics); "": the default */
	char	*synchronous;	/* "full" or "normal" */
	char	*time_zone;
	const struct tz *tz;	/* time_zone, resolved (core/tz.h): the default zone */
	int64_t	 page_size;
	int64_t	 max_page_size;
	int64_t	 max_body;
	int64_t	 request_timeout;	/* seconds from a FastCGI connection's accept to its end */
	int64_t	 access_token_ttl;
	int64_t	 refresh_token_ttl;
	int64_t	 session_ttl;
	struct rate throttle_anon;
	struct rate throttle_user;
	struct rate throttle_login;
	int64_t	 argon2_t_cost;
	int64_t	 argon2_m_cost_kib;
	int64_t	 argon2_parallelism;
	char	*telegram_bot_name;
	char	*telegram_bot_token;
	char	*telegram_bot_secret;
	char	*telegram_webhook_secret;
	char	*telegram_api_base;
	int64_t	 telegram_link_ttl;
	int64_t	 overdue_sweep_interval;
	int64_t	 events_retention_days;		/* the worker purges older events; 0 = keep */
	int64_t	 outbox_retention_days;		/* ... and older finished notices; 0 = keep */
	int64_t	 telegram_timeout;		/* seconds per Bot API call */
	int64_t	 telegram_poll_timeout;		/* getUpdates long-poll seconds */
	int64_t	 telegram_retry_base_ms;	/* first retry delay of a notice */
	int64_t	 telegram_retry_max;		/* longest retry delay, seconds */
	int64_t	 telegram_chat_interval_ms;	/* least gap between two messages to one chat */
	struct rate telegram_rate;		/* messages over all chats */
	int64_t	 worker_poll_ms;		/* how often the worker looks at the outbox */
	char	*admin_prefix;
	char	*templates_dir;
	char	*public_url;
	char	*log_level;
	char	*log_file;
	char	*metrics_allow;	/* addresses and CIDR ranges GET /metrics answers */
	int64_t	 webhook_timeout;	/* seconds a webhook receiver has to answer */
	int64_t	 webhook_disable_after;	/* failures in a row (over a day) that disable a webhook */
	char	*webhook_allow_http;	/* "yes" or "no": http:// webhook URLs allowed */
	char	*webhook_allow_hosts;	/* hosts (as written in URLs) exempt from the address check */
	int	 log_level_n;	/* derived: 0 error, 1 warn, 2 info, 3 debug */
	int	 sync_normal;	/* derived: 1 when synchronous = normal */
	int	 hook_http;	/* derived: 1 when webhook_allow_http = yes */
	int	 db_pg;		/* derived: 1 when database is a PostgreSQL URI */
};

/*
 * Fills cfg with the defaults, then the file at path (NULL: none), then the
 * environment.  On an unknown key or bad value returns -1 with
 * "file:line: message" (or "TASKMGR_KEY: message") in err.  A shared
 * secret (telegram_bot_secret, telegram_webhook_secret) is either empty
 * (not configured) or at least 32 characters and not the example's
 * placeholder.  The strings in cfg are owned by it: release them with
 * config_free().
 */
int	 config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/*
 * Like config_load() with len bytes of text (not NUL-terminated, may hold any
 * bytes) in place of a file; messages name it name.
 */
int	 config_load_text(struct config *cfg, const char *name, const char *text,
	    size_t len, char *err, size_t errlen);
void	 config_free(struct config *);
/*
 * 1 when s is a PostgreSQL connection URI (postgresql:// or postgres://, a
 * libpq URI; README "PostgreSQL and several hosts"), 0 for a SQLite path.
 */
int	 config_is_pg_uri(const char *s);
/*
 * Writes a database setting to f; in a URI the password (user:PASSWORD@
 * and a password= parameter) is masked.
 */
void	 config_print_database(const char *database, FILE *f);
/*
 * Writes to out the path of this host's file named by suffix ("-limits",
 * "-metrics"): <state_dir>/taskmgr<suffix> when state_dir is set, else
 * beside the SQLite database (<database><suffix>), else (PostgreSQL)
 * in $(localstatedir)/lib/taskmgr.  -1 when it does not fit.
 */
int	 config_state_file(const struct config *, const char *suffix, char *out,
	    size_t outlen);
/* Prints the effective configuration as key = value lines, secrets masked
 * (the database URI's password too). */
void	 config_print(const struct config *, FILE *);
/* Parses "N/second|minute|hour|day" or "off"; 0 ok, -1 bad. */
int	 config_parse_rate(const char *, struct rate *);
/* The config path: explicit if given, else $TASKMGR_CONFIG, else the built-in default. */
const char *config_path(const char *explicit_path);

#endif
