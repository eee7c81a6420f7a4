/* Unit tests: days_from_civil and civil_from_days (core/timeutil.h). */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "tap.h"
#include "timeutil.h"

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

int
main(void)
{
	static const struct {
		int64_t	 y;
		int	 m, d;
		int64_t	 days;
	} known[] = {
		{ 1970, 1, 1, 0 },
		{ 1969, 12, 31, -1 },
		{ 2000, 2, 29, 11016 },
		{ 2000, 3, 1, 11017 },
		{ 2100, 3, 1, 47541 },
		{ 2026, 12, 3, 20790 },
		{ 1, 1, 1, -719162 },
		{ 0, 3, 1, -719468 },
		{ 0, 2, 29, -719469 },	/* year 0 (1 BC) is a leap year */
		{ -1, 12, 31, -719529 },
		{ 9999, 12, 31, 2932896 },
		{ 1600, 2, 29, -135081 },
	};
	size_t	 i;
	int64_t	 y, py, days;
	int	 m, d, pm, pd, bad;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		is_int(days_from_civil(known[i].y, known[i].m, known[i].d), known[i].days,
		    "days_from_civil(%lld-%02d-%02d)", (long long)known[i].y,
		    known[i].m, known[i].d);
		civil_from_days(known[i].days, &y, &m, &d);
		ok(y == known[i].y && m == known[i].m && d == known[i].d,
		    "civil_from_days(%lld) is %lld-%02d-%02d", (long long)known[i].days,
		    (long long)known[i].y, known[i].m, known[i].d);
	}

	/*
	 * Every day from year -10000 to 12000: each day's date is the day
	 * after the previous day's date, and converts back to the same count.
	 */
	bad = 0;
	civil_from_days(days_from_civil(-10000, 1, 1) - 1, &py, &pm, &pd);
	for (days = days_from_civil(-10000, 1, 1); days < days_from_civil(12000, 1, 1); days++) {
		civil_from_days(days, &y, &m, &d);
		if (pd < month_days(py, pm) ? !(y == py && m == pm && d == pd + 1) :
		    pm < 12 ? !(y == py && m == pm + 1 && d == 1) :
		    !(y == py + 1 && m == 1 && d == 1)) {
			if (bad++ < 3)
				printf("# day %lld: %lld-%02d-%02d after %lld-%02d-%02d\n",
				    (long long)days, (long long)y, m, d, (long long)py, pm, pd);
		}
		if (days_from_civil(y, m, d) != days && bad++ < 3)
			printf("# day %lld: round trip gives %lld\n", (long long)days,
			    (long long)days_from_civil(y, m, d));
		py = y, pm = m, pd = d;
	}
	is_int(bad, 0, "8 million consecutive days from year -10000 to 11999 step by one date "
	    "and round-trip");

	/* far out: a million years either way, and days as the C library counts them */
	bad = 0;
	for (days = -400000000; days <= 400000000; days += 999983) {
		civil_from_days(days, &y, &m, &d);
		if (days_from_civil(y, m, d) != days && bad++ < 3)
			printf("# day %lld: round trip gives %lld\n", (long long)days,
			    (long long)days_from_civil(y, m, d));
	}
	is_int(bad, 0, "days within a million years either way round-trip");
	bad = 0;
	for (days = -719162; days <= 2932896; days += 997) {
		time_t	 t = (time_t)(days * 86400);
		struct tm tm;

		if (gmtime_r(&t, &tm) == NULL)
			continue;
		civil_from_days(days, &y, &m, &d);
		if ((y != tm.tm_year + 1900 || m != tm.tm_mon + 1 || d != tm.tm_mday) &&
		    bad++ < 3)
			printf("# day %lld: %lld-%02d-%02d, gmtime_r says %d-%02d-%02d\n",
			    (long long)days, (long long)y, m, d, tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday);
	}
	is_int(bad, 0, "years 1 to 9999 as gmtime_r dates them");
	return tap_done();
}
