/*
 * tz: IANA time zones from the system's tz database, looked up by name and
 * kept for the life of the process (a zone is read once, never per request).
 *
 * Civil (local) times convert to instants the way RFC 5545 reads them: a
 * local time inside a gap (clocks jumped forward) is read with the offset
 * before the gap, so 02:30 on a spring-forward night is 03:30 new time; a
 * local time inside an overlap (clocks fell back) is its first instant.
 */
#ifndef TASKMGR_TZ_H
#define TASKMGR_TZ_H

#include <stdint.h>

struct tz;			/* opaque; owned by the process-wide cache */

/* A broken-down local time. */
struct tz_civil {
	int	 year, mon, day;	/* mon 1..12, day 1..31 */
	int	 hour, min, sec;
	int	 usec;
	int	 wday;			/* 0 = Sunday (out only) */
	int	 utc_offset;		/* seconds east of UTC (out only) */
	char	 abbr[16];		/* "MSK", "EDT", "+03" (out only) */
};

/* The zone named name ("Europe/Moscow", "UTC"), or NULL if unknown. */
const struct tz	*tz_get(const char *name);
/* The zone's IANA name, as given to tz_get. */
const char	*tz_name(const struct tz *z);
/* The local time of the instant us (microseconds since the epoch, UTC). */
void		 tz_to_civil(const struct tz *z, int64_t us, struct tz_civil *out);
/* The instant of a local time (wday, utc_offset, abbr ignored). */
int64_t		 tz_from_civil(const struct tz *z, const struct tz_civil *c);

/* How tz_format writes a local time. */
enum tz_style {
	TZS_ISO,	/* "2026-12-03 09:00 MSK" (admin pages) */
	TZS_RU,		/* "03.12.2026 09:00 MSK" (notices, bot texts) */
	TZS_INPUT,	/* "2026-12-03T09:00" (an <input type="datetime-local"> value) */
};
#define TZ_TIME_LEN 40

/*
 * Writes the local time of the instant us in zone z (NULL: UTC) in style,
 * followed (but for TZS_INPUT) by the zone's abbreviation, or its offset
 * ("+0530") when the zone has none.
 */
void		 tz_format(const struct tz *z, int64_t us, enum tz_style style,
		    char out[TZ_TIME_LEN]);

#endif
