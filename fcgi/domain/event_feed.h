/*
 * event_feed: reading a user's change records (the events table written by
 * domain/notices) for GET /api/events/.
 */
#ifndef TASKMGR_EVENT_FEED_H
#define TASKMGR_EVENT_FEED_H

#include <stdint.h>

#include "db.h"

struct event {
	int64_t		 id;
	const char	*type;		/* task_updated, task_notify */
	const char	*action;
	const char	*message;	/* NULL: none */
	int64_t		 task_id;	/* 0: none */
	int64_t		 created_at;
};

/*
 * Calls fn for each of uid's events with an id above after, oldest first,
 * at most limit of them.  The strings are valid during the call only.
 * Stops early (and returns DB_OK) when fn returns non-zero.
 */
enum dbrc event_feed(struct db *, int64_t uid, int64_t after, int64_t limit,
	    int (*fn)(void *, const struct event *), void *arg);

#endif
