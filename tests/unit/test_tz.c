/* Unit tests: time zones by name (core/tz.c), gaps and overlaps as RFC 5545 reads them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "timeutil.h"
#include "tz.h"

/* The instant of an RFC 3339 time with an offset. */
static int64_t
at(const char *s)
{
	int64_t	 v = 0;

	if (rfc3339_parse(s, strlen(s), &v) < 0)
		return -1;
	return v;
}

static int64_t
local(const struct tz *z, int y, int mo, int d, int h, int mi)
{
	struct tz_civil c;

	memset(&c, 0, sizeof(c));
	c.year = y, c.mon = mo, c.day = d, c.hour = h, c.min = mi;
	return tz_from_civil(z, &c);
}

int
main(void)
{
	const struct tz	*msk, *ny, *syd, *utc;
	struct tz_civil	 c;

	ok((msk = tz_get("Europe/Moscow")) != NULL, "Europe/Moscow is known");
	ok((ny = tz_get("America/New_York")) != NULL, "America/New_York is known");
	ok((syd = tz_get("Australia/Sydney")) != NULL, "Australia/Sydney is known");
	ok((utc = tz_get("UTC")) != NULL, "UTC is known");
	ok(tz_get("Mars/Olympus") == NULL, "an unknown zone is refused");
	ok(tz_get("../../etc/passwd") == NULL, "a path is refused");
	ok(tz_get("") == NULL, "an empty name is refused");
	ok(tz_get("Europe/Moscow") == msk, "a zone is looked up once");
	ok(strcmp(tz_name(ny), "America/New_York") == 0, "the zone keeps its name");

	tz_to_civil(msk, at("2026-12-03T06:00:00Z"), &c);
	ok(c.hour == 9 && c.utc_offset == 3 * 3600 && strcmp(c.abbr, "MSK") == 0,
	    "06:00Z is 09:00 MSK");
	tz_to_civil(ny, at("2026-07-01T12:00:00Z"), &c);
	ok(c.hour == 8 && c.utc_offset == -4 * 3600 && strcmp(c.abbr, "EDT") == 0 &&
	    c.wday == 3, "12:00Z on 1 July is 08:00 EDT, a Wednesday");
	ok(local(msk, 2026, 12, 3, 9, 0) == at("2026-12-03T06:00:00Z"),
	    "09:00 in Moscow is 06:00Z");

	/* New York springs forward 2026-03-08 02:00 -> 03:00 */
	ok(local(ny, 2026, 3, 8, 2, 30) == at("2026-03-08T07:30:00Z"),
	    "02:30 in the spring gap reads with the offset before it (03:30 EDT)");
	ok(local(ny, 2026, 3, 8, 9, 0) == at("2026-03-08T13:00:00Z"),
	    "09:00 after the gap is EDT");
	/* New York falls back 2026-11-01 02:00 -> 01:00 */
	ok(local(ny, 2026, 11, 1, 1, 30) == at("2026-11-01T05:30:00Z"),
	    "01:30 in the autumn overlap is its first instant (EDT)");
	/* Sydney (southern hemisphere): back 2026-04-05 03:00 -> 02:00, forward 2026-10-04 02:00 -> 03:00 */
	ok(local(syd, 2026, 4, 5, 2, 30) == at("2026-04-05T02:30:00+11:00"),
	    "Sydney: 02:30 in the April overlap is its first instant (AEDT)");
	ok(local(syd, 2026, 10, 4, 2, 30) == at("2026-10-04T03:30:00+11:00"),
	    "Sydney: 02:30 in the October gap is 03:30 AEDT");
	tz_to_civil(syd, at("2026-10-04T03:30:00+11:00"), &c);
	ok(c.hour == 3 && c.min == 30 && strcmp(c.abbr, "AEDT") == 0, "and reads back as 03:30 AEDT");
	ok(local(utc, 2024, 2, 29, 23, 59) == at("2024-02-29T23:59:00Z"), "UTC is UTC");
	return tap_done();
}
