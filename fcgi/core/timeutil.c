/* timeutil: clocks and RFC 3339. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"
#include "tz.h"

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The calendar arithmetic, inline in this file's hot formatting and parsing. */
static inline int64_t
days_of(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static inline void
civil_of(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t
days_from_civil(int64_t y, int m, int d)
{
	return days_of(y, m, d);
}

void
civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	civil_of(days, y, m, d);
}

/* Writes v (0 <= v < 100) as two decimal digits. */
static void
put2(char *out, unsigned v)
{
	static const char d2[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";

	memcpy(out, d2 + 2 * v, 2);
}

/* a / b rounded down (b > 0), and *rem = a - that * b, in [0, b). */
static inline int64_t
floor_div(int64_t a, int64_t b, int64_t *rem)
{
	int64_t	 q = a / b, r = a % b;

	if (r < 0) {
		r += b;
		q--;
	}
	*rem = r;
	return q;
}

/*
 * The day and the time of day are split once with floor division; the
 * fields of the day's time and of the microseconds are then small
 * unsigned numbers, cut apart with 32-bit arithmetic.
 */
void
rfc3339_format(int64_t us, char out[RFC3339_LEN])
{
	/*
	 * The dates of the last days formatted: a page's times share a few
	 * days (creation, deadline, update; and the access line's today).
	 */
	static struct {
		int64_t	 days;
		char	 date[11];
	} dates[4] = { { INT64_MIN, "" }, { INT64_MIN, "" }, { INT64_MIN, "" },
	    { INT64_MIN, "" } };
	static unsigned next;
	int64_t	 secs, days, r;
	uint32_t rem, frac, h, mi, f1, f2;
	const char *date;
	char	*dd;
	int64_t	 y;
	int	 m, d;
	unsigned k;

	secs = floor_div(us, 1000000, &r);
	frac = (uint32_t)r;
	days = floor_div(secs, 86400, &r);
	rem = (uint32_t)r;
	for (k = 0; k < 4 && dates[k].days != days; k++)
		continue;
	if (k < 4)
		date = dates[k].date;
	else {
		civil_of(days, &y, &m, &d);
		if (y < 1 || y > 9999) {
			/* outside what rfc3339_parse accepts; clamp rather than print garbage */
			memcpy(out, y < 1 ? "0001-01-01T00:00:00.000000Z" :
			    "9999-12-31T23:59:59.999999Z", RFC3339_LEN);
			return;
		}
		k = next++ % 4;
		dd = dates[k].date;
		put2(dd, (unsigned)y / 100);
		put2(dd + 2, (unsigned)y % 100);
		dd[4] = '-';
		put2(dd + 5, (unsigned)m);
		dd[7] = '-';
		put2(dd + 8, (unsigned)d);
		dd[10] = 'T';
		dates[k].days = days;
		date = dd;
	}
	/* every field is in range here, so the text is exactly RFC3339_LEN - 1 bytes */
	h = rem / 3600;
	rem -= h * 3600;
	mi = rem / 60;
	rem -= mi * 60;
	f1 = frac / 10000;
	frac -= f1 * 10000;
	f2 = frac / 100;
	frac -= f2 * 100;
	memcpy(out, date, 11);
	put2(out + 11, h);
	out[13] = ':';
	put2(out + 14, mi);
	out[16] = ':';
	put2(out + 17, rem);
	out[19] = '.';
	put2(out + 20, f1);
	put2(out + 22, f2);
	put2(out + 24, frac);
	out[26] = 'Z';
	out[RFC3339_LEN - 1] = '\0';
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds since the epoch */
#define TIME_MIN_SECS	(-62135596800LL)
#define TIME_MAX_SECS	253402300799LL

/* Reads exactly n digits at *p; -1 if any is not a digit. */
static int
digits(const char **p, const char *end, int n)
{
	int	 v = 0;

	if (end - *p < n)
		return -1;
	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
rfc3339_parse(const char *s, size_t n, int64_t *out)
{
	return rfc3339_parse_in(s, n, NULL, out);
}

int
rfc3339_parse_in(const char *s, size_t n, const struct tz *zone, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s, *end = s + n;
	int	 y, mo, d, h, mi, sec = 0, usec = 0, scale, off = 0, sign;
	int	 have_off = 0, oh, om = 0;
	int64_t	 t;

	if ((y = digits(&p, end, 4)) < 0 || p == end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 0 || p == end || *p++ != '-' ||
	    (d = digits(&p, end, 2)) < 0)
		return -1;
	if (p == end || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if ((h = digits(&p, end, 2)) < 0 || p == end || *p++ != ':' ||
	    (mi = digits(&p, end, 2)) < 0)
		return -1;
	if (p < end && *p == ':') {
		p++;
		if ((sec = digits(&p, end, 2)) < 0)
			return -1;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			if (p == end || *p < '0' || *p > '9')
				return -1;
			for (scale = 100000; p < end && *p >= '0' && *p <= '9'; p++) {
				usec += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (p < end) {
		if (*p == 'Z' || *p == 'z') {
			p++;
			have_off = 1;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if ((oh = digits(&p, end, 2)) < 0)
				return -1;
			if (p < end && *p == ':')
				p++;
			if (p < end && (om = digits(&p, end, 2)) < 0)
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
			have_off = 1;
		}
	}
	if (p != end || y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	if (have_off || zone == NULL) {
		t = days_of(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	} else {
		struct tz_civil c;

		memset(&c, 0, sizeof(c));
		c.year = y, c.mon = mo, c.day = d, c.hour = h, c.min = mi, c.sec = sec;
		t = tz_from_civil(zone, &c) / 1000000;
	}
	/*
	 * an offset or the local zone can move the instant out of the years
	 * 0001..9999 that rfc3339_format can write: refuse it, so whatever is
	 * accepted is given back as it was sent
	 */
	if (t < TIME_MIN_SECS || t > TIME_MAX_SECS)
		return -1;
	*out = t * 1000000 + usec;
	return 0;
}
