/*
 * tz: time zones by IANA name, read from the system's TZif files (RFC 8536).
 *
 * A zone is read once, on its first tz_get, into a process-wide table that
 * is never freed: its transitions (64-bit, version 2 and later), its local
 * time types and abbreviations, and the POSIX TZ string of the file's footer,
 * which gives the offset of instants after the last transition.  Files are
 * found under $TZDIR, else /usr/share/zoneinfo.  Not thread-safe (one thread).
 *
 * Every count and size is checked against fixed limits before anything is
 * allocated, and a file that breaks a rule of the format is refused: a
 * truncated or hostile file makes tz_get return NULL, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timeutil.h"
#include "tz.h"

#define TZ_NAME_MAX	64		/* longest name accepted, NUL included */
#define TZ_SLOTS	1024		/* hash table slots (more than tzdata's ~600 zones) */
#define TZ_MAX_ZONES	768		/* zones loaded at most; then tz_get refuses new ones */
#define TZ_FILE_MAX	(256 * 1024)	/* largest TZif file read */
#define TZ_MAX_TIMES	4096		/* transitions */
#define TZ_MAX_TYPES	256		/* local time types (indexes are bytes) */
#define TZ_MAX_CHARS	512		/* abbreviation bytes */
#define TZ_MAX_LEAPS	64		/* leap second records (skipped) */
#define TZ_OFF_MAX	(25 * 3600)	/* |UT offset| accepted */

struct tz_type {
	int32_t	 off;			/* seconds east of UTC */
	uint8_t	 isdst;
	char	 abbr[16];
};

/* A POSIX TZ rule date: Jn, n or Mm.w.d, and the local time of the change. */
struct tz_rdate {
	char	 kind;			/* 'J', 'D' (zero-based day), 'M' */
	int	 day, mon, week, wday;
	int32_t	 time;			/* seconds after local midnight (-167h..167h) */
};

struct tz_rule {
	int		 present;	/* a footer TZ string was read */
	int		 has_dst;
	struct tz_type	 std, dst;
	struct tz_rdate	 start, end;
};

struct tz {
	char		 name[TZ_NAME_MAX];
	uint32_t	 ntimes, ntypes;
	int64_t		*times;		/* ascending transition instants (seconds) */
	uint8_t		*idx;		/* type index after each transition */
	struct tz_type	*types;
	struct tz_rule	 rule;
};

static struct tz	*slots[TZ_SLOTS];
static int		 nzones;

/*
 * The last names that were not found, so that a stored name the system no
 * longer knows costs no file lookup per request; a ring, so names sent by
 * clients cannot fill it up for good.
 */
#define TZ_MISSING	16
static char		 missing[TZ_MISSING][TZ_NAME_MAX];
static unsigned		 nmissing;

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/*
 * A name is letters, digits, '_', '-', '+' and '/' between components; no
 * leading '/', no empty component, no component starting with '.', shorter
 * than TZ_NAME_MAX.
 */
static int
tz_name_ok(const char *name)
{
	const char	*p;
	size_t		 n;

	if (name == NULL || (n = strlen(name)) == 0 || n >= TZ_NAME_MAX)
		return 0;
	if (name[0] == '/' || name[n - 1] == '/' || strstr(name, "//") != NULL)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		    *p == '-' || *p == '+'))
			return 0;
	return 1;
}

/* ---- TZif ---- */

struct rd {
	const uint8_t	*p, *end;
};

static int
rd_take(struct rd *r, size_t n, const uint8_t **out)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	*out = r->p;
	r->p += n;
	return 0;
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int64_t
be64(const uint8_t *b)
{
	return (int64_t)((uint64_t)be32(b) << 32 | be32(b + 4));
}

struct tzif_hdr {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
	int	 version;
};

static int
read_header(struct rd *r, struct tzif_hdr *h)
{
	const uint8_t *b;

	if (rd_take(r, 44, &b) < 0 || memcmp(b, "TZif", 4) != 0)
		return -1;
	h->version = b[4];
	h->isutcnt = be32(b + 20);
	h->isstdcnt = be32(b + 24);
	h->leapcnt = be32(b + 28);
	h->timecnt = be32(b + 32);
	h->typecnt = be32(b + 36);
	h->charcnt = be32(b + 40);
	if (h->timecnt > TZ_MAX_TIMES || h->typecnt == 0 ||
	    h->typecnt > TZ_MAX_TYPES || h->charcnt == 0 ||
	    h->charcnt > TZ_MAX_CHARS || h->leapcnt > TZ_MAX_LEAPS ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return -1;
	return 0;
}

/* ---- POSIX TZ strings (the footer) ---- */

/* An abbreviation: 3+ letters, or <...> of letters, digits, '+', '-'. */
static int
p_abbr(const char **sp, char out[16])
{
	const char	*s = *sp, *b;
	size_t		 n;

	if (*s == '<') {
		for (b = ++s; *s && *s != '>'; s++)
			if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			    (*s >= '0' && *s <= '9') || *s == '+' || *s == '-'))
				return -1;
		if (*s != '>')
			return -1;
		n = (size_t)(s - b);
		s++;
	} else {
		for (b = s; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
			continue;
		n = (size_t)(s - b);
	}
	if (n < 3 || n > 15)
		return -1;
	memcpy(out, b, n);
	out[n] = '\0';
	*sp = s;
	return 0;
}

static int
p_num(const char **sp, int lo, int hi, int *out)
{
	const char	*s = *sp;
	int		 v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > hi)
			return -1;
	}
	if (v < lo)
		return -1;
	*out = v;
	*sp = s;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh, in seconds. */
static int
p_hms(const char **sp, int maxh, int32_t *out)
{
	const char	*s = *sp;
	int		 sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (p_num(&s, 0, maxh, &h) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (p_num(&s, 0, 59, &m) < 0)
			return -1;
		if (*s == ':') {
			s++;
			if (p_num(&s, 0, 59, &sec) < 0)
				return -1;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	*sp = s;
	return 0;
}

static int
p_rdate(const char **sp, struct tz_rdate *d)
{
	const char	*s = *sp;

	memset(d, 0, sizeof(*d));
	if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (p_num(&s, 1, 365, &d->day) < 0)
			return -1;
	} else if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (p_num(&s, 1, 12, &d->mon) < 0 || *s++ != '.' ||
		    p_num(&s, 1, 5, &d->week) < 0 || *s++ != '.' ||
		    p_num(&s, 0, 6, &d->wday) < 0)
			return -1;
	} else {
		d->kind = 'D';
		if (p_num(&s, 0, 365, &d->day) < 0)
			return -1;
	}
	d->time = 2 * 3600;
	if (*s == '/') {
		s++;
		if (p_hms(&s, 167, &d->time) < 0)
			return -1;
	}
	*sp = s;
	return 0;
}

/* Parses a TZ string (RFC 8536 section 3.3, with its extensions); -1 if bad. */
static int
p_rule(const char *s, struct tz_rule *r)
{
	int32_t	 off;

	memset(r, 0, sizeof(*r));
	if (*s == '\0')		/* no rule: the last type goes on forever */
		return 0;
	if (p_abbr(&s, r->std.abbr) < 0 || p_hms(&s, 24, &off) < 0)
		return -1;
	r->std.off = -off;	/* POSIX offsets count west */
	r->present = 1;
	if (*s == '\0')
		return 0;
	r->has_dst = 1;
	r->dst.isdst = 1;
	if (p_abbr(&s, r->dst.abbr) < 0)
		return -1;
	r->dst.off = r->std.off + 3600;
	if (*s != ',' && *s != '\0') {
		if (p_hms(&s, 24, &off) < 0)
			return -1;
		r->dst.off = -off;
	}
	/* a TZif footer with DST always carries its rule */
	if (*s++ != ',' || p_rdate(&s, &r->start) < 0 || *s++ != ',' ||
	    p_rdate(&s, &r->end) < 0 || *s != '\0')
		return -1;
	return 0;
}

static void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->times);
	free(z->idx);
	free(z->types);
	free(z);
}

/* Parses a whole TZif file of n bytes (version 2 or later) into z. */
static int
tzif_parse(struct tz *z, const uint8_t *buf, size_t n)
{
	struct rd	 r = { buf, buf + n };
	struct tzif_hdr	 h;
	const uint8_t	*b, *t, *ix, *ty, *ch, *nl;
	char		 footer[128];
	size_t		 skip;
	uint32_t	 i;

	/* the version 1 block comes first: skip it */
	if (read_header(&r, &h) < 0 || h.version < '2')
		return -1;
	skip = (size_t)h.timecnt * 5 + (size_t)h.typecnt * 6 + h.charcnt +
	    (size_t)h.leapcnt * 8 + h.isstdcnt + h.isutcnt;
	if (rd_take(&r, skip, &b) < 0 || read_header(&r, &h) < 0)
		return -1;
	/* leap seconds would make instants differ from POSIX time: "right/" zones */
	if (h.leapcnt != 0)
		return -1;
	if (rd_take(&r, (size_t)h.timecnt * 8, &t) < 0 ||
	    rd_take(&r, h.timecnt, &ix) < 0 ||
	    rd_take(&r, (size_t)h.typecnt * 6, &ty) < 0 ||
	    rd_take(&r, h.charcnt, &ch) < 0 ||
	    rd_take(&r, (size_t)h.isstdcnt + h.isutcnt, &b) < 0)
		return -1;
	/* the footer: "\nTZ string\n" */
	if (rd_take(&r, 1, &b) < 0 || *b != '\n')
		return -1;
	nl = memchr(r.p, '\n', (size_t)(r.end - r.p));
	if (nl == NULL || (size_t)(nl - r.p) >= sizeof(footer))
		return -1;
	memcpy(footer, r.p, (size_t)(nl - r.p));
	footer[nl - r.p] = '\0';
	if (memchr(footer, '\0', (size_t)(nl - r.p)) != NULL ||
	    p_rule(footer, &z->rule) < 0)
		return -1;

	z->ntimes = h.timecnt;
	z->ntypes = h.typecnt;
	if ((z->times = calloc(h.timecnt + 1, sizeof(*z->times))) == NULL ||
	    (z->idx = calloc(h.timecnt + 1, 1)) == NULL ||
	    (z->types = calloc(h.typecnt, sizeof(*z->types))) == NULL)
		return -1;
	for (i = 0; i < h.timecnt; i++) {
		z->times[i] = be64(t + 8 * i);
		if (i > 0 && z->times[i] <= z->times[i - 1])
			return -1;
		if ((z->idx[i] = ix[i]) >= h.typecnt)
			return -1;
	}
	for (i = 0; i < h.typecnt; i++) {
		const uint8_t	*e = ty + 6 * i;
		const char	*a;
		size_t		 len;
		int32_t		 off = (int32_t)be32(e);

		if (off < -TZ_OFF_MAX || off > TZ_OFF_MAX || e[4] > 1 ||
		    e[5] >= h.charcnt)
			return -1;
		a = (const char *)ch + e[5];
		len = strnlen(a, h.charcnt - e[5]);
		if (len == h.charcnt - e[5])	/* not NUL-terminated */
			return -1;
		z->types[i].off = off;
		z->types[i].isdst = e[4];
		snprintf(z->types[i].abbr, sizeof(z->types[i].abbr), "%.*s",
		    (int)len, a);
	}
	return 0;
}

/* Reads dir/name whole into a new buffer of *n bytes; NULL if missing or too big. */
static uint8_t *
read_zone_file(const char *name, size_t *n)
{
	const char	*dir = getenv("TZDIR");
	char		 path[512];
	struct stat	 st;
	uint8_t		*buf;
	size_t		 got = 0;
	ssize_t		 k;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return NULL;
	/* O_NONBLOCK: a FIFO put in the zone folder must not hang the open */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 44 ||
	    st.st_size > TZ_FILE_MAX || (buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	*n = got;
	return buf;
}

const struct tz *
tz_get(const char *name)
{
	struct tz	*z;
	uint8_t		*buf;
	size_t		 n = 0;
	uint32_t	 h, i;

	if (!tz_name_ok(name))
		return NULL;
	h = name_hash(name);
	for (i = 0; i < TZ_SLOTS; i++) {
		z = slots[(h + i) % TZ_SLOTS];
		if (z == NULL)
			break;
		if (strcmp(z->name, name) == 0)
			return z;
	}
	for (i = 0; i < TZ_MISSING; i++)
		if (strcmp(missing[i], name) == 0)
			return NULL;
	if (nzones >= TZ_MAX_ZONES || (z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	snprintf(z->name, sizeof(z->name), "%s", name);
	if ((buf = read_zone_file(name, &n)) == NULL && strcmp(name, "UTC") == 0) {
		/* UTC needs no file (a system without tzdata still has it) */
		if ((z->types = calloc(1, sizeof(*z->types))) == NULL) {
			tz_free(z);
			return NULL;
		}
		snprintf(z->types[0].abbr, sizeof(z->types[0].abbr), "UTC");
		z->ntypes = 1;
	} else if (buf == NULL || tzif_parse(z, buf, n) < 0) {
		free(buf);
		tz_free(z);
		snprintf(missing[nmissing++ % TZ_MISSING], TZ_NAME_MAX, "%s", name);
		return NULL;
	} else
		free(buf);
	/* TZ_MAX_ZONES < TZ_SLOTS: there is a free slot */
	for (i = 0; slots[(h + i) % TZ_SLOTS] != NULL; i++)
		continue;
	slots[(h + i) % TZ_SLOTS] = z;
	nzones++;
	return z;
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* ---- arithmetic ---- */

static int64_t
floor_div64(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local day (days since the epoch) a rule date falls on in year y. */
static int64_t
rdate_day(const struct tz_rdate *d, int64_t y)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t	 jan1 = days_from_civil(y, 1, 1), first;
	int	 wd, dim, day;

	switch (d->kind) {
	case 'J':	/* 1..365, February 29 never counted */
		return jan1 + d->day - 1 + (is_leap(y) && d->day >= 60);
	case 'D':	/* 0..365 */
		return jan1 + d->day;
	default:	/* Mm.w.d: the w-th weekday d of month m (5: the last) */
		first = days_from_civil(y, d->mon, 1);
		wd = (int)((first % 7 + 7 + 4) % 7);	/* 1970-01-01 was a Thursday */
		day = 1 + (d->wday - wd + 7) % 7 + 7 * (d->week - 1);
		dim = mdays[d->mon - 1] + (d->mon == 2 && is_leap(y));
		while (day > dim)
			day -= 7;
		return first + day - 1;
	}
}

/* The type in force at t by the footer rule. */
static const struct tz_type *
rule_type(const struct tz_rule *r, int64_t t)
{
	int64_t	 y, start, end;
	int	 m, d;

	if (!r->has_dst)
		return &r->std;
	civil_from_days(floor_div64(t + r->std.off, 86400), &y, &m, &d);
	/* DST starts at a local standard time and ends at a local DST time */
	start = rdate_day(&r->start, y) * 86400 + r->start.time - r->std.off;
	end = rdate_day(&r->end, y) * 86400 + r->end.time - r->dst.off;
	if (start < end)	/* northern: DST inside the year */
		return t >= start && t < end ? &r->dst : &r->std;
	return t >= end && t < start ? &r->std : &r->dst;
}

/* The type in force at the instant t (seconds). */
static const struct tz_type *
type_at(const struct tz *z, int64_t t)
{
	uint32_t lo, hi, mid;

	if (z->ntimes == 0 || t < z->times[0]) {
		if (z->ntimes == 0 && z->rule.present)
			return rule_type(&z->rule, t);
		return &z->types[0];
	}
	if (t >= z->times[z->ntimes - 1]) {
		if (z->rule.present)
			return rule_type(&z->rule, t);
		return &z->types[z->idx[z->ntimes - 1]];
	}
	/* times[lo] <= t < times[hi] */
	lo = 0;
	hi = z->ntimes - 1;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return &z->types[z->idx[lo]];
}

void
tz_to_civil(const struct tz *z, int64_t us, struct tz_civil *out)
{
	const struct tz_type *ty;
	int64_t	 secs = floor_div64(us, 1000000), local, days, rem, y;

	ty = type_at(z, secs);
	local = secs + ty->off;
	days = floor_div64(local, 86400);
	rem = local - days * 86400;
	civil_from_days(days, &y, &out->mon, &out->day);
	out->year = (int)y;
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem / 60 % 60);
	out->sec = (int)(rem % 60);
	out->usec = (int)(us - secs * 1000000);
	out->wday = (int)((days % 7 + 7 + 4) % 7);
	out->utc_offset = ty->off;
	memcpy(out->abbr, ty->abbr, sizeof(out->abbr));
}

int64_t
tz_from_civil(const struct tz *z, const struct tz_civil *c)
{
	int64_t	 naive, ta, tb;
	int	 oa, ob, va, vb;

	naive = days_from_civil(c->year, c->mon, c->day) * 86400 +
	    c->hour * 3600 + c->min * 60 + c->sec;
	/* zones change offset at most once a day: the offsets either side */
	oa = type_at(z, naive - 86400)->off;
	ob = type_at(z, naive + 86400)->off;
	ta = naive - oa;
	tb = naive - ob;
	va = type_at(z, ta)->off == oa;
	vb = type_at(z, tb)->off == ob;
	if (va && vb)		/* an overlap (or no change): the first instant */
		return (ta < tb ? ta : tb) * 1000000 + c->usec;
	if (vb && !va)
		return tb * 1000000 + c->usec;
	/* valid before, or a gap: read with the offset before it */
	return ta * 1000000 + c->usec;
}

void
tz_format(const struct tz *z, int64_t us, enum tz_style style, char out[TZ_TIME_LEN])
{
	struct tz_civil	 c;
	char		 zone[20];
	int		 off;

	static struct tz_type utc_type = { .abbr = "UTC" };
	static const struct tz utc = { .name = "UTC", .ntypes = 1, .types = &utc_type };

	tz_to_civil(z != NULL ? z : &utc, us, &c);
	if (c.abbr[0] != '\0')
		snprintf(zone, sizeof(zone), "%s", c.abbr);
	else {
		off = c.utc_offset < 0 ? -c.utc_offset : c.utc_offset;
		snprintf(zone, sizeof(zone), "%c%02d%02d", c.utc_offset < 0 ? '-' : '+',
		    off / 3600 % 100, off / 60 % 60);
	}
	switch (style) {
	case TZS_RU:
		snprintf(out, TZ_TIME_LEN, "%02d.%02d.%04d %02d:%02d %s", c.day, c.mon,
		    c.year, c.hour, c.min, zone);
		break;
	case TZS_INPUT:
		snprintf(out, TZ_TIME_LEN, "%04d-%02d-%02dT%02d:%02d", c.year, c.mon,
		    c.day, c.hour, c.min);
		break;
	default:
		snprintf(out, TZ_TIME_LEN, "%04d-%02d-%02d %02d:%02d %s", c.year, c.mon,
		    c.day, c.hour, c.min, zone);
		break;
	}
}
