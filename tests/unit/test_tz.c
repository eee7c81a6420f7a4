/*
 * Unit tests: time zones by name (core/tz.c), gaps and overlaps as RFC 5545
 * reads them, checked against the C library (TZ + localtime_r) on many
 * instants, and TZif files that are truncated or garbage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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


/* The C library's local time of t in zone name (TZ + localtime_r). */
static void
libc_local(const char *name, int64_t t, struct tm *tm)
{
	time_t	 tt = (time_t)t;

	setenv("TZ", name, 1);
	tzset();
	localtime_r(&tt, tm);
}

static int
same_civil(const struct tz_civil *c, const struct tm *tm)
{
	return c->year == tm->tm_year + 1900 && c->mon == tm->tm_mon + 1 &&
	    c->day == tm->tm_mday && c->hour == tm->tm_hour &&
	    c->min == tm->tm_min && c->sec == tm->tm_sec &&
	    c->wday == tm->tm_wday && c->utc_offset == tm->tm_gmtoff &&
	    strcmp(c->abbr, tm->tm_zone) == 0;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/*
 * n random instants 1970..2100 in zone name: tz_to_civil agrees with
 * localtime_r on every field, and tz_from_civil of that local time gives an
 * instant with the same local time, no later than the first (the first
 * instant of an overlap).
 */
static void
compare_random(const char *name, int n)
{
	const struct tz	*z = tz_get(name);
	struct tz_civil	 c, c2;
	struct tm	 tm;
	int64_t		 t, u;
	int		 i, bad = 0, badrt = 0;

	if (z == NULL) {
		ok(0, "%s is known", name);
		return;
	}
	for (i = 0; i < n; i++) {
		t = (int64_t)(rnd() % 4102444800ULL);	/* 1970-01-01 .. 2100-01-01 */
		tz_to_civil(z, t * 1000000 + 123, &c);
		libc_local(name, t, &tm);
		if (!same_civil(&c, &tm) || c.usec != 123) {
			if (bad++ == 0)
				printf("# %s at %lld: %04d-%02d-%02d %02d:%02d:%02d %+d %s, "
				    "libc %04d-%02d-%02d %02d:%02d:%02d %+ld %s\n", name,
				    (long long)t, c.year, c.mon, c.day, c.hour, c.min,
				    c.sec, c.utc_offset, c.abbr, tm.tm_year + 1900,
				    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
				    tm.tm_sec, tm.tm_gmtoff, tm.tm_zone);
		}
		u = tz_from_civil(z, &c);
		tz_to_civil(z, u, &c2);
		if (u > t * 1000000 + 123 || c2.year != c.year || c2.mon != c.mon ||
		    c2.day != c.day || c2.hour != c.hour || c2.min != c.min ||
		    c2.sec != c.sec || c2.usec != 123) {
			if (badrt++ == 0)
				printf("# %s: from_civil(to_civil(%lld)) = %lld\n",
				    name, (long long)t, (long long)u);
		}
	}
	ok(bad == 0, "%s: to_civil agrees with localtime_r on %d random instants (%d differ)",
	    name, n, bad);
	ok(badrt == 0, "%s: from_civil reads each back to its first instant (%d differ)",
	    name, badrt);
}

/*
 * Every zone of zone1970.tab: to_civil agrees with localtime_r on n random
 * instants 1970..2100 each, and from_civil reads each back (compare_random's
 * checks, one line for all).
 */
static void
compare_all_zones(int n)
{
	char		 line[512], *name, *end;
	FILE		*f = fopen("/usr/share/zoneinfo/zone1970.tab", "r");
	const struct tz	*z;
	struct tz_civil	 c, c2;
	struct tm	 tm;
	int64_t		 t, u;
	int		 zones = 0, bad = 0, i;

	if (f == NULL) {
		ok(0, "zone1970.tab is readable");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		/* code(s) TAB coordinates TAB name [TAB comment] */
		if (line[0] == '#' || (name = strchr(line, '\t')) == NULL ||
		    (name = strchr(name + 1, '\t')) == NULL)
			continue;
		name++;
		if ((end = strpbrk(name, "\t\n")) != NULL)
			*end = '\0';
		zones++;
		if ((z = tz_get(name)) == NULL) {
			printf("# %s: not loaded\n", name);
			bad++;
			continue;
		}
		for (i = 0; i < n; i++) {
			t = (int64_t)(rnd() % 4102444800ULL);
			tz_to_civil(z, t * 1000000, &c);
			libc_local(name, t, &tm);
			u = tz_from_civil(z, &c);
			tz_to_civil(z, u, &c2);
			if (!same_civil(&c, &tm) || u > t * 1000000 || c2.hour != c.hour ||
			    c2.min != c.min || c2.day != c.day) {
				printf("# %s at %lld: %02d:%02d %s, libc %02d:%02d %s\n", name,
				    (long long)t, c.hour, c.min, c.abbr, tm.tm_hour,
				    tm.tm_min, tm.tm_zone);
				bad++;
				break;
			}
		}
	}
	fclose(f);
	ok(zones > 300 && bad == 0, "all %d zones of zone1970.tab agree with localtime_r "
	    "on %d instants each (%d differ)", zones, n, bad);
}

/*
 * Walks local times every 15 minutes from 4 hours before to 4 hours after
 * the local time hh:00 of y-m-d in zone name: tz_to_civil of the instants
 * agrees with localtime_r, and tz_from_civil of each local time is the first
 * instant the C library shows it at, or in a gap the time read with the
 * offset before the gap.
 */
static void
walk(const char *name, int y, int mo, int d, int hh)
{
	const struct tz	*z = tz_get(name);
	struct tz_civil	 c;
	struct tm	 tm;
	int64_t		 naive, t, want, cand, got;
	int		 k, j, bad = 0, offs[2], before, ngap = 0, nover = 0;

	if (z == NULL) {
		ok(0, "%s is known", name);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.year = y, c.mon = mo, c.day = d, c.hour = hh;
	naive = tz_from_civil(z, &c) / 1000000;
	libc_local(name, naive - 86400, &tm);
	offs[0] = before = (int)tm.tm_gmtoff;
	libc_local(name, naive + 86400, &tm);
	offs[1] = (int)tm.tm_gmtoff;
	libc_local(name, naive, &tm);
	naive += tm.tm_gmtoff;		/* the local hh:00 as if it were UTC */
	for (k = -16; k <= 16; k++) {
		int64_t	 lt = naive + k * 900;
		int	 nfound = 0;

		/* the instants: to_civil as the C library */
		t = lt - before;
		tz_to_civil(z, t * 1000000, &c);
		libc_local(name, t, &tm);
		if (!same_civil(&c, &tm) && bad++ == 0)
			printf("# %s to_civil(%lld): %02d:%02d %s, libc %02d:%02d %s\n",
			    name, (long long)t, c.hour, c.min, c.abbr, tm.tm_hour,
			    tm.tm_min, tm.tm_zone);
		/* the local time lt: its first instant, or the offset before */
		want = INT64_MAX;
		for (j = 0; j < 2; j++) {
			cand = lt - offs[j];
			libc_local(name, cand, &tm);
			if (tm.tm_gmtoff == offs[j] && cand < want)
				want = cand;
			nfound += tm.tm_gmtoff == offs[j];
		}
		if (offs[0] != offs[1] && nfound == 2)
			nover++;
		if (want == INT64_MAX) {
			want = lt - before;
			ngap++;
		}
		memset(&c, 0, sizeof(c));
		{
			int64_t	 days = lt / 86400, rem = lt % 86400;
			struct tm ut;
			time_t	 tt = (time_t)(days * 86400);

			gmtime_r(&tt, &ut);
			c.year = ut.tm_year + 1900, c.mon = ut.tm_mon + 1;
			c.day = ut.tm_mday, c.hour = (int)(rem / 3600);
			c.min = (int)(rem / 60 % 60);
		}
		got = tz_from_civil(z, &c) / 1000000;
		if (got != want && bad++ == 0)
			printf("# %s from_civil %02d:%02d = %lld, want %lld\n", name,
			    c.hour, c.min, (long long)got, (long long)want);
	}
	ok(bad == 0 && (ngap > 0 || nover > 0),
	    "%s %04d-%02d-%02d: every 15 minutes across the change (%d in a gap, %d in an overlap)",
	    name, y, mo, d, ngap, nover);
}

/* Writes n bytes to dir/name. */
static void
put_file(const char *dir, const char *name, const void *b, size_t n)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(b, 1, n, f);
		fclose(f);
	}
}

/*
 * Hostile TZif files in a temporary TZDIR: every truncation of a real file
 * is refused, garbage is refused, and random corruptions load or not but
 * never crash (ASan and UBSan watch the conversions).
 */
static void
hostile_files(void)
{
	char		 dir[] = "/tmp/tmtest_tzXXXXXX", name[64], path[600];
	static uint8_t	 buf[1 << 16], mut[1 << 16];
	const char	*old = getenv("TZDIR");
	const struct tz	*z;
	struct tz_civil	 c;
	FILE		*f;
	size_t		 n, i;
	int		 refused = 0, crashfree = 1, k;

	f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
	n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	if (n < 100 || mkdtemp(dir) == NULL) {
		ok(0, "a TZif file to corrupt");
		return;
	}
	setenv("TZDIR", dir, 1);
	put_file(dir, "Good", buf, n);
	ok((z = tz_get("Good")) != NULL, "TZDIR is honoured (a copy loads)");
	if (z != NULL) {
		tz_to_civil(z, 1782907200LL * 1000000, &c);	/* 2026-07-01T12:00Z */
		ok(c.hour == 8 && strcmp(c.abbr, "EDT") == 0, "and converts");
	}
	for (i = 0; i < n; i += (i < 200 ? 1 : 7)) {
		snprintf(name, sizeof(name), "Trunc/t%zu", i);
		if (i == 0)
			mkdir(strcat(strcpy(path, dir), "/Trunc"), 0700);
		put_file(dir, name, buf, i);
		refused += tz_get(name) == NULL;
	}
	ok(refused == (int)((n - 200 + 6) / 7 + 200), "every truncated file is refused (%d)", refused);
	memset(mut, 0xff, 4096);
	memcpy(mut, "TZif2", 5);
	put_file(dir, "Garbage", mut, 4096);
	ok(tz_get("Garbage") == NULL, "a header of huge counts is refused");
	for (i = 0; i < 4096; i++)
		mut[i] = (uint8_t)rnd();
	put_file(dir, "Noise", mut, 4096);
	ok(tz_get("Noise") == NULL, "random bytes are refused");
	for (k = 0; k < 300; k++) {
		memcpy(mut, buf, n);
		for (i = 0; i < 1 + rnd() % 8; i++)
			mut[rnd() % n] = (uint8_t)rnd();
		snprintf(name, sizeof(name), "Mut%d", k);
		put_file(dir, name, mut, n);
		if ((z = tz_get(name)) != NULL) {
			tz_to_civil(z, (int64_t)(rnd() % 4102444800ULL) * 1000000, &c);
			tz_from_civil(z, &c);
			tz_to_civil(z, INT64_MAX / 2, &c);
			crashfree = crashfree && c.abbr[sizeof(c.abbr) - 1] == '\0';
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		unlink(path);
	}
	ok(crashfree, "300 corrupted copies load or are refused, without a crash");
	/* a FIFO is no zone, and does not hang the lookup */
	snprintf(path, sizeof(path), "%s/Fifo", dir);
	ok(mkfifo(path, 0600) == 0 && tz_get("Fifo") == NULL, "a FIFO is refused");
	unlink(path);
	/* a missing name is remembered (no file lookup per request) among the last 16 */
	ok(tz_get("Late") == NULL, "a missing zone");
	put_file(dir, "Late", buf, n);
	ok(tz_get("Late") == NULL, "is remembered as missing");
	for (k = 0; k < 16; k++) {
		snprintf(name, sizeof(name), "Missing%d", k);
		tz_get(name);
	}
	ok(tz_get("Late") != NULL, "until 16 other names were missed");
	snprintf(path, sizeof(path), "%s/Late", dir);
	unlink(path);
	for (i = 0; i < n; i += (i < 200 ? 1 : 7)) {
		snprintf(path, sizeof(path), "%s/Trunc/t%zu", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/Trunc", dir);
	rmdir(path);
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, k == 0 ? "Good" : k == 1 ? "Garbage" : "Noise");
		unlink(path);
	}
	rmdir(dir);
	if (old != NULL)
		setenv("TZDIR", old, 1);
	else
		unsetenv("TZDIR");
}

int
main(void)
{
	const struct tz	*msk, *ny, *syd, *utc;
	struct tz_civil	 c;

	alarm(120);		/* bounded: a lookup that hangs (a FIFO) fails the test */
	ok((msk = tz_get("Europe/Moscow")) != NULL, "Europe/Moscow is known");
	ok((ny = tz_get("America/New_York")) != NULL, "America/New_York is known");
	ok((syd = tz_get("Australia/Sydney")) != NULL, "Australia/Sydney is known");
	ok((utc = tz_get("UTC")) != NULL, "UTC is known");
	ok(tz_get("Mars/Olympus") == NULL, "an unknown zone is refused");
	ok(tz_get("../../etc/passwd") == NULL, "a path is refused");
	ok(tz_get("") == NULL, "an empty name is refused");
	ok(tz_get("/usr/share/zoneinfo/UTC") == NULL, "an absolute path is refused");
	ok(tz_get("Europe/../Europe/Moscow") == NULL, "a name with .. is refused");
	ok(tz_get("Europe/") == NULL && tz_get("Europe//Moscow") == NULL,
	    "empty components are refused");
	ok(tz_get("Europe") == NULL, "a directory is not a zone");
	ok(tz_get("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/B")
	    == NULL, "an overlong name is refused");
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

	{
		char	 out[TZ_TIME_LEN];

		tz_format(msk, at("2026-12-03T06:00:00Z"), TZS_RU, out);
		is_str(out, "03.12.2026 09:00 MSK", "TZS_RU");
		tz_format(tz_get("Asia/Kathmandu"), at("2026-12-03T06:00:00Z"), TZS_ISO, out);
		is_str(out, "2026-12-03 11:45 +0545", "TZS_ISO, a zone with a numeric abbreviation");
		tz_format(ny, at("2026-03-08T07:30:00Z"), TZS_INPUT, out);
		is_str(out, "2026-03-08T03:30", "TZS_INPUT");
		tz_format(NULL, at("1969-12-31T23:59:59Z"), TZS_ISO, out);
		is_str(out, "1969-12-31 23:59 UTC", "NULL is UTC, before the epoch too");
	}

	/* beyond the file's transitions (2037 in "fat" files): the footer's rule */
	tz_to_civil(ny, at("2090-07-01T12:00:00Z"), &c);
	ok(c.hour == 8 && strcmp(c.abbr, "EDT") == 0, "2090: New York keeps EDT in summer");
	ok(local(syd, 2095, 10, 2, 2, 30) == at("2095-10-02T03:30:00+11:00"),
	    "2095: the Sydney gap by the footer rule");

	{
		static const char *const names[] = { "Europe/Moscow",
		    "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
		    "Asia/Kolkata", "Pacific/Chatham", "America/Sao_Paulo",
		    "Europe/Dublin", "UTC", "America/St_Johns" };
		size_t	 i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			compare_random(names[i], 2000);
	}
	compare_all_zones(200);
	/* a northern and a southern zone, both changes, now and after the file's last transition */
	walk("America/New_York", 2026, 3, 8, 2);
	walk("America/New_York", 2026, 11, 1, 1);
	walk("Australia/Sydney", 2026, 4, 5, 2);
	walk("Australia/Sydney", 2026, 10, 4, 2);
	walk("America/New_York", 2091, 3, 11, 2);
	walk("America/New_York", 2091, 11, 4, 1);
	walk("Australia/Sydney", 2091, 4, 1, 2);
	walk("Australia/Sydney", 2091, 10, 7, 2);
	walk("Australia/Lord_Howe", 2026, 10, 4, 2);
	walk("Europe/Dublin", 2026, 3, 29, 1);

	hostile_files();
	unsetenv("TZ");
	return tap_done();
}
