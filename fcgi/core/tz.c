/*
 * tz: time zones by IANA name.
 *
 * FIRST CUT: conversions go through the C library (TZ + localtime_r), which
 * re-reads the zone file whenever the zone changes; a TZif reader with a
 * per-zone cache replaces it (issue #17).  The interface in tz.h stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"
#include "tz.h"

#define TZ_MAX_ZONES 64

struct tz {
	char	 name[64];
};

static struct tz zones[TZ_MAX_ZONES];
static int	 nzones;

static int
tz_name_ok(const char *name)
{
	const char	*p;
	char		 path[256];

	if (name == NULL || *name == '\0' || strlen(name) >= sizeof(zones[0].name))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		    *p == '-' || *p == '+'))
			return 0;
	if (name[0] == '/' || strstr(name, "//") != NULL)
		return 0;
	if (strcmp(name, "UTC") == 0)
		return 1;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	return access(path, R_OK) == 0;
}

const struct tz *
tz_get(const char *name)
{
	int	 i;

	for (i = 0; i < nzones; i++)
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	if (!tz_name_ok(name) || nzones == TZ_MAX_ZONES)
		return NULL;
	snprintf(zones[nzones].name, sizeof(zones[nzones].name), "%s", name);
	return &zones[nzones++];
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* Runs localtime_r for t in zone z, then puts the process zone back. */
static void
local_tm(const struct tz *z, time_t t, struct tm *tm)
{
	char	*old = getenv("TZ"), saved[64] = "";

	if (old != NULL)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("TZ", z->name, 1);
	tzset();
	localtime_r(&t, tm);
	if (old != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
}

static int64_t
floor_div64(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

void
tz_to_civil(const struct tz *z, int64_t us, struct tz_civil *out)
{
	struct tm	 tm;
	int64_t		 secs = floor_div64(us, 1000000);

	local_tm(z, (time_t)secs, &tm);
	out->year = tm.tm_year + 1900;
	out->mon = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->min = tm.tm_min;
	out->sec = tm.tm_sec;
	out->usec = (int)(us - secs * 1000000);
	out->wday = tm.tm_wday;
	out->utc_offset = (int)tm.tm_gmtoff;
	snprintf(out->abbr, sizeof(out->abbr), "%s", tm.tm_zone ? tm.tm_zone : "");
}

/* Offset east of UTC, in seconds, in force at the instant secs. */
static int
offset_at(const struct tz *z, int64_t secs)
{
	struct tm tm;

	local_tm(z, (time_t)secs, &tm);
	return (int)tm.tm_gmtoff;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
tz_from_civil(const struct tz *z, const struct tz_civil *c)
{
	int64_t	 naive, ta, tb;
	int	 oa, ob, va, vb;

	naive = days_from_civil(c->year, c->mon, c->day) * 86400 +
	    c->hour * 3600 + c->min * 60 + c->sec;
	/* zones change offset at most once a day: the offsets either side */
	oa = offset_at(z, naive - 86400);
	ob = offset_at(z, naive + 86400);
	ta = naive - oa;
	tb = naive - ob;
	va = offset_at(z, ta) == oa;
	vb = offset_at(z, tb) == ob;
	if (va && vb)		/* an overlap (or no change): the first instant */
		return (ta < tb ? ta : tb) * 1000000 + c->usec;
	if (va)
		return ta * 1000000 + c->usec;
	if (vb)
		return tb * 1000000 + c->usec;
	/* a gap: read with the offset before it */
	return ta * 1000000 + c->usec;
}
