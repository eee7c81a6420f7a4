/* cmd_worker: 'taskmgr worker' and 'taskmgr bot', the long-running helpers. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "bot.h"
#include "commands.h"
#include "deliver.h"
#include "delivery.h"
#include "digest.h"
#include "log.h"
#include "metrics_db.h"
#include "reminders.h"
#include "retention.h"
#include "standby.h"
#include "tasks.h"
#include "timeutil.h"
#include "tz.h"
#include "webhook_send.h"

/* worker --once: a due notice was not delivered (retried, given up or left waiting) */
#define EXIT_UNDELIVERED 3

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

/* Parses [--once]; -1 on anything else (the error printed). */
static int
parse_once(int argc, char *argv[], const char *name, int *once)
{
	int	 i;

	*once = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			*once = 1;
		else {
			usage_error(name, "%s '%s'", argv[i][0] == '-' ?
			    "unknown option" : "unexpected argument", argv[i]);
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

/* Runs the overdue sweep, adding the tasks it marked to *swept; -1 when the database failed. */
static int
sweep(struct app *app, int64_t *swept)
{
	int64_t	 n = 0;
	enum dbrc rc;

	rc = tasks_mark_overdue(&app->db, now_us(), &n);
	*swept += n;
	if (rc != DB_OK) {
		log_warn("worker: overdue sweep failed: %s", db_strerror(rc));
		return -1;
	}
	if (n > 0)
		log_info("worker: %lld task(s) became overdue", (long long)n);
	/* GET /metrics shows when the last sweep ran */
	if ((rc = metrics_db_swept(&app->db, now_us())) != DB_OK)
		log_warn("worker: the sweep's time was not recorded: %s", db_strerror(rc));
	return 0;
}

/* What the worker waits for between its passes (wall-clock times, TIME_NULL: none). */
struct agenda {
	const struct tz	*zone;		/* the time_zone setting: users without their own */
	int64_t		 next_reminder;	/* due_at of the next waiting reminder */
	int64_t		 next_digest;	/* when the next digest is due */
	int64_t		 digest_scan;	/* mono_us() of the last digest scan */
	int64_t		 version;	/* PRAGMA data_version seen at that scan */
	int64_t		 pass_version;	/* PRAGMA data_version as the last pass began */
	int64_t		 reminded;	/* reminders sent since the start */
};

/* The earlier of two wall-clock times, TIME_NULL being "never". */
static int64_t
earlier(int64_t a, int64_t b)
{
	if (a == TIME_NULL)
		return b;
	return b == TIME_NULL || a < b ? a : b;
}

/*
 * Begins a pass (ag->pass_version): sends the reminders due now and, when
 * one may be due or a user's settings may have changed (another process
 * committed, at most once a second), the digests; notes when the next of
 * each is due.  -1 when the database failed.
 */
static int
remind(struct app *app, struct agenda *ag, int once)
{
	int64_t	 now = now_us(), sent = 0, dropped = 0, v;
	enum dbrc rc;
	int	 status = 0;

	/*
	 * the pass begins: a commit from here on wakes the wait after it, one
	 * made while the pass still reads too (a reminder scheduled after the
	 * look below).  On PostgreSQL the pass's own writes move it as well:
	 * one more pass, which finds nothing.
	 */
	ag->pass_version = db_data_version(&app->db);
	rc = reminders_send_due(&app->db, now, ag->zone, &sent, &dropped);
	if (rc == DB_OK)
		rc = reminders_next_due(&app->db, &ag->next_reminder);
	if (rc != DB_OK) {
		log_warn("worker: sending reminders failed: %s", db_strerror(rc));
		ag->next_reminder = TIME_NULL;
		status = -1;
	}
	ag->reminded += sent;
	if (sent > 0 || dropped > 0)
		log_info("worker: %lld reminder(s) queued, %lld dropped (deadline passed)",
		    (long long)sent, (long long)dropped);
	v = db_data_version(&app->db);
	if (!once && (ag->next_digest == TIME_NULL || now < ag->next_digest) &&
	    (v == ag->version || mono_us() - ag->digest_scan < 1000000) &&
	    ag->digest_scan != 0)
		return status;
	ag->digest_scan = mono_us();
	ag->version = v;
	if ((rc = digest_run(&app->db, now, ag->zone, &sent, &ag->next_digest)) != DB_OK) {
		log_warn("worker: sending digests failed: %s", db_strerror(rc));
		return -1;
	}
	if (sent > 0)
		log_info("worker: %lld daily digest(s) queued", (long long)sent);
	return status;
}

/*
 * Sleeps until there is something to do: the next reminder, digest or
 * notice retry comes due (the wall clock), the next sweep (next_sweep,
 * mono_us()), another process commits to the database (PRAGMA
 * data_version moves from the pass_version read as the pass began: a
 * responder queued a notice or scheduled a reminder, during the pass too),
 * a signal, or worker_poll_ms at most.
 */
static void
wait_for_work(struct app *app, const struct agenda *ag, int64_t next_sweep)
{
	struct timespec ts;
	int64_t	 wall = earlier(ag->next_reminder, ag->next_digest), retry, until, left;
	int64_t	 version = ag->pass_version;

	if (*app->cfg.telegram_bot_token != '\0' &&
	    delivery_next_at(&app->db, &retry) == DB_OK)
		wall = earlier(wall, retry);
	/*
	 * a time already past is work the pass could not finish (a notice
	 * behind one waiting for its retry, a failed write): look again
	 * shortly, never in a busy loop
	 */
	if (wall != TIME_NULL && wall <= now_us())
		wall = now_us() + 200000;
	until = mono_us() + app->cfg.worker_poll_ms * 1000;
	if (next_sweep < until)
		until = next_sweep;
	while (!stopping) {
		left = until - mono_us();
		if (wall != TIME_NULL && wall - now_us() < left)
			left = wall - now_us();
		if (left <= 0 || db_data_version(&app->db) != version)
			return;
		/* short naps: a signal, a commit or a moved clock is seen soon */
		if (left > 50000)
			left = 50000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000;
		nanosleep(&ts, NULL);
	}
}

/* The most batches a table is purged in per sweep (100 000 rows): bounds the pause in delivery. */
#define PURGE_MAX_BATCHES 200

/*
 * Deletes one table's rows past their retention of days days ('e' events,
 * 'o' finished notices, 'w' finished webhook deliveries; nothing when days
 * is 0), RETENTION_BATCH rows per
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

/*
 * Whether a notice due at since is still waiting after a round of --once
 * (stopped early, or no bot token): 1 yes, 0 no, -1 the database failed.
 * Those retried or given up in the round are counted apart.
 */
static int
left_behind(struct deliverer *d, int64_t since)
{
	struct outbox_row row;
	int	 n = 0;

	arena_reset(&d->arena);
	if (delivery_due(&d->app->db, since, 1, &d->arena, &row, &n) != DB_OK)
		return -1;
	return n > 0;
}

/*
 * The end of worker --once: prints the round's summary on stdout and turns
 * status (0, or 1 after a failure) into the exit status: 0 everything due
 * was delivered, 1 a failure, EXIT_UNDELIVERED a notice was retried, given
 * up or left waiting.
 */
static int
once_summary(struct deliverer *d, const struct hook_counts *h, int64_t swept,
    int64_t due_at, int status)
{
	const struct deliver_counts *c = &d->counts;
	int	 left;

	printf("worker: swept %lld overdue, sent %lld, retried %lld, given up %lld\n",
	    (long long)swept, (long long)c->sent, (long long)c->retried,
	    (long long)c->given_up);
	if (h->delivered + h->retried + h->failed + h->refused > 0)
		printf("worker: webhooks delivered %lld, retried %lld, failed %lld, "
		    "refused %lld\n", (long long)h->delivered, (long long)h->retried,
		    (long long)h->failed, (long long)h->refused);
	if (status != 0)
		return status;
	if ((left = left_behind(d, due_at)) < 0)
		return 1;
	return left || c->retried > 0 || c->given_up > 0 || h->retried > 0 ||
	    h->failed > 0 || h->refused > 0 ? EXIT_UNDELIVERED : 0;
}

/*
 * Whether the worker may go on: it still leads or, the lead lost
 * (PostgreSQL's connection failed, the lock file replaced), it waited as a
 * standby and leads again.  0 when it stopped waiting or --once lost it.
 */
static int
still_leading(struct app *app, struct leader *lead, int once)
{
	if (leader_held(lead))
		return 1;
	return !once && standby_lead(lead, app, "worker", 0, &stopping) > 0;
}

int
cmd_worker(struct app *app, int argc, char *argv[])
{
	struct deliverer d;
	struct hook_sender hs;
	struct agenda ag = { .next_reminder = TIME_NULL, .next_digest = TIME_NULL };
	struct leader lead = { 0 };
	int64_t	 next_sweep = 0, swept = 0, due_at = now_us();
	int	 once, w, hw, k, status = 0;

	if (parse_once(argc, argv, "worker", &once) < 0)
		return EXIT_USAGE;
	if (*app->cfg.telegram_bot_token == '\0')
		log_warn("worker: telegram_bot_token is not set: notices will wait");
	if (deliver_open(&d, app) < 0 || hook_sender_open(&hs, app) < 0) {
		log_error("worker: cannot start the HTTP client");
		return 1;
	}
	catch_signals();
	if ((ag.zone = tz_get(app->cfg.time_zone)) == NULL)
		ag.zone = tz_get("UTC");
	log_info("worker: started");
	/* one worker per database: the others wait (--once: briefly) as standbys */
	if ((k = standby_lead(&lead, app, "worker", once, &stopping)) <= 0) {
		if (stopping)
			log_info("worker: stopped (a standby)");
		leader_free(&lead);
		hook_sender_close(&hs);
		deliver_close(&d);
		return k < 0 ? 1 : once && !stopping ? EXIT_STANDBY : 0;
	}
	/* a pass stops at once when the lead is lost (a standby may have taken it) */
	d.lead = hs.lead = &lead;
	while (!stopping) {
		if (!still_leading(app, &lead, once)) {
			status = 1;
			break;
		}
		if (mono_us() >= next_sweep) {
			if (sweep(app, &swept) < 0)
				status = 1;
			if (purge(app, 'e', "event(s)", app->cfg.events_retention_days) < 0)
				status = 1;
			if (purge(app, 'o', "finished notice(s)",
			    app->cfg.outbox_retention_days) < 0)
				status = 1;
			if (purge(app, 'w', "finished webhook deliveries",
			    app->cfg.outbox_retention_days) < 0)
				status = 1;
			/* --once sweeps once, however long its round lasts */
			next_sweep = once ? INT64_MAX :
			    mono_us() + app->cfg.overdue_sweep_interval * 1000000;
			/* what --once must deliver: the notices due now, the sweep's too */
			due_at = now_us();
		}
		/* before the outbox pass: a reminder queued now goes out in it */
		if (remind(app, &ag, once) < 0)
			status = 1;
		w = *app->cfg.telegram_bot_token != '\0' ? deliver_pass(&d, &stopping) : 0;
		if (w < 0) {
			log_warn("worker: the outbox could not be read or updated");
			status = 1;
		}
		/* webhooks: each pass sends what is due; a failure waits its backoff */
		if ((hw = hook_pass(&hs, &stopping)) < 0) {
			log_warn("worker: the webhook deliveries could not be read or updated");
			status = 1;
		}
		if (once) {
			/*
			 * everything due now, waiting out the pacing; a 429 or a 5xx
			 * ends the round (the notice keeps its next try time)
			 */
			if ((w > 0 && d.counts.retried == 0) || hw > 0) {
				nap_ms(w > 0 ? 20 : 0);
				continue;
			}
			break;
		}
		/*
		 * webhooks taken: the next pass at once (the notices have their
		 * turn in it) until none is due; a nap when a receiver pushed
		 * back or notices wait for their pacing.  A webhook retry comes
		 * due within worker_poll_ms, a new delivery wakes it.
		 */
		if (hw > 0 && !hs.pushed_back)
			continue;
		if (w > 0 || hw > 0)
			nap_ms(20);
		else
			wait_for_work(app, &ag, next_sweep);
	}
	log_info("worker: stopped (%lld reminder(s) sent)", (long long)ag.reminded);
	if (once)
		status = once_summary(&d, &hs.counts, swept, due_at, status);
	leader_free(&lead);
	hook_sender_close(&hs);
	deliver_close(&d);
	return once ? status : 0;
}

int
cmd_bot(struct app *app, int argc, char *argv[])
{
	struct leader lead = { 0 };
	int	 once, k, status = 0;

	if (parse_once(argc, argv, "bot", &once) < 0)
		return EXIT_USAGE;
	catch_signals();
	if (*app->cfg.telegram_bot_token == '\0')
		return bot_run(app, once, &stopping, NULL);	/* says what is missing */
	/* one bot per database (one getUpdates at a time): the others wait as standbys */
	while ((k = standby_lead(&lead, app, "bot", once, &stopping)) > 0) {
		status = bot_run(app, once, &stopping, &lead);
		/* back to waiting only when the lead was lost */
		if (once || stopping || lead.held)
			break;
	}
	leader_free(&lead);
	if (k < 0)
		return 1;
	return k == 0 && once && !stopping ? EXIT_STANDBY : status;
}
