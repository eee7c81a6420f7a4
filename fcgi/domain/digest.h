/*
 * digest: the daily Telegram digest, at each user's local daily_digest_at:
 * their open tasks (assigned to them, or unassigned in their lists) that
 * are overdue or due within 24 hours; nothing when there are none.  Once
 * per local calendar day: users.digest_last_day keeps the local date of
 * the last one, so a restart sends no second.  A local time a DST gap
 * skips is read as RFC 5545 does (02:30 becomes 03:30 new time); in an
 * overlap the first 01:30 counts.
 */
#ifndef TASKMGR_DIGEST_H
#define TASKMGR_DIGEST_H

#include <stdint.h>

#include "db.h"

struct tz;

#define DIGEST_DAY_BYTES	32	/* "YYYY-MM-DD" and its NUL, with room to spare */
#define DIGEST_MAX_LINES	50	/* tasks listed; more are counted */

/*
 * The rule, without the database: for a digest at digest_min minutes after
 * local midnight in zone z, last sent on local day last ("" or NULL:
 * never), whether one is due at now (1) or not (0).  today gets now's
 * local date, *next the next instant one will be due after this one.
 */
int	 digest_when(const struct tz *z, int digest_min, const char *last, int64_t now,
	    char today[DIGEST_DAY_BYTES], int64_t *next);

/*
 * Sends every digest due at now (zone: for users without a time_zone),
 * each in its own transaction with the user's digest_last_day; *sent
 * counts the users served, *next (TIME_NULL: none) when the next is due.
 */
enum dbrc digest_run(struct db *, int64_t now, const struct tz *zone, int64_t *sent,
	    int64_t *next);

#endif
