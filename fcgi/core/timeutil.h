/*
 * timeutil: timestamps as int64 microseconds since the Unix epoch (UTC), and
 * RFC 3339 parsing and formatting.
 */
#ifndef TASKMGR_TIMEUTIL_H
#define TASKMGR_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_LEN 28
/* "2026-11-27T02:24:24.123456Z" plus NUL */
#define TIME_NULL INT64_MIN	/* "no time": a NULL column, a null JSON value */

/* The current time in microseconds (CLOCK_REALTIME). */
int64_t	 now_us(void);
/* A monotonic clock in microseconds, for durations. */
int64_t	 mono_us(void);
/*
 * Proleptic Gregorian calendar arithmetic (Howard Hinnant's method), exact
 * for any year an int64_t day count reaches without overflow: the days since
 * 1970-01-01 of year y, month m (1..12), day d (1..31), and back.
 */
int64_t	 days_from_civil(int64_t y, int m, int d);
void	 civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* Writes us as "YYYY-MM-DDThh:mm:ss.uuuuuuZ" into out (RFC3339_LEN bytes). */
void	 rfc3339_format(int64_t us, char out[RFC3339_LEN]);
struct tz;

/*
 * Parses an RFC 3339 date-time of n bytes ('T', 't' or ' ' between date and
 * time, seconds and fraction optional, offset Z or +-HH:MM, +-HHMM, +-HH).
 * Without an offset the time is a local time in zone (core/tz.h: a gap is
 * read with the offset before it, an overlap is its first instant); zone
 * NULL is UTC.  0 on success, -1 on anything else.
 */
int	 rfc3339_parse_in(const char *s, size_t n, const struct tz *zone, int64_t *us);
/* rfc3339_parse_in in UTC. */
int	 rfc3339_parse(const char *s, size_t n, int64_t *us);

#endif
