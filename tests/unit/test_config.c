/* Unit tests: configuration parsing, environment overrides, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char path[] = "/tmp/taskmgr-test-config-XXXXXX";

static int
load_text(const char *text, struct config *c, char *err, size_t errlen)
{
	FILE	*f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return config_load(c, path, err, errlen);
}

static int
err_is(const char *text, const char *want_suffix)
{
	struct config c;
	char	 err[512], want[600];
	int	 rc;

	rc = load_text(text, &c, err, sizeof(err));
	config_free(&c);
	snprintf(want, sizeof(want), "%s:%s", path, want_suffix);
	if (rc == 0 || strcmp(err, want) != 0) {
		printf("#   got: %s\n#   want: %s\n", rc == 0 ? "(loaded)" : err, want);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct config c;
	char	 err[512];
	int	 fd = mkstemp(path);
	FILE	*mem;
	char	*out = NULL;
	size_t	 outlen = 0;
	struct rate r;

	close(fd);
	unsetenv("TASKMGR_PAGE_SIZE");
	is_int(config_load(&c, NULL, err, sizeof(err)), 0, "defaults load");
	is_int(c.page_size, 20, "page_size default");
	is_int(c.max_body, 65536, "max_body default");
	is_int(c.request_timeout, 30, "request_timeout default");
	is_int(c.throttle_anon.n, 10, "throttle_anon 10");
	is_int(c.throttle_anon.period, 60, "per minute");
	is_int(c.throttle_user.period, 86400, "throttle_user per day");
	is_str(c.admin_prefix, "/admin/", "admin prefix");
	is_int(c.events_retention_days, 30, "events_retention_days default");
	is_int(c.outbox_retention_days, 30, "outbox_retention_days default");
	config_free(&c);

	is_int(load_text("events_retention_days = 0\noutbox_retention_days = 365\n", &c, err,
	    sizeof(err)), 0, "retention keys load");
	is_int(c.events_retention_days, 0, "0 = keep forever");
	is_int(c.outbox_retention_days, 365, "outbox retention set");
	config_free(&c);
	ok(err_is("outbox_retention_days = -1\n",
	    "1: outbox_retention_days: -1 is out of range (0 to 36500)"), "negative retention");
	ok(err_is("events_retention_days = 1e3\n",
	    "1: events_retention_days: not a whole number: \"1e3\""), "retention not a number");

	is_int(load_text("# comment\n\n  page_size = 5  \nthrottle_user=off\n"
	    "telegram_bot_secret = s3cret value of 32 characters...\n", &c, err, sizeof(err)),
	    0, "file loads");
	is_int(c.page_size, 5, "value with spaces");
	is_int(c.throttle_user.n, 0, "off");
	is_str(c.telegram_bot_secret, "s3cret value of 32 characters...",
	    "string keeps inner spaces");
	mem = open_memstream(&out, &outlen);
	config_print(&c, mem);
	fclose(mem);
	ok(strstr(out, "telegram_bot_secret = ********\n") != NULL, "secret masked");
	ok(strstr(out, "s3cret") == NULL, "secret not printed");
	ok(strstr(out, "throttle_user = off\n") != NULL, "rate printed");
	free(out);
	config_free(&c);

	/* a PostgreSQL URI: recognised, not a file; its password masked */
	is_int(load_text("database = postgresql://u:pw@db/t?password=pw&sslmode=require\n",
	    &c, err, sizeof(err)), 0, "a postgresql:// database loads");
	is_int(c.db_pg, 1, "postgresql:// is a PostgreSQL URI");
	mem = open_memstream(&out, &outlen);
	config_print(&c, mem);
	fclose(mem);
	ok(strstr(out, "database = postgresql://u:********@db/t?password=********"
	    "&sslmode=require\n") != NULL, "the URI's passwords masked");
	ok(strstr(out, "pw") == NULL, "no password printed");
	free(out);
	config_free(&c);
	ok(config_is_pg_uri("postgres://db/t") && !config_is_pg_uri("/var/lib/t.db") &&
	    !config_is_pg_uri("postgresql:t") && !config_is_pg_uri("./postgresql://x"),
	    "URI or path");
	{
		static const char *cases[][2] = {
			{ "postgresql:///t?host=/run/pg", "postgresql:///t?host=/run/pg" },
			{ "postgresql://bob@h/t", "postgresql://bob@h/t" },
			{ "postgresql://bob:x%40y@h:5/t", "postgresql://bob:********@h:5/t" },
			{ "postgres://h/t?apassword=1&password=", "postgres://h/t?apassword=1&password=********" },
			{ "postgresql://h/t?password=a&password=b&x=password=",
			  "postgresql://h/t?password=********&password=********&x=password=" },
			{ "/var/lib/taskmgr/password=x.db", "/var/lib/taskmgr/password=x.db" },
		};
		size_t	 i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			mem = open_memstream(&out, &outlen);
			config_print_database(cases[i][0], mem);
			fclose(mem);
			is_str(out, cases[i][1], "printed as %s", cases[i][1]);
			free(out);
		}
	}

	setenv("TASKMGR_PAGE_SIZE", "9", 1);
	is_int(load_text("page_size = 5\n", &c, err, sizeof(err)), 0, "env override loads");
	is_int(c.page_size, 9, "environment wins over the file");
	config_free(&c);
	setenv("TASKMGR_PAGE_SIZE", "x", 1);
	is_int(load_text("", &c, err, sizeof(err)), -1, "bad env value");
	ok(strncmp(err, "TASKMGR_PAGE_SIZE: ", 19) == 0, "error names the variable: %s", err);
	config_free(&c);
	unsetenv("TASKMGR_PAGE_SIZE");

	/* a TASKMGR_* variable that is no setting stops the load, TASKMGR_CONFIG aside */
	setenv("TASKMGR_CONFIG", path, 1);
	is_int(load_text("", &c, err, sizeof(err)), 0, "TASKMGR_CONFIG is allowed");
	config_free(&c);
	unsetenv("TASKMGR_CONFIG");
	setenv("TASKMGR_PAGE_SIZES", "9", 1);
	is_int(load_text("", &c, err, sizeof(err)), -1, "unknown TASKMGR_ variable");
	is_str(err, "TASKMGR_PAGE_SIZES: unknown setting", "names it");
	config_free(&c);
	unsetenv("TASKMGR_PAGE_SIZES");
	setenv("TASKMGR_page_size", "9", 1);
	is_int(load_text("", &c, err, sizeof(err)), -1, "a key in lower case is no override");
	is_str(err, "TASKMGR_page_size: unknown setting", "names it too");
	config_free(&c);
	unsetenv("TASKMGR_page_size");
	setenv("TASKMGR_", "", 1);
	is_int(load_text("", &c, err, sizeof(err)), -1, "TASKMGR_ alone");
	config_free(&c);
	unsetenv("TASKMGR_");
	/* shared secrets: empty, or 32 characters and not the old example's placeholder */
	ok(err_is("# x\ntelegram_bot_secret = change-me-to-a-long-random-string\n",
	    "2: telegram_bot_secret: is the example's placeholder; set at least 32 random "
	    "characters (e.g. openssl rand -hex 32) or leave it empty"), "placeholder refused");
	ok(err_is("telegram_bot_secret = 0123456789abcdef0123456789abcde\n",
	    "1: telegram_bot_secret: too short; set at least 32 random characters "
	    "(e.g. openssl rand -hex 32) or leave it empty"), "31 characters refused");
	ok(err_is("\ntelegram_webhook_secret = hook-secret\n",
	    "2: telegram_webhook_secret: too short; set at least 32 random characters "
	    "(e.g. openssl rand -hex 32) or leave it empty"), "short webhook secret refused");
	is_int(load_text("telegram_bot_secret = 0123456789abcdef0123456789abcdef\n"
	    "telegram_webhook_secret =\n", &c, err, sizeof(err)), 0,
	    "32 characters and empty load");
	is_str(c.telegram_webhook_secret, "", "empty = not configured");
	config_free(&c);
	setenv("TASKMGR_TELEGRAM_BOT_SECRET", "change-me-to-a-long-random-string", 1);
	is_int(load_text("", &c, err, sizeof(err)), -1, "placeholder from the environment");
	is_str(err, "TASKMGR_TELEGRAM_BOT_SECRET: telegram_bot_secret: is the example's "
	    "placeholder; set at least 32 random characters (e.g. openssl rand -hex 32) or "
	    "leave it empty", "error names the variable");
	config_free(&c);
	setenv("TASKMGR_TELEGRAM_WEBHOOK_SECRET", "short", 1);
	unsetenv("TASKMGR_TELEGRAM_BOT_SECRET");
	is_int(load_text("", &c, err, sizeof(err)), -1, "short secret from the environment");
	is_str(err, "TASKMGR_TELEGRAM_WEBHOOK_SECRET: telegram_webhook_secret: too short; "
	    "set at least 32 random characters (e.g. openssl rand -hex 32) or leave it empty",
	    "names the variable");
	config_free(&c);
	unsetenv("TASKMGR_TELEGRAM_WEBHOOK_SECRET");

	ok(err_is("\n\nbogus = 1\n", "3: unknown key \"bogus\""), "unknown key with line");
	ok(err_is("page_size\n", "1: expected key = value"), "missing =");
	ok(err_is("page_size = 0\n", "1: page_size: 0 is out of range (1 to 10000)"), "range");
	ok(err_is("page_size = 2x\n", "1: page_size: not a whole number: \"2x\""), "not a number");
	ok(err_is("request_timeout = 0\n", "1: request_timeout: 0 is out of range (1 to 3600)"),
	    "request_timeout range");
	ok(err_is("request_timeout = 10s\n", "1: request_timeout: not a whole number: \"10s\""),
	    "request_timeout not a number");
	ok(err_is("throttle_anon = 5/fortnight\n", "1: throttle_anon: expected N/second, "
	    "N/minute, N/hour, N/day or off, not \"5/fortnight\""), "bad rate");
	ok(err_is("page_size = 200\n", " page_size: 200 is larger than max_page_size 100"),
	    "page_size above max_page_size");
	ok(err_is("time_zone = Nowhere/Land\n", " time_zone: unknown time zone \"Nowhere/Land\""),
	    "bad time zone");
	ok(err_is("admin_prefix = admin\n", " admin_prefix: must start and end with '/' "
	    "and not be under /api/ or /static/: \"admin\""), "bad admin prefix");
	ok(err_is("log_level = loud\n", " log_level: expected error, warn, info or debug, "
	    "not \"loud\""), "bad log level");
	ok(err_is("synchronous = off\n", " synchronous: expected full or normal, not \"off\""),
	    "bad synchronous");
	ok(err_is("public_url = example.org\n", " public_url: expected scheme://host[:port] "
	    "without a trailing slash, not \"example.org\""), "bad public url");

	is_int(config_parse_rate("100/hour", &r), 0, "rate parses");
	ok(r.n == 100 && r.period == 3600, "100/hour");
	is_int(config_parse_rate("0/hour", &r), -1, "zero refused");
	is_int(config_parse_rate("-1/hour", &r), -1, "negative refused");
	is_int(config_parse_rate("10", &r), -1, "no period refused");
	is_int(config_load(&c, "/nonexistent/taskmgr.conf", err, sizeof(err)), -1, "missing file");
	config_free(&c);
	unlink(path);
	/* the same parser from memory, as the fuzz target drives it */
	is_int(config_load_text(&c, "mem", "page_size = 7\r\nlog_level = warn", 31,
	    err, sizeof(err)), 0, "text: loads without a final newline, CRLF lines");
	is_int((int)c.page_size, 7, "text: page_size");
	is_int(c.log_level_n, 1, "text: log_level");
	is_str(c.synchronous, "full", "text: synchronous defaults to full");
	is_int(c.sync_normal, 0, "text: full is not normal");
	config_free(&c);
	is_int(config_load_text(&c, "mem", "synchronous = normal\n", 21,
	    err, sizeof(err)), 0, "text: synchronous = normal");
	is_int(c.sync_normal, 1, "text: normal");
	config_free(&c);
	is_int(config_load_text(&c, "mem", "log_level = info\0debug\n", 23,
	    err, sizeof(err)), -1, "text: NUL byte refused");
	is_str(err, "mem:1: NUL byte in line", "text: NUL message");
	config_free(&c);
	{
		static char longline[5000];

		memset(longline, 'a', sizeof(longline));
		is_int(config_load_text(&c, "mem", longline, sizeof(longline),
		    err, sizeof(err)), -1, "text: overlong line refused");
		is_str(err, "mem:1: line too long", "text: overlong message");
		config_free(&c);
	}
	ok(err_is("page_size = 1\n\n" "a b c\n", "3: expected key = value"),
	    "file: line numbers count blank lines");
	/* state_dir: where this host's files go (README "Configuration") */
	{
		char	 f[4096];

		ok(err_is("state_dir = var/taskmgr\n",
		    " state_dir: expected an absolute folder, not \"var/taskmgr\""),
		    "state_dir: a relative folder refused");
		is_int(load_text("database = /srv/t.db\n", &c, err, sizeof(err)), 0,
		    "state_dir: empty by default");
		is_int(config_state_file(&c, "-limits", f, sizeof(f)), 0, "fits");
		is_str(f, "/srv/t.db-limits", "state_dir empty: beside the SQLite file");
		config_free(&c);
		is_int(load_text("database = /srv/t.db\nstate_dir = /run/tm\n", &c, err,
		    sizeof(err)), 0, "state_dir set");
		is_int(config_state_file(&c, "-metrics", f, sizeof(f)), 0, "fits");
		is_str(f, "/run/tm/taskmgr-metrics", "state_dir set: in it");
		is_int(config_state_file(&c, "-metrics", f, 10), -1, "too long for out");
		config_free(&c);
		is_int(load_text("database = postgresql:///tm?host=/run/pg\n", &c, err,
		    sizeof(err)), 0, "a PostgreSQL URI");
		is_int(config_state_file(&c, "-limits", f, sizeof(f)), 0, "fits");
		is_str(f, LOCALSTATEDIR "/lib/taskmgr/taskmgr-limits",
		    "PostgreSQL, state_dir empty: the default folder");
		config_free(&c);
		unlink(path);
	}
	return tap_done();
}
