/* cmd_worker: 'taskmgr worker' and 'taskmgr bot', the long-running helpers. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bot.h"
#include "commands.h"
#include "deliver.h"
#include "log.h"
#include "retention.h"
#include "tasks.h"
#include "timeutil.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* SIGTERM and SIGINT end the loop after the step in progress. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Parses [--once]; -1 on anything else. */
static int
parse_once(int argc, char *argv[], const char *name, int *once)
{
	int	 i;

	*once = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			*once = 1;
		else {
			fprintf(stderr, "taskmgr %s: unknown argument %s\n", name, argv[i]);
			return -1;
		}
	}
	return 0;
}

/* Sleeps ms milliseconds, waking early on a signal. */
static void
nap_ms(int64_t ms)
{
	struct timespec ts;

	while (ms > 0 && !stopping) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 100 ? 100 : ms) * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

/* Runs the overdue sweep; -1 when the database failed. */
static int
sweep(struct app *app)
{
	int64_t	 n = 0;
	enum dbrc rc;

	if ((rc = tasks_mark_overdue(&app->db, now_us(), &n)) != DB_OK) {
		log_warn("worker: overdue sweep failed: %s", db_strerror(rc));
		return -1;
	}
	if (n > 0)
		log_info("worker: %lld task(s) became overdue", (long long)n);
	return 0;
}

/* The most batches a table is purged in per sweep (100 000 rows): bounds the pause in delivery. */
#define PURGE_MAX_BATCHES 200

/*
 * Deletes one table's rows past their retention of days days ('e' events,
 * 'o' finished notices; nothing when days is 0), RETENTION_BATCH rows per
 * transaction, logging how many went; -1 when the database failed.
 */
static int
purge(struct app *app, int table, const char *what, int64_t days)
{
	int64_t	 n = 0;
	enum dbrc rc;

	if (days == 0)
		return 0;
	rc = retention_purge(&app->db, table, retention_cutoff(now_us(), days),
	    RETENTION_BATCH, PURGE_MAX_BATCHES, &stopping, &n);
	if (n > 0)
		log_info("worker: purged %lld %s older than %lld day(s)",
		    (long long)n, what, (long long)days);
	if (rc != DB_OK) {
		log_warn("worker: purging %s failed: %s", what, db_strerror(rc));
		return -1;
	}
	return 0;
}

int
cmd_worker(struct app *app, int argc, char *argv[])
{
	struct deliverer d;
	int64_t	 next_sweep = 0;
	int	 once, w, status = 0;

	if (parse_once(argc, argv, "worker", &once) < 0)
		return EXIT_USAGE;
	if (*app->cfg.telegram_bot_token == '\0')
		log_warn("worker: telegram_bot_token is not set: notices will wait");
	if (deliver_open(&d, app) < 0) {
		log_error("worker: cannot start the HTTP client");
		return 1;
	}
	catch_signals();
	log_info("worker: started");
	while (!stopping) {
		if (mono_us() >= next_sweep) {
			if (sweep(app) < 0)
				status = 1;
			if (purge(app, 'e', "event(s)", app->cfg.events_retention_days) < 0)
				status = 1;
			if (purge(app, 'o', "finished notice(s)",
			    app->cfg.outbox_retention_days) < 0)
				status = 1;
			next_sweep = mono_us() + app->cfg.overdue_sweep_interval * 1000000;
		}
		w = *app->cfg.telegram_bot_token != '\0' ? deliver_pass(&d, &stopping) : 0;
		if (w < 0) {
			log_warn("worker: the outbox could not be read or updated");
			status = 1;
		}
		if (once) {
			/* everything due now, waiting out the pacing */
			if (w > 0) {
				nap_ms(20);
				continue;
			}
			break;
		}
		nap_ms(w > 0 ? 20 : app->cfg.worker_poll_ms);
	}
	log_info("worker: stopped");
	deliver_close(&d);
	return once ? status : 0;
}

int
cmd_bot(struct app *app, int argc, char *argv[])
{
	int	 once;

	if (parse_once(argc, argv, "bot", &once) < 0)
		return EXIT_USAGE;
	catch_signals();
	return bot_run(app, once, &stopping);
}
