/* Unit tests: RFC 3339 parsing and formatting. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "timeutil.h"
#include "tz.h"

static const struct tz *zone;	/* offset-less input is read in it */

static int64_t
p(const char *s)
{
	int64_t	 v = 0;

	if (rfc3339_parse_in(s, strlen(s), zone, &v) < 0)
		return -1;
	return v;
}

static const char *
f(int64_t us, char *out)
{
	rfc3339_format(us, out);
	return out;
}

/* What the C library's gmtime_r makes of us, as rfc3339_format writes it; 0 when it cannot. */
static int
libc_rfc3339(int64_t us, char want[64])
{
	int64_t	 secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	time_t	 tt = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		return 0;
	snprintf(want, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(us - secs * 1000000));
	return 1;
}

int
main(void)
{
	char	 b[RFC3339_LEN];
	const char *bad[] = {
		"", "2026", "2026-11-27", "2026-11-27T", "2026-11-27T10", "2026-13-01T00:00Z",
		"2026-02-29T00:00Z", "2026-11-31T00:00Z", "2026-11-27T24:00Z",
		"2026-11-27T10:60Z", "2026-11-27T10:00:60Z", "2026-11-27T10:00:00.Z",
		"2026-11-27T10:00:00+24:00", "2026-11-27T10:00:00+05:60", "2026-11-27T10:00:00 ",
		"2026-11-27T10:00:00Zjunk", "26-11-27T10:00Z", "2026/11/27T10:00Z",
		"0000-01-01T00:00Z", "２０２６-11-27T10:00Z", "2026-11-27T10:00:00+5", NULL,
	};
	int	 i;

	zone = tz_get("UTC");
	is_int(p("1970-01-01T00:00:00Z"), 0, "epoch");
	is_int(p("2026-11-27T02:24:24.123456Z"), 1795746264123456LL, "microseconds");
	is_int(p("2026-11-27T02:24:24.1234569Z"), 1795746264123456LL, "extra digits truncated");
	is_int(p("2026-11-27T02:24:24.5Z"), 1795746264500000LL, "one fraction digit");
	is_int(p("2026-11-27T05:24:24+03:00"), 1795746264000000LL, "positive offset");
	is_int(p("2026-11-26T23:24:24-03:00"), 1795746264000000LL, "negative offset");
	is_int(p("2026-11-27T05:24:24+0300"), 1795746264000000LL, "offset without colon");
	is_int(p("2026-11-27T05:24:24+03"), 1795746264000000LL, "hour-only offset");
	is_int(p("2026-11-27t02:24:24z"), 1795746264000000LL, "lowercase t and z");
	is_int(p("2026-11-27 02:24:24Z"), 1795746264000000LL, "space separator");
	is_int(p("2026-11-27T02:24Z"), 1795746240000000LL, "no seconds");
	is_int(p("2024-02-29T00:00:00Z"), 1709164800000000LL, "leap day");
	is_int(p("2026-11-27T02:24:24"), 1795746264000000LL, "no offset: configured zone (UTC)");
	ok((zone = tz_get("Europe/Moscow")) != NULL, "a named zone");
	is_int(p("2026-11-27T05:24:24"), 1795746264000000LL, "no offset: Moscow is +03:00");
	is_int(p("2026-11-27T02:24:24Z"), 1795746264000000LL, "explicit Z ignores the zone");
	/* New York: 02:30 on 2026-03-08 is in the spring gap, 01:30 on 2026-11-01 in the overlap */
	zone = tz_get("America/New_York");
	is_int(p("2026-03-08T02:30"), p("2026-03-08T07:30Z"), "no offset, in a gap: the offset before it");
	is_int(p("2026-11-01T01:30"), p("2026-11-01T05:30Z"), "no offset, in an overlap: its first instant");
	zone = NULL;
	is_int(p("2026-11-27T02:24:24"), 1795746264000000LL, "no zone: UTC");
	zone = tz_get("UTC");
	for (i = 0; bad[i] != NULL; i++)
		is_int(p(bad[i]), -1, "refuses '%s'", bad[i]);
	is_str(f(0, b), "1970-01-01T00:00:00.000000Z", "format epoch");
	is_str(f(1795746264123456LL, b), "2026-11-27T02:24:24.123456Z", "format microseconds");
	is_str(f(-1, b), "1969-12-31T23:59:59.999999Z", "before the epoch");
	is_str(f(253402300799999999LL, b), "9999-12-31T23:59:59.999999Z", "year 9999");
	is_int(p(f(1709164800000001LL, b)), 1709164800000001LL, "round trip");
	ok(now_us() > 1700000000000000LL, "clock");
	/* found by fuzz_rfc3339: an offset could move the instant out of 0001..9999 */
	is_int(p("0001-01-01T00:00:00+05:00"), -1, "offset before year 1 refused");
	is_int(p("9999-12-31T23:59:59-05:00"), -1, "offset past year 9999 refused");
	is_int(p("0001-01-01T00:00:00Z"), -62135596800000000LL, "first instant of year 1");
	is_int(p("9999-12-31T23:59:59.999999Z"), 253402300799999999LL, "last instant of 9999");
	zone = tz_get("Australia/Lord_Howe");
	is_int(p("0001-01-01T00:00"), -1, "local time before year 1 in UTC refused");
	zone = tz_get("UTC");
	is_str(f(-62135596800000001LL, b), "0001-01-01T00:00:00.000000Z",
	    "format clamps to what parse accepts");
	/* the formatter keeps the last day's date: alternate days and clamps */
	is_str(f(1795746264123456LL, b), "2026-11-27T02:24:24.123456Z", "a day");
	is_str(f(1795746264123456LL + 86400000000LL, b), "2026-11-28T02:24:24.123456Z",
	    "the next day");
	is_str(f(-62135596800000001LL, b), "0001-01-01T00:00:00.000000Z", "a clamp between");
	is_str(f(1795746264123456LL + 86400000000LL - 1, b), "2026-11-28T02:24:24.123455Z",
	    "the same day after a clamp");
	is_str(f(1795746264123456LL, b), "2026-11-27T02:24:24.123456Z", "the day before again");
	for (i = 0; i < 400; i++) {
		int64_t	 us = (int64_t)i * 86400000000LL * 37 + i * 1000003LL;

		if (p(f(us, b)) != us)
			break;
	}
	is_int(i, 400, "400 days round-trip through the cached date");
	/* the fields against the C library's gmtime_r, from year 1 to 9999 */
	{
		uint64_t seed = 42;
		int	 bad = 0;

		for (i = 0; i < 200000; i++) {
			int64_t	 us;
			char	 want[64];

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			/* 0001-01-01 to 9999-12-31, a third of them near the epoch */
			us = (int64_t)(seed >> 1) % 253402300799999999LL;
			if (i % 3 == 0)
				us = us % 4000000000000000LL;
			else if (i % 3 == 1)
				us = us - 62135596800000000LL;
			if (us < -62135596800000000LL)
				us = -62135596800000000LL;
			if (!libc_rfc3339(us, want))
				continue;
			if (strcmp(f(us, b), want) != 0 && bad++ < 3)
				printf("# %lld: %s, not %s\n", (long long)us, b, want);
		}
		is_int(bad, 0, "200000 instants from year 1 to 9999 as gmtime_r gives them");
	}
	/* six days in turn, then back and forth: the kept dates and their replacement */
	{
		static const int64_t days[] = { 0, 1, 20000, 20001, -1, 2932896 };
		int	 bad = 0, k;

		for (i = 0; i < 60; i++) {
			int64_t	 us;
			char	 want[64];

			k = i < 30 ? i % 6 : (i % 2 ? 0 : 1 + i % 5);
			us = days[k] * 86400000000LL + (int64_t)i * 3601000007LL % 86400000000LL;
			if (!libc_rfc3339(us, want))
				want[0] = '\0';
			if (strcmp(f(us, b), want) != 0 && bad++ < 3)
				printf("# %lld: %s, not %s\n", (long long)us, b, want);
		}
		is_int(bad, 0, "six days in turn and alternating, as gmtime_r gives them");
	}
	is_str(f(-86400000000LL, b), "1969-12-31T00:00:00.000000Z", "the day before the epoch");
	is_str(f(-1000000LL, b), "1969-12-31T23:59:59.000000Z", "a second before the epoch");
	is_str(f(951782400000000LL, b), "2000-02-29T00:00:00.000000Z", "2000 is a leap year");
	is_str(f(4107542400000000LL, b), "2100-03-01T00:00:00.000000Z", "2100 is not");
	return tap_done();
}
