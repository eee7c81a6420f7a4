/*
 * taskmgr: the command-line tool: migrations, users, configuration, and
 * (in later files) the worker, the bot and backups.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "common.h"

static int cmd_version(struct app *, int, char *[]);

const struct command commands[] = {
	{ "migrate", cmd_migrate, APP_DB_CREATE | APP_PG_OK, 0,
	    NULL, NULL,
	    "migrate -- create the database or bring its schema up to date",
	    "usage: taskmgr [--config FILE] migrate\n\n"
	    "Applies the schema migrations the database does not have yet, each in\n"
	    "its own transaction, and prints one line per migration.  Creates the\n"
	    "database file when it does not exist.  Running it again is a no-op.\n"
	    "With database = postgresql://... (a build configured --with-postgresql)\n"
	    "it applies PostgreSQL's migrations in one transaction, under an advisory\n"
	    "lock: hosts migrating at once wait for each other.\n" },
	{ "createsuperuser", cmd_createsuperuser, 0, 1,
	    "--username= --email= --password-stdin", NULL,
	    "createsuperuser --username U [--email E] [--password-stdin] -- create a staff user",
	    "usage: taskmgr [--config FILE] createsuperuser --username U [--email E] [--password-stdin]\n\n"
	    "Creates an active staff and superuser account.  With --password-stdin the\n"
	    "password is the first line of standard input; otherwise it is asked for\n"
	    "twice on the terminal, without echo.\n"
	    "The username follows registration's rules: trimmed, stored in NFKC\n"
	    "form, letters, digits and @.+-_ of one script, at most 150 characters.\n"
	    "The password must pass the same rules as registration: at least 8\n"
	    "characters, not entirely numeric, not a common or dictionary password\n"
	    "(cracklib), not too similar to the username or email.\n"
	    "Exit status: 0 created, 1 failed (e.g. the username exists or the\n"
	    "password is refused, with the reason on standard error), 2 bad usage.\n" },
	{ "passwd", cmd_passwd, 0, 1,
	    "--password-stdin", "USERNAME",
	    "passwd USERNAME [--password-stdin] -- set a user's password",
	    "usage: taskmgr [--config FILE] passwd USERNAME [--password-stdin]\n\n"
	    "Sets the password of USERNAME (matched case-insensitively).  With\n"
	    "--password-stdin the password is the first line of standard input;\n"
	    "otherwise it is asked for twice on the terminal, without echo.  The\n"
	    "password rules of registration apply.  Every token and admin session\n"
	    "of the user is ended.\n"
	    "Exit status: 0 changed, 1 failed (no such user, password refused), 2 bad usage.\n" },
	{ "users", cmd_users, 0, 1,
	    "--deactivate= --activate=", NULL,
	    "users [--deactivate USERNAME | --activate USERNAME] -- list users, or (de)activate one",
	    "usage: taskmgr [--config FILE] users [--deactivate USERNAME | --activate USERNAME]\n\n"
	    "Without options, lists every user: id, username, active, staff, last\n"
	    "login and email, in username order.\n"
	    "--deactivate USERNAME  the user can no longer log in; every token and\n"
	    "                       admin session of the user stops working at once.\n"
	    "--activate USERNAME    allows the user to log in again.\n"
	    "Exit status: 0 done, 1 failed (e.g. no such user), 2 bad usage.\n" },
	{ "worker", cmd_worker, APP_DAEMON, 1,
	    "--once", NULL,
	    "worker [--once] -- run the overdue sweep and deliver Telegram notices",
	    "usage: taskmgr [--config FILE] worker [--once]\n\n"
	    "Every overdue_sweep_interval seconds marks the tasks past their deadline\n"
	    "as overdue and queues the notices to their assignees; continuously sends\n"
	    "the pending notices of the outbox to the linked users' Telegram chats.\n"
	    "Failed sends are retried with exponential backoff (telegram_retry_base_ms\n"
	    "doubling up to telegram_retry_max seconds), a 429's retry_after is obeyed,\n"
	    "messages are paced (telegram_chat_interval_ms per chat, telegram_rate\n"
	    "overall), and permanent errors (chat not found, bot blocked) are recorded\n"
	    "in the outbox and not retried.  Notices of users without a Telegram link\n"
	    "are skipped.  With each sweep it deletes, 500 rows per transaction, the\n"
	    "events older than events_retention_days and the finished notices (sent,\n"
	    "failed, skipped; never pending ones) older than outbox_retention_days\n"
	    "(0 keeps them forever).  Logs go to log_file.  SIGTERM or SIGINT stop it\n"
	    "cleanly.\n\n"
	    "  --once   one sweep and purge, deliver what is due now, and exit (timers, tests)\n\n"
	    "With --once a 429 or a 5xx (or no answer) from Telegram ends the round: the\n"
	    "notice stays queued with its next try time set from retry_after or the\n"
	    "backoff, and the others wait for the next round.  The round's counts are\n"
	    "printed on standard output in one line:\n"
	    "  worker: swept N overdue, sent N, retried N, given up N\n"
	    "Exit status with --once: 0 everything due was delivered (notices of users\n"
	    "without a Telegram link are skipped), 1 failed (the database, the HTTP\n"
	    "client), 2 bad usage, 3 a notice that was due is not delivered (retried\n"
	    "later, given up, or telegram_bot_token is not set), 4 another worker runs\n"
	    "on this database (it does the work: nothing done).  Without --once the\n"
	    "worker retries by itself and exits 0 when stopped.\n\n"
	    "One worker runs per database: a second one started (on this host, or on\n"
	    "another with PostgreSQL) logs that it waits as a standby, and takes over\n"
	    "within about a second when the first stops or dies (see the README,\n"
	    "'PostgreSQL and several hosts').  --once waits 2 seconds at most for a\n"
	    "running worker, then exits 4.\n" },
	{ "bot", cmd_bot, APP_DAEMON, 1,
	    "--once", NULL,
	    "bot [--once] -- run the Telegram bot (long polling getUpdates)",
	    "usage: taskmgr [--config FILE] bot [--once]\n\n"
	    "Long-polls the Bot API's getUpdates (telegram_poll_timeout seconds) and\n"
	    "answers: /start CODE links the sender's Telegram account with a code from\n"
	    "POST /api/auth/telegram/link/, /tasks lists the user's assigned tasks with\n"
	    "\"done\" buttons, /unlink, /help.  The update offset is stored in the\n"
	    "database, so a restart neither loses nor repeats an update.  Do not run it\n"
	    "while a webhook is set (see the README).  Logs go to log_file.  SIGTERM or\n"
	    "SIGINT stop it after the current poll.\n\n"
	    "  --once   one getUpdates round, then exit\n\n"
	    "One bot polls per database: a second one started waits as a standby (it\n"
	    "logs so) and takes over within about a second when the first stops or\n"
	    "dies.  --once beside a running bot waits 2 seconds at most, then exits 4\n"
	    "without polling.\n" },
	{ "check-config", cmd_check_config, APP_NO_DB, 0,
	    NULL, NULL,
	    "check-config -- validate the configuration and print it, secrets masked",
	    "usage: taskmgr [--config FILE] check-config\n\n"
	    "Reads the configuration file and TASKMGR_* environment variables, stops\n"
	    "with file:line: message on an error, and prints the effective settings.\n" },
	{ "backup", cmd_backup, APP_PG_OK, 0,
	    "--force --quiet -q", "FILE",
	    "backup [--force] FILE -- copy the database to FILE while the service runs",
	    "usage: taskmgr [--config FILE] backup [--force] [--quiet] FILE\n\n"
	    "Copies the database to FILE with SQLite's online backup API: the\n"
	    "responders and the worker keep working meanwhile, and the copy is one\n"
	    "consistent snapshot.  Pages are copied in steps, with a progress line\n"
	    "per step on standard error (--quiet: none).  The copy is written to\n"
	    "FILE.tmp, checked with PRAGMA integrity_check, synced, and renamed to\n"
	    "FILE, so FILE is never a partial copy.  An existing FILE is refused\n"
	    "unless --force is given.  See the README for the restore procedure.\n"
	    "With database = postgresql://... it writes nothing and tells how\n"
	    "PostgreSQL is backed up (pg_dump, pg_basebackup and WAL archiving).\n"
	    "Exit status: 0 written, 1 failed (FILE is untouched), 2 bad usage.\n" },
	{ "sweep", cmd_sweep, 0, 1,
	    NULL, NULL,
	    "sweep -- mark every task past its deadline overdue, once",
	    "usage: taskmgr [--config FILE] sweep\n\n"
	    "Runs the overdue sweep once: every task whose complete_before has passed\n"
	    "and whose status is Pending or In Progress becomes Overdue, and its\n"
	    "assignee's notice is queued in the outbox.  Prints how many tasks it\n"
	    "marked.  The worker runs the same sweep every overdue_sweep_interval.\n"
	    "Exit status: 0 done, 1 failed.\n" },
	{ "version", cmd_version, APP_NO_DB, 0,
	    NULL, NULL,
	    "version -- print the version and the schema version this build expects",
	    "usage: taskmgr version\n" },
	{ NULL, NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int
cmd_version(struct app *app, int argc, char *argv[])
{
	(void)app;
	(void)argc;
	(void)argv;
	printf("taskmgr %s (schema version %d)\n", PACKAGE_VERSION, db_schema_expected());
	return 0;
}

/* The command named name, or NULL. */
static const struct command *
command_find(const char *name)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void
usage(FILE *f)
{
	const struct command *c;

	fputs("usage: taskmgr [--config FILE] COMMAND [ARGS]\n"
	    "       taskmgr help [COMMAND]\n\n"
	    "--config FILE may come before or after COMMAND.  The configuration file is\n"
	    "--config FILE, else $TASKMGR_CONFIG, else the built-in default; every key\n"
	    "can be overridden by TASKMGR_<KEY>, and any other TASKMGR_* variable stops\n"
	    "the program (TASKMGR_FOO: unknown setting).\n\n"
	    "Commands:\n", f);
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %s\n", c->synopsis);
	fputs("  help [COMMAND] -- this text, or what COMMAND does and its options\n\n"
	    "Exit status: 0 success, 1 failure, 2 bad usage; worker --once: 3 when a\n"
	    "notice that was due is not delivered (see 'taskmgr help worker'); worker\n"
	    "--once and bot --once: 4 when another one runs on the database.\n\n"
	    "Run 'taskmgr help COMMAND' (or 'taskmgr COMMAND --help') for a command's options.\n", f);
}

int
usage_error(const char *cmd, const char *fmt, ...)
{
	const struct command *c = command_find(cmd);
	va_list	 ap;

	fprintf(stderr, "taskmgr: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c != NULL)
		fprintf(stderr, "%.*s\n", (int)strcspn(c->help, "\n"), c->help);
	fprintf(stderr, "Run 'taskmgr help %s' for more.\n", cmd);
	return EXIT_USAGE;
}

/* How c takes the option opt: -1 not at all, 0 alone, 1 with a value. */
static int
option_kind(const struct command *c, const char *opt)
{
	const char *p = c->opts;
	size_t	 n = strlen(opt), k;

	while (p != NULL && *p != '\0') {
		k = strcspn(p, " ");
		if (k >= n && strncmp(p, opt, n) == 0 && (k == n || (k == n + 1 && p[n] == '=')))
			return k > n;
		p += k;
		p += strspn(p, " ");
	}
	return -1;
}

/* True for an argument that is an option (starts with '-', not "-" alone). */
static int
is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

/*
 * Checks the arguments after the command name against the options and the
 * argument count c declares, before anything is opened, and takes
 * --config FILE out of them (into *cfgpath, which must still be NULL).
 * Returns 0 to run the command on the *argc arguments left, 1 when --help
 * was asked for (printed), or EXIT_USAGE (the error printed).
 */
static int
check_args(const struct command *c, int *argc, char *argv[], const char **cfgpath)
{
	int	 i, kind, out = 1, nargs = 0;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(c->help, stdout);
			return 1;
		}
	}
	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 == *argc)
				return usage_error(c->name, "option '--config' needs a value");
			if (*cfgpath != NULL)
				return usage_error(c->name, "--config is given twice");
			*cfgpath = argv[++i];
			continue;
		}
		argv[out++] = argv[i];
		if (!is_option(argv[i])) {
			if (++nargs > (c->arg != NULL))
				return usage_error(c->name, "unexpected argument '%s'", argv[i]);
			continue;
		}
		if ((kind = option_kind(c, argv[i])) < 0)
			return usage_error(c->name, "unknown option '%s'", argv[i]);
		if (kind == 1) {
			if (i + 1 == *argc)
				return usage_error(c->name, "option '%s' needs a value", argv[i]);
			argv[out++] = argv[++i];
		}
	}
	if (c->arg != NULL && nargs == 0)
		return usage_error(c->name, "%s is required", c->arg);
	*argc = out;
	argv[out] = NULL;
	return 0;
}

/* taskmgr help [COMMAND] */
static int
help(int argc, char *argv[])
{
	const struct command *c;

	if (argc > 2 || (argc == 2 && is_option(argv[1]))) {
		fprintf(stderr, "taskmgr: help: unexpected argument '%s'\n", argv[argc - 1]);
		fputs("usage: taskmgr help [COMMAND]\n", stderr);
		return EXIT_USAGE;
	}
	if (argc == 1 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if ((c = command_find(argv[1])) == NULL) {
		fprintf(stderr, "taskmgr: help: unknown command '%s'\n", argv[1]);
		fputs("Run 'taskmgr help' for the list of commands.\n", stderr);
		return EXIT_USAGE;
	}
	fputs(c->help, stdout);
	return 0;
}

int
main(int argc, char *argv[])
{
	const struct command *c;
	const char *cfgpath = NULL;
	struct app app;
	char	 err[512];
	int	 i = 1, rc;

	while (i < argc && is_option(argv[i])) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 == argc) {
				fputs("taskmgr: option '--config' needs a value\n", stderr);
				return EXIT_USAGE;
			}
			cfgpath = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			return cmd_version(NULL, 0, NULL);
		} else {
			fprintf(stderr, "taskmgr: unknown option '%s'\n", argv[i]);
			fputs("Run 'taskmgr help' for the usage.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0)
		return help(argc - i, argv + i);
	if ((c = command_find(argv[i])) == NULL) {
		fprintf(stderr, "taskmgr: unknown command '%s'\n", argv[i]);
		fputs("Run 'taskmgr help' for the list of commands.\n", stderr);
		return EXIT_USAGE;
	}
	argc -= i;
	argv += i;
	if ((rc = check_args(c, &argc, argv, &cfgpath)) != 0)
		return rc == 1 ? 0 : rc;
	if ((rc = app_open(&app, cfgpath, c->app_flags, err, sizeof(err))) < 0) {
		fprintf(stderr, "taskmgr: %s\n", err);
		return rc == APP_PG_UNSUPPORTED ? EXIT_USAGE : 1;
	}
	if (c->needs_schema && !app.schema_ok) {
		fprintf(stderr, "taskmgr: the database is not migrated: run 'taskmgr migrate' first\n");
		app_close(&app);
		return 1;
	}
	rc = c->fn(&app, argc, argv);
	app_close(&app);
	return rc;
}
