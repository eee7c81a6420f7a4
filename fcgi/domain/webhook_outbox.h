/*
 * webhook_outbox: the worker's side of webhook deliveries (rows queued by
 * webhooks.h): which are due, and each attempt's outcome.
 *
 * A delivery is due when it is pending, its next_attempt_at has come, its
 * webhook and its webhook's owner are active and no older delivery of the same webhook and object
 * is pending (one object's deliveries go out in order).  A delivery stays
 * pending until an attempt records its outcome: a worker killed while the
 * receiver answers sends it again (at least once, never lost).  Every
 * update touches only a row still pending.
 */
#ifndef TASKMGR_WEBHOOK_OUTBOX_H
#define TASKMGR_WEBHOOK_OUTBOX_H

#include <stdint.h>

#include "db.h"

struct arena;

#define HOOK_MAX_ATTEMPTS	16	/* then a delivery has failed for good */
#define HOOK_DISABLE_SPAN	(86400LL * 1000000)	/* failures must span a day */

struct hook_job {
	int64_t		 id;
	int64_t		 webhook_id;
	int64_t		 owner_id;
	int64_t		 attempts;	/* before this one */
	const char	*url;		/* strings in the arena */
	const char	*secret;
	const char	*event;
	const char	*body;
};

/*
 * Moves the deliveries changes queued in webhook_inbox into
 * webhook_deliveries, oldest first, their bodies built as they were queued
 * (sql/021_webhook_inbox.sql); a large backlog over several calls.
 */
enum dbrc hook_flush(struct db *);
/*
 * Fills jobs with at most max due deliveries (oldest due first); *n of them.
 * Calls hook_flush first.
 */
enum dbrc hook_due(struct db *, int64_t now, int max, struct arena *,
	    struct hook_job *jobs, int *n);
/* A 2xx: delivered at now; the webhook's failures in a row start again from 0. */
enum dbrc hook_delivered(struct db *, const struct hook_job *, long http, int64_t now);
/*
 * A failed attempt (http: the answer's status, 0 none; err the reason):
 * refused (an address the worker may not reach) ends the delivery as
 * refused; otherwise it is tried again at next_at, or has failed for good
 * after HOOK_MAX_ATTEMPTS.  Either way the webhook counts one more failure
 * in a row; at disable_after of them spanning HOOK_DISABLE_SPAN it is made
 * inactive and its owner gets a notice (*disabled = 1).
 */
enum dbrc hook_failed(struct db *, const struct hook_job *, int refused, long http,
	    const char *err, int64_t next_at, int64_t now, int64_t disable_after,
	    int *disabled);

#endif
