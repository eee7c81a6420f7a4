/*
 * user_settings: a user's time settings (issue #17): the time zone dates
 * are read and shown in, the default reminder offsets, the daily digest's
 * local time.  Stored in users.time_zone, reminder_offsets (JSON array
 * text) and daily_digest_at ("HH:MM"); NULL is the default of each.
 */
#ifndef TASKMGR_USER_SETTINGS_H
#define TASKMGR_USER_SETTINGS_H

#include <stdint.h>

#include "db.h"

struct tz;

#define USER_MAX_OFFSETS	5	/* reminder offsets per user (and per task) */
#define USER_OFFSET_MAX		525600	/* minutes: a year */
#define USER_DEFAULT_OFFSET	60	/* reminder_offsets NULL means [60] */

struct user_time {
	const struct tz	*zone;		/* the user's zone, else the default given */
	int		 own_zone;	/* 1: the user chose it (time_zone not NULL) */
	int		 offsets[USER_MAX_OFFSETS];	/* minutes before a deadline */
	int		 noffsets;	/* 0..USER_MAX_OFFSETS */
	int		 digest_at;	/* minutes after local midnight; -1: no digest */
};

/* What user_time_update changes. */
#define UT_EMAIL	0x01
#define UT_ZONE		0x02
#define UT_OFFSETS	0x04
#define UT_DIGEST	0x08

struct user_time_patch {
	unsigned	 set;		/* UT_* */
	const char	*email;
	const struct tz	*zone;		/* NULL: back to the server's */
	int		 offsets[USER_MAX_OFFSETS];
	int		 noffsets;
	int		 digest_at;	/* -1: none */
};

/*
 * Loads user id's time settings; dflt is the zone of a user without one
 * (the time_zone setting).  A stored zone this system no longer knows
 * reads as dflt.  DB_NOTFOUND when there is no such user.
 */
enum dbrc user_time_get(struct db *, int64_t id, const struct tz *dflt,
	    struct user_time *out);
/* Writes the fields of p named by p->set, in one statement; DB_NOTFOUND: no user. */
enum dbrc user_time_update(struct db *, int64_t id, const struct user_time_patch *p);
/*
 * Reads stored reminder_offsets text (a JSON array of integers) into out;
 * NULL text is the default [60].  The count, or -1 when malformed.
 */
int	 user_offsets_parse(const char *text, int out[USER_MAX_OFFSETS]);
/* "HH:MM" (00:00-23:59) as minutes after midnight; -1 if s is anything else. */
int	 user_digest_parse(const char *s);
/* Writes minutes m as "HH:MM" into out[6]. */
void	 user_digest_format(int m, char out[6]);

#endif
