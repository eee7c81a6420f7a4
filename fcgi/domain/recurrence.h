/*
 * recurrence: the arithmetic of recurring deadlines -- pure functions on
 * core/tz.h, no SQL, no clock.
 *
 * A rule steps a deadline by every * unit in a time zone's civil time: a
 * day or a week keeps the local time of day across DST changes (a local
 * time that falls in a gap is read as RFC 5545 says, tz.h), a month or a
 * year keeps the day of the month, cut to the last day of a shorter month.
 *
 * The anchor: occurrences are counted from the civil (local) time of the
 * deadline the rule was set on, kept as "naive local" microseconds (the
 * local date and time written as if they were UTC), so the 31st stays the
 * 31st after a 30th or a 28th, and 02:30 stays 02:30 after a spring-forward
 * night read it as 03:30.  Occurrence k is anchor + k * every units.
 */
#ifndef TASKMGR_RECURRENCE_H
#define TASKMGR_RECURRENCE_H

#include <stdint.h>

struct tz;

enum rec_unit { RU_DAY = 0, RU_WEEK, RU_MONTH, RU_YEAR };
enum rec_from { RF_DEADLINE = 0, RF_COMPLETION };
#define REC_EVERY_MAX	1000

/* "day", "week", "month", "year", NULL: indexed by enum rec_unit. */
extern const char *const rec_unit_names[];
/* "deadline", "completion", NULL: indexed by enum rec_from. */
extern const char *const rec_from_names[];

struct recurrence {
	int		 every;		/* 0: not recurring; else 1..REC_EVERY_MAX */
	int		 unit;		/* enum rec_unit */
	int		 from;		/* enum rec_from */
	int64_t		 until;		/* TIME_NULL: no end */
};

/* The index of a stored unit or from name (rec_unit_names, rec_from_names); -1 if none. */
int	 rec_unit_of(const char *);
int	 rec_from_of(const char *);
/* 1 when a and b are the same rule (two non-recurring ones are). */
int	 rec_same(const struct recurrence *a, const struct recurrence *b);

/* The anchor of the instant us in zone z: its local time as naive microseconds. */
int64_t	 rec_anchor(const struct tz *z, int64_t us);
/*
 * Occurrence k (k >= 0) of rule r counted from anchor, in zone z; TIME_NULL
 * when it falls past the year 9999.
 */
int64_t	 rec_occurrence(const struct tz *z, const struct recurrence *r,
	    int64_t anchor, int64_t k);
/*
 * The first occurrence (k >= 1) of r from anchor that is later than
 * after, without walking the occurrences in between; TIME_NULL past 9999.
 */
int64_t	 rec_next_after(const struct tz *z, const struct recurrence *r,
	    int64_t anchor, int64_t after);
/*
 * The deadline a recurring task moves to when completed at done: from its
 * deadline (occurrences from anchor, the first later than both the old
 * deadline and done) or from the completion (one step from done's local
 * time).  TIME_NULL when there is none: past until, or past the year 9999.
 */
int64_t	 rec_next(const struct tz *z, const struct recurrence *r, int64_t anchor,
	    int64_t deadline, int64_t done);

#endif
