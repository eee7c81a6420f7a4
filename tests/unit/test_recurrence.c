/*
 * Unit tests: recurring deadlines (domain/recurrence.c) against the C
 * library: for many starting instants in zones of both hemispheres, every
 * unit and several steps, the occurrence must read back through
 * localtime_r as the local date and time that timegm's calendar arithmetic
 * gives -- or, where that local time does not exist (a DST gap), be it read
 * with the offset before the gap; in an overlap, the earlier instant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recurrence.h"
#include "tap.h"
#include "timeutil.h"
#include "tz.h"

#define US	INT64_C(1000000)

static int64_t
at(const char *s)
{
	int64_t	 v = 0;

	if (rfc3339_parse(s, strlen(s), &v) < 0)
		return -1;
	return v;
}

/* The C library's local time of secs in the process zone (TZ set by the caller). */
static void
libc_local(time_t secs, struct tm *tm)
{
	localtime_r(&secs, tm);
}

static int
same_wall(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon &&
	    a->tm_mday == b->tm_mday && a->tm_hour == b->tm_hour &&
	    a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/* The local date and time k * every units after start's, by timegm's calendar. */
static void
expected_wall(const struct tm *start, const struct recurrence *r, int64_t k,
    struct tm *out)
{
	struct tm t = *start, last;
	time_t	 g;
	int	 steps = (int)(k * r->every), dim;

	t.tm_isdst = 0;
	switch (r->unit) {
	case RU_DAY:
	case RU_WEEK:
		t.tm_mday += steps * (r->unit == RU_WEEK ? 7 : 1);
		g = timegm(&t);
		gmtime_r(&g, out);
		return;
	case RU_MONTH:
		t.tm_mon += steps;
		break;
	default:
		t.tm_year += steps;
		break;
	}
	t.tm_mday = 1;
	g = timegm(&t);
	gmtime_r(&g, out);
	/* day 0 of the next month is the last of this one */
	last = *out;
	last.tm_mon++;
	last.tm_mday = 0;
	g = timegm(&last);
	gmtime_r(&g, &last);
	dim = last.tm_mday;
	out->tm_mday = start->tm_mday < dim ? start->tm_mday : dim;
	out->tm_hour = start->tm_hour;
	out->tm_min = start->tm_min;
	out->tm_sec = start->tm_sec;
}

struct tally {
	int	 checked, wrong, gaps, overlaps;
};

/* Checks occurrence k of r from the instant s in zone z (TZ is z's name). */
static void
check_one(const struct tz *z, const struct recurrence *r, int64_t s, int64_t k,
    struct tally *t)
{
	struct tm start, want, got, before;
	int64_t	 occ, naive;
	time_t	 secs;

	libc_local((time_t)(s / US), &start);
	expected_wall(&start, r, k, &want);
	occ = rec_occurrence(z, r, rec_anchor(z, s), k);
	t->checked++;
	secs = (time_t)(occ / US);
	libc_local(secs, &got);
	if (same_wall(&got, &want)) {
		/* the earliest instant of that local time */
		libc_local(secs - 3600, &before);
		if (same_wall(&before, &want))
			t->wrong++;
		libc_local(secs - 1800, &before);
		if (same_wall(&before, &want))
			t->wrong++;
		libc_local(secs + 3600, &before);
		if (same_wall(&before, &want))
			t->overlaps++;
		return;
	}
	/* a gap: the local time read with the offset in force a day before */
	want.tm_isdst = 0;
	naive = (int64_t)timegm(&want);
	libc_local((time_t)(naive - 86400), &before);
	if (occ / US != naive - before.tm_gmtoff || occ % US != s % US) {
		if (t->wrong++ < 5)
			printf("#   k=%lld every %d %s from %lld: got %lld\n", (long long)k,
			    r->every, rec_unit_names[r->unit], (long long)(s / US),
			    (long long)(occ / US));
	} else
		t->gaps++;
}

/* Walks starting instants from first, step apart, through every unit. */
static void
sweep(const char *zone, int64_t first, int64_t step, int n, struct tally *t)
{
	static const int everys[] = { 1, 2, 3 };
	const struct tz *z = tz_get(zone);
	struct recurrence r = { 1, RU_DAY, RF_DEADLINE, TIME_NULL };
	int64_t	 s, k;
	int	 i, u, e;

	setenv("TZ", zone, 1);
	tzset();
	for (i = 0; i < n; i++) {
		s = first + i * step;
		for (u = RU_DAY; u <= RU_YEAR; u++)
			for (e = 0; e < 3; e++) {
				r.unit = u;
				r.every = everys[e];
				for (k = 1; k <= 3; k++)
					check_one(z, &r, s, k, t);
			}
	}
}

/* rec_next_after against walking every occurrence. */
static int
next_after_walk(const struct tz *z, const struct recurrence *r, int64_t anchor,
    int64_t after)
{
	int64_t	 k, t;

	for (k = 1; k < 100000; k++)
		if ((t = rec_occurrence(z, r, anchor, k)) > after)
			return rec_next_after(z, r, anchor, after) == t;
	return 0;
}

/* Formats an instant in UTC for the messages. */
static const char *
fmt(int64_t us, char buf[RFC3339_LEN])
{
	if (us == TIME_NULL)
		return "null";
	rfc3339_format(us, buf);
	return buf;
}

int
main(void)
{
	const struct tz *ny = tz_get("America/New_York"), *syd = tz_get("Australia/Sydney");
	const struct tz *msk = tz_get("Europe/Moscow"), *utc = tz_get("UTC");
	struct recurrence r = { 1, RU_MONTH, RF_DEADLINE, TIME_NULL };
	struct tally t;
	char	 b[RFC3339_LEN];
	int64_t	 a, d, n;
	int	 i, bad;

	ok(ny && syd && msk && utc, "the zones are known");
	ok(rec_unit_of("week") == RU_WEEK && rec_unit_of("hour") == -1 &&
	    rec_from_of("completion") == RF_COMPLETION, "names");

	/* many instants, both hemispheres, every unit, against the C library */
	memset(&t, 0, sizeof(t));
	sweep("America/New_York", at("2025-10-30T05:37:11.250000Z"), 7 * 3600 * US + 13 * 60 * US,
	    170, &t);
	sweep("Australia/Sydney", at("2026-03-30T14:37:11Z"), 7 * 3600 * US + 13 * 60 * US,
	    170, &t);
	sweep("Europe/Moscow", at("2010-10-26T20:10:00Z"), 11 * 3600 * US, 40, &t);
	sweep("UTC", at("2023-12-28T23:30:00Z"), 13 * 86400 * US, 40, &t);
	printf("# %d occurrences checked, %d in gaps, %d in overlaps\n", t.checked,
	    t.gaps, t.overlaps);
	ok(t.wrong == 0, "every occurrence is the C library's local time (%d wrong)", t.wrong);
	ok(t.gaps > 0 && t.overlaps > 0, "the walk met DST gaps and overlaps");
	setenv("TZ", "UTC", 1);
	tzset();

	/* every 1 day keeps 09:00 local across both changes, both hemispheres */
	r.unit = RU_DAY;
	a = rec_anchor(ny, at("2026-03-07T09:00:00-05:00"));
	is_str(fmt(rec_occurrence(ny, &r, a, 1), b), "2026-03-08T13:00:00.000000Z",
	    "New York: 09:00 EST + 1 day is 09:00 EDT");
	a = rec_anchor(ny, at("2026-10-31T09:00:00-04:00"));
	is_str(fmt(rec_occurrence(ny, &r, a, 1), b), "2026-11-01T14:00:00.000000Z",
	    "New York: 09:00 EDT + 1 day is 09:00 EST");
	a = rec_anchor(syd, at("2026-04-04T09:00:00+11:00"));
	is_str(fmt(rec_occurrence(syd, &r, a, 1), b), "2026-04-04T23:00:00.000000Z",
	    "Sydney: 09:00 AEDT + 1 day is 09:00 AEST");
	a = rec_anchor(syd, at("2026-10-03T09:00:00+10:00"));
	is_str(fmt(rec_occurrence(syd, &r, a, 1), b), "2026-10-03T22:00:00.000000Z",
	    "Sydney: 09:00 AEST + 1 day is 09:00 AEDT");
	/* 02:30 on the spring-forward night, then 02:30 again the night after */
	a = rec_anchor(ny, at("2026-03-07T02:30:00-05:00"));
	is_str(fmt(rec_occurrence(ny, &r, a, 1), b), "2026-03-08T07:30:00.000000Z",
	    "02:30 in the gap is read as 03:30 EDT");
	is_str(fmt(rec_occurrence(ny, &r, a, 2), b), "2026-03-09T06:30:00.000000Z",
	    "and the anchor keeps 02:30 the night after");
	/* 01:30 on the fall-back night: the first of the two */
	a = rec_anchor(ny, at("2026-10-31T01:30:00-04:00"));
	is_str(fmt(rec_occurrence(ny, &r, a, 1), b), "2026-11-01T05:30:00.000000Z",
	    "01:30 in the overlap is its first instant (EDT)");

	/* month ends: the 31st is kept as the anchor */
	r.unit = RU_MONTH;
	a = rec_anchor(msk, at("2027-01-31T09:00:00+03:00"));
	is_str(fmt(rec_occurrence(msk, &r, a, 1), b), "2027-02-28T06:00:00.000000Z",
	    "31 January + 1 month = 28 February");
	is_str(fmt(rec_occurrence(msk, &r, a, 2), b), "2027-03-31T06:00:00.000000Z",
	    "+ 2 months = 31 March (the anchor, not the 28th)");
	is_str(fmt(rec_occurrence(msk, &r, a, 3), b), "2027-04-30T06:00:00.000000Z",
	    "+ 3 months = 30 April");
	a = rec_anchor(msk, at("2028-01-31T09:00:00+03:00"));
	is_str(fmt(rec_occurrence(msk, &r, a, 1), b), "2028-02-29T06:00:00.000000Z",
	    "in a leap year: 29 February");
	r.every = 13;
	a = rec_anchor(utc, at("2026-12-31T00:00:00Z"));
	is_str(fmt(rec_occurrence(utc, &r, a, 1), b), "2028-01-31T00:00:00.000000Z",
	    "every 13 months crosses the year");
	/* leap days, yearly */
	r.every = 1;
	r.unit = RU_YEAR;
	a = rec_anchor(utc, at("2024-02-29T12:00:00Z"));
	is_str(fmt(rec_occurrence(utc, &r, a, 1), b), "2025-02-28T12:00:00.000000Z",
	    "29 February + 1 year = 28 February");
	is_str(fmt(rec_occurrence(utc, &r, a, 4), b), "2028-02-29T12:00:00.000000Z",
	    "+ 4 years = 29 February again");
	r.every = 100;
	is_str(fmt(rec_occurrence(utc, &r, a, 1), b), "2124-02-29T12:00:00.000000Z",
	    "+ 100 years: 2124 is a leap year");
	r.every = 1000;
	ok(rec_occurrence(utc, &r, rec_anchor(utc, at("9000-01-01T00:00:00Z")), 1) == TIME_NULL,
	    "past the year 9999: none");
	/* weeks */
	r.every = 2;
	r.unit = RU_WEEK;
	a = rec_anchor(ny, at("2026-02-27T18:00:00-05:00"));
	is_str(fmt(rec_occurrence(ny, &r, a, 1), b), "2026-03-13T22:00:00.000000Z",
	    "every 2 weeks across the change keeps 18:00 local");

	/* rec_next_after: the same as walking the occurrences */
	bad = 0;
	for (i = 0; i < 60; i++) {
		struct recurrence q = { 1 + i % 5, i % 4, RF_DEADLINE, TIME_NULL };

		d = at("2019-01-31T08:15:00Z") + (int64_t)i * 9 * 86400 * US;
		n = at("2026-12-03T06:00:00Z") + (int64_t)i * 3 * 3600 * US;
		if (!next_after_walk(i % 2 ? ny : syd, &q, rec_anchor(i % 2 ? ny : syd, d), n))
			bad++;
	}
	ok(bad == 0, "rec_next_after jumps to the first later occurrence (%d wrong)", bad);

	/* rec_next: from the deadline, repeated until the future */
	r.every = 1;
	r.unit = RU_DAY;
	d = at("2026-11-20T09:00:00-05:00");
	is_str(fmt(rec_next(ny, &r, rec_anchor(ny, d), d, at("2026-12-03T16:00:00Z")), b),
	    "2026-12-04T14:00:00.000000Z", "from an old deadline: the first one ahead");
	is_str(fmt(rec_next(ny, &r, rec_anchor(ny, d), d, at("2026-11-10T00:00:00Z")), b),
	    "2026-11-21T14:00:00.000000Z", "completed early: one step from the deadline");
	/* from the completion */
	r.from = RF_COMPLETION;
	r.unit = RU_MONTH;
	is_str(fmt(rec_next(syd, &r, rec_anchor(syd, d), d, at("2027-01-31T01:00:00+11:00")), b),
	    "2027-02-27T14:00:00.000000Z", "from the completion (31 January 01:00 AEDT): 28 February 01:00");
	r.unit = RU_DAY;
	r.every = 3;
	is_str(fmt(rec_next(ny, &r, 0, d, at("2026-03-06T12:34:56.5-05:00")), b),
	    "2026-03-09T16:34:56.500000Z", "3 days after a completion, across the change");
	/* until */
	r.from = RF_DEADLINE;
	r.every = 1;
	r.until = at("2026-11-21T14:00:00Z");
	ok(rec_next(ny, &r, rec_anchor(ny, d), d, d - 3600 * US) == at("2026-11-21T14:00:00Z"),
	    "a next deadline equal to until is kept");
	r.until -= 1;
	ok(rec_next(ny, &r, rec_anchor(ny, d), d, d - 3600 * US) == TIME_NULL,
	    "past until: none");
	r.every = 0;
	ok(rec_next(ny, &r, 0, d, d) == TIME_NULL, "not recurring: none");
	return tap_done();
}
