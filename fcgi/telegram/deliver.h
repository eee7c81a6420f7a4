/*
 * deliver: sending the outbox's due notices through the Bot API, paced
 * under Telegram's limits (one message per chat per telegram_chat_interval_ms,
 * telegram_rate overall), with exponential backoff on failures, a 429's
 * retry_after honoured, and permanent failures given up with the reason.
 * A notice is marked sent right after Telegram accepts it.
 */
#ifndef TASKMGR_DELIVER_H
#define TASKMGR_DELIVER_H

#include <signal.h>
#include <stdint.h>

#include "arena.h"
#include "tgapi.h"

struct app;
struct leader;

#define PACER_CHATS 1024

struct pacer {
	int64_t		 chat_gap;	/* microseconds between two messages to one chat */
	int64_t		 gap;		/* microseconds between two messages overall */
	int64_t		 last;		/* mono_us() of the last message */
	int64_t		 paused_until;	/* mono_us(): nothing is sent before (429) */
	struct { int64_t chat, at; } recent[PACER_CHATS];
	int		 nrecent;
};

/* What became of the notices attempted since deliver_open. */
struct deliver_counts {
	int64_t		 sent;		/* accepted by Telegram */
	int64_t		 retried;	/* 429, 5xx, network: still pending, next try scheduled */
	int64_t		 given_up;	/* permanent error: failed for good */
	int64_t		 skipped;	/* the recipient has no Telegram link */
};

struct deliverer {
	struct app	*app;
	struct tg_client tg;
	struct arena	 arena;
	struct pacer	 pacer;
	struct deliver_counts counts;
	struct leader	*lead;		/* the worker's election: a pass stops when it is lost; NULL: none */
};

/* Prepares a deliverer; -1 when the HTTP client cannot start. */
int	 deliver_open(struct deliverer *, struct app *);
void	 deliver_close(struct deliverer *);
/*
 * One pass over the due notices, adding each outcome to d->counts.  Returns
 * the number of notices that are due but had to wait for pacing (the caller
 * comes back soon), or -1 when the database failed.  Returns early when
 * *stop gets set or the lead is lost (d->lead), and after a 429, a 5xx or
 * a network error (the pass that saw it counts one more in counts.retried).
 */
int	 deliver_pass(struct deliverer *, volatile sig_atomic_t *stop);
struct config;
/*
 * The delay before retry number attempts + 1 of a notice (webhook
 * deliveries use it too): telegram_retry_base_ms * 2^attempts, capped at
 * telegram_retry_max seconds.
 */
int64_t	 deliver_backoff_us(const struct config *, int64_t attempts);

#endif
