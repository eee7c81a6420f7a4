/*
 * calendar: a user's calendar feed.  One secret per user (base64url, 256
 * bits), stored only as its SHA-256 digest; a new one replaces the old.
 * The feed lists the tasks with a deadline that the user sees.
 */
#ifndef TASKMGR_CALENDAR_H
#define TASKMGR_CALENDAR_H

#include <stdint.h>

#include "db.h"
#include "recurrence.h"
#include "reminders.h"
#include "tokens.h"

#define CAL_MAX_EVENTS	5000	/* a feed lists at most this many tasks, latest deadlines first */

/* One task of a feed, as cal_events() reads it (strings valid during the call). */
struct cal_event {
	int64_t		 id;
	const char	*name;
	const char	*description;
	const char	*list_name;
	const char	*status;	/* "Pending", "In Progress", "Completed", "Overdue" */
	int64_t		 deadline;
	int64_t		 created_at;
	int64_t		 updated_at;
	struct recurrence rec;		/* rec.every 0: not recurring */
	int64_t		 rec_anchor;	/* the rule's anchor, naive local time (recurrence.h); TIME_NULL: none */
	/* its reminders, minutes before the deadline (reminders.h); none when Completed */
	int		 alarms[REM_MAX_OFFSETS];
	int		 nalarms;
};

/* Makes (or replaces) uid's feed secret, written into tok. */
enum dbrc cal_feed_create(struct db *, int64_t uid, char tok[TOKEN_LEN + 1]);
/* Ends uid's feed (DB_OK when it had none). */
enum dbrc cal_feed_delete(struct db *, int64_t uid);
/* The active user whose feed secret is tok; DB_NOTFOUND for any other. */
enum dbrc cal_feed_owner(struct db *, const char *tok, int64_t *uid, int *is_staff);
/*
 * Calls fn for each task with a deadline that uid sees (owns its list, is
 * a member of it, or is its assignee: members.h), at most CAL_MAX_EVENTS,
 * latest deadlines first, with the offsets its reminders have
 * (rem_offsets_effective: the task's own, else its recipient's).
 */
enum dbrc cal_events(struct db *, int64_t uid,
	    void (*fn)(void *, const struct cal_event *), void *ctx);

#endif
