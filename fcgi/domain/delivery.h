/*
 * delivery: the worker's side of the outbox (rows written by domain/notices):
 * which notices are due, and recording each attempt's outcome.
 *
 * status: 0 pending, 1 sent, 2 failed for good, 3 skipped (not linked);
 * finished_at: when it left 0 (the age domain/retention purges by).
 * Every update touches only a row still pending, so a notice is marked at
 * most once whatever runs concurrently.
 */
#ifndef TASKMGR_DELIVERY_H
#define TASKMGR_DELIVERY_H

#include <stdint.h>

#include "db.h"

struct arena;

struct outbox_row {
	int64_t		 id;
	int64_t		 user_id;
	int64_t		 chat;		/* the user's Telegram id; 0: not linked or inactive */
	int64_t		 attempts;
	int64_t		 parts_sent;	/* messages of a long text already accepted */
	const char	*text;		/* in the arena */
};

/*
 * Fills rows with at most max pending notices due at now (oldest first), each
 * with its recipient's Telegram id, leaving out those behind an earlier
 * notice of the same user that waits for a retry (a user's notices keep
 * their order); strings copied into the arena.  *n is
 * the number filled.
 */
enum dbrc delivery_due(struct db *, int64_t now, int max, struct arena *,
	    struct outbox_row *rows, int *n);
/* The next_attempt_at of the first pending notice into *at, TIME_NULL when none. */
enum dbrc delivery_next_at(struct db *, int64_t *at);
/* Marks a notice sent at now. */
enum dbrc delivery_sent(struct db *, int64_t id, int64_t now);
/* Records that the first parts messages of a long notice were accepted. */
enum dbrc delivery_parts(struct db *, int64_t id, int64_t parts);
/* Counts a failed attempt and schedules the next at next_at, keeping the reason. */
enum dbrc delivery_retry(struct db *, int64_t id, int64_t next_at, const char *err);
/* Counts a failed attempt and gives up on the notice for good at now, keeping the reason. */
enum dbrc delivery_failed(struct db *, int64_t id, const char *err, int64_t now);
/* The recipient has no Telegram link: the notice is skipped at now. */
enum dbrc delivery_skipped(struct db *, int64_t id, int64_t now);

#endif
