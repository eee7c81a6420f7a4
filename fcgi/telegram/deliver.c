/* deliver: the outbox to Telegram. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "buf.h"
#include "deliver.h"
#include "delivery.h"
#include "leader.h"
#include "log.h"
#include "tgtext.h"
#include "timeutil.h"

#define BATCH 64

int
deliver_open(struct deliverer *d, struct app *app)
{
	const struct config *cfg = &app->cfg;

	memset(d, 0, sizeof(*d));
	d->app = app;
	d->arena.limit = 16 * 1024 * 1024;
	d->pacer.chat_gap = cfg->telegram_chat_interval_ms * 1000;
	d->pacer.gap = cfg->telegram_rate.n > 0 ?
	    cfg->telegram_rate.period * 1000000 / cfg->telegram_rate.n : 0;
	return tg_open(&d->tg, cfg);
}

void
deliver_close(struct deliverer *d)
{
	tg_close(&d->tg);
	arena_free(&d->arena);
}

/* Sleeps us microseconds. */
static void
sleep_us(int64_t us)
{
	struct timespec ts;

	if (us <= 0)
		return;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

/* When chat may get its next message (mono_us()), 0 when it may now. */
static int64_t
chat_ready_at(const struct pacer *p, int64_t chat)
{
	int	 i;

	for (i = 0; i < p->nrecent; i++)
		if (p->recent[i].chat == chat)
			return p->recent[i].at + p->chat_gap;
	return 0;
}

/* Records a message to chat at mono time now, forgetting chats long quiet. */
static void
pacer_note(struct pacer *p, int64_t chat, int64_t now)
{
	int	 i, oldest = 0;

	p->last = now;
	for (i = 0; i < p->nrecent; i++)
		if (p->recent[i].chat == chat) {
			p->recent[i].at = now;
			return;
		}
	for (i = 0; i < p->nrecent; ) {
		if (p->recent[i].at + p->chat_gap <= now)
			p->recent[i] = p->recent[--p->nrecent];
		else
			i++;
	}
	if (p->nrecent == PACER_CHATS) {
		for (i = 1; i < p->nrecent; i++)
			if (p->recent[i].at < p->recent[oldest].at)
				oldest = i;
		p->recent[oldest] = p->recent[--p->nrecent];
	}
	p->recent[p->nrecent].chat = chat;
	p->recent[p->nrecent++].at = now;
}

/* Waits for the overall rate, then records a message to chat. */
static void
pacer_take(struct pacer *p, int64_t chat)
{
	int64_t	 now = mono_us();

	if (p->last != 0 && now < p->last + p->gap) {
		sleep_us(p->last + p->gap - now);
		now = mono_us();
	}
	pacer_note(p, chat, now);
}

int64_t
deliver_backoff_us(const struct config *cfg, int64_t attempts)
{
	int64_t	 d = cfg->telegram_retry_base_ms * 1000, max = cfg->telegram_retry_max * 1000000;

	while (attempts-- > 0 && d < max)
		d *= 2;
	return d < max ? d : max;
}

/*
 * Sends one notice's text as one or more messages, skipping the parts sent
 * by an earlier attempt and recording each part accepted before the last;
 * the parts after the first wait for the chat's pace.  Returns the outcome
 * of the first part that failed, else TG_OK.
 */
static enum tg_kind
send_notice(struct deliverer *d, const struct outbox_row *o, struct tg_result *res)
{
	const char *s = o->text;
	size_t	 n = strlen(s), k;
	struct buf html = { 0 };
	enum tg_kind kind = TG_OK;
	int64_t	 wait, part = 0;

	memset(res, 0, sizeof(*res));
	do {
		k = tg_split(s, n, TG_MSG_MAX);
		if (part++ < o->parts_sent)
			goto next;
		buf_reset(&html);
		tg_escape(&html, s, k);
		if (html.oom) {
			kind = res->kind = TG_RETRY;
			snprintf(res->desc, sizeof(res->desc), "out of memory");
			break;
		}
		if ((wait = chat_ready_at(&d->pacer, o->chat) - mono_us()) > 0)
			sleep_us(wait);
		pacer_take(&d->pacer, o->chat);
		tg_result_free(res);
		kind = tg_send_html(&d->tg, o->chat, html.p, NULL, res);
		/*
		 * The chat's pace counts from the end of the call: Telegram got
		 * this message before it answered, so the next one reaches it at
		 * least chat_gap later, however long each call took.
		 */
		pacer_note(&d->pacer, o->chat, mono_us());
		if (kind != TG_OK)
			break;
		if (k < n && delivery_parts(&d->app->db, o->id, part) != DB_OK) {
			kind = res->kind = TG_RETRY;
			snprintf(res->desc, sizeof(res->desc), "database busy");
			break;
		}
next:
		s += k;
		n -= k;
	} while (n > 0);
	buf_free(&html);
	return kind;
}

/* Records the outcome of one attempt; DB_OK or the storage error. */
static enum dbrc
record(struct deliverer *d, const struct outbox_row *o, enum tg_kind kind,
    const struct tg_result *res)
{
	struct db *db = &d->app->db;
	int64_t	 now = now_us(), delay;
	char	 err[300];
	enum dbrc rc;
	int	 tries;

	switch (kind) {
	case TG_OK:
		log_debug("worker: notice %lld sent", (long long)o->id);
		d->counts.sent++;
		/* Telegram has it: a lost mark would mean a second copy, so insist */
		for (tries = 0; tries < 5; tries++)
			if ((rc = delivery_sent(db, o->id, now)) != DB_BUSY)
				break;
		return rc;
	case TG_PERMANENT:
		snprintf(err, sizeof(err), "%ld: %s", res->http, res->desc);
		log_warn("worker: notice %lld to user %lld given up: %s",
		    (long long)o->id, (long long)o->user_id, err);
		d->counts.given_up++;
		return delivery_failed(db, o->id, err, now);
	case TG_LIMITED:
		delay = res->retry_after * 1000000;
		/* flood control applies to the whole bot: everything waits */
		d->pacer.paused_until = mono_us() + delay;
		snprintf(err, sizeof(err), "429: %s (retry after %llds)", res->desc,
		    (long long)res->retry_after);
		break;
	default:
		delay = deliver_backoff_us(&d->app->cfg, o->attempts);
		if (res->http != 0)
			snprintf(err, sizeof(err), "%ld: %s", res->http, res->desc);
		else
			snprintf(err, sizeof(err), "%s", res->desc);
		break;
	}
	log_info("worker: notice %lld not sent (%s), next try in %lld ms",
	    (long long)o->id, err, (long long)(delay / 1000));
	d->counts.retried++;
	return delivery_retry(db, o->id, now + delay, err);
}

/* True when chat is among the n chats of held. */
static int
held_has(const int64_t *held, int n, int64_t chat)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (held[i] == chat)
			return 1;
	return 0;
}

int
deliver_pass(struct deliverer *d, volatile sig_atomic_t *stop)
{
	struct outbox_row rows[BATCH];
	int64_t	 held[BATCH];
	struct tg_result res;
	enum tg_kind kind;
	enum dbrc rc;
	int	 n, i, nheld = 0, waiting = 0;

	arena_reset(&d->arena);
	if (mono_us() < d->pacer.paused_until)
		return 1;
	if ((rc = delivery_due(&d->app->db, now_us(), BATCH, &d->arena, rows, &n)) != DB_OK)
		return -1;
	/* a notice after the lead was lost could go out twice: the new leader sends it too */
	for (i = 0; i < n && !*stop && (d->lead == NULL || leader_held(d->lead)); i++) {
		const struct outbox_row *o = &rows[i];

		if (o->chat == 0) {
			if (delivery_skipped(&d->app->db, o->id, now_us()) != DB_OK)
				return -1;
			d->counts.skipped++;
			continue;
		}
		/* a chat whose earlier notice is waiting keeps its order */
		if (held_has(held, nheld, o->chat))
			continue;
		if (mono_us() < d->pacer.paused_until ||
		    chat_ready_at(&d->pacer, o->chat) > mono_us()) {
			held[nheld++] = o->chat;
			waiting++;
			continue;
		}
		kind = send_notice(d, o, &res);
		rc = record(d, o, kind, &res);
		tg_result_free(&res);
		if (rc != DB_OK)
			return -1;
		/* Telegram is unwell: the rest waits for the next pass */
		if (kind == TG_RETRY || kind == TG_LIMITED)
			return waiting + 1;
	}
	return waiting + (n == BATCH);
}
