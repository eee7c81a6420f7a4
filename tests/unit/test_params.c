/* Unit tests: declared query parameters (params_read). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "params.h"
#include "request.h"
#include "tap.h"
#include "timeutil.h"

static struct app app;
static struct req r;

enum color { RED, GREEN, BLUE };
static const char *const colors[] = { "red", "green", "light blue", NULL };
static const char *const nobody[] = { "none", NULL };
static const int nobody_values[] = { -1 };

/* A folding norm: upper-case letters refused, else the text with a mark. */
static char *
norm(struct arena *a, const char *s)
{
	char	*out;

	if (strpbrk(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL)
		return NULL;
	if ((out = arena_alloc(a, strlen(s) + 2)) == NULL)
		return NULL;
	out[0] = '~';
	memcpy(out + 1, s, strlen(s) + 1);
	return out;
}

enum { P_N, P_ID, P_WHO, P_COLOR, P_AT, P_TEXT, P_KEY, P_COUNT };
static const struct param_spec spec[P_COUNT] = {
	[P_N] = { .name = "n", .kind = PK_INT, .lo = 2, .hi = 50 },
	[P_ID] = { .name = "id", .kind = PK_ID },
	[P_WHO] = { .name = "who", .kind = PK_ID, .names = nobody, .values = nobody_values },
	[P_COLOR] = { .name = "color", .kind = PK_CHOICE, .names = colors },
	[P_AT] = { .name = "at", .kind = PK_TIME },
	[P_TEXT] = { .name = "text", .kind = PK_TEXT },
	[P_KEY] = { .name = "key", .kind = PK_TEXT, .norm = norm },
};

static struct param_val v[P_COUNT];

/* Reads qs with the n entries of sp; the number of bad values. */
static int
rd(const char *qs, const struct param_spec *sp, size_t n)
{
	req_end(&r);
	r.app = &app;
	if (req_parse_query(&r, qs) < 0)
		return -1;
	return params_read(&r, sp, n, v);
}

/* The errors recorded, as the 400 body. */
static const char *
errors(void)
{
	if (r.errors == NULL)
		return "";
	resp_errors(&r);
	return r.body_out.p;
}

int
main(void)
{
	static const struct param_spec page[] = {
		{ .name = "limit", .kind = PK_INT, .flags = PF_EMPTY | PF_BARRIER,
		    .hi = INT64_MAX, .digits = 18, .msg = "bad limit" },
		{ .name = "offset", .kind = PK_INT, .flags = PF_EMPTY | PF_BARRIER,
		    .hi = INT64_MAX, .digits = 18, .msg = "bad offset" },
	};
	static const struct param_spec later[] = {
		{ .name = "color", .kind = PK_CHOICE, .names = colors },
		{ .name = "key", .kind = PK_TEXT, .flags = PF_BARRIER, .norm = norm },
	};
	static const struct param_spec quiet[] = {
		{ .name = "n", .kind = PK_INT, .flags = PF_QUIET, .lo = 1, .hi = 9 },
		{ .name = "color", .kind = PK_CHOICE, .flags = PF_QUIET, .names = colors },
	};
	static const struct param_spec big[] = {
		{ .name = "n", .kind = PK_INT, .hi = INT64_MAX - 1 },
	};
	char	 err[256], qs[300];
	int64_t	 t;

	memset(&r, 0, sizeof(r));
	config_load(&app.cfg, NULL, err, sizeof(err));

	/* nothing given */
	is_int(rd("", spec, P_COUNT), 0, "no parameters: nothing bad");
	ok(v[P_N].state == PS_ABSENT && v[P_TEXT].state == PS_ABSENT, "all absent");
	is_str(errors(), "", "no errors");

	/* every kind, good */
	is_int(rd("n=7&id=42&who=9&color=green&at=2026-01-02T03:04:05Z&text=a%20b&key=x",
	    spec, P_COUNT), 0, "every kind good");
	ok(v[P_N].state == PS_SET && v[P_N].n == 7, "int");
	ok(v[P_ID].state == PS_SET && v[P_ID].n == 42, "id");
	ok(v[P_WHO].state == PS_SET && v[P_WHO].n == 9, "id with names: a number");
	ok(v[P_COLOR].state == PS_SET && v[P_COLOR].n == GREEN, "choice: its index");
	rfc3339_parse("2026-01-02T03:04:05Z", 20, &t);
	ok(v[P_AT].state == PS_SET && v[P_AT].n == t, "time");
	is_str(v[P_TEXT].s, "a b", "text, percent-decoded");
	is_str(v[P_KEY].s, "~x", "text through norm");
	is_str(errors(), "", "no errors");

	/* choices */
	rd("color=light+blue&who=none", spec, P_COUNT);
	ok(v[P_COLOR].state == PS_SET && v[P_COLOR].n == BLUE, "choice with '+' as a space");
	ok(v[P_WHO].state == PS_SET && v[P_WHO].n == -1, "id's other spelling: its value");
	is_int(rd("color=Red", spec, P_COUNT), 1, "a choice is exact");
	is_str(errors(), "{\"color\":[\"Select a valid choice. Red is not one of the "
	    "available choices.\"]}", "unknown choice named");
	rd("color=red%00", spec, P_COUNT);
	is_str(errors(), "{\"color\":[\"Select a valid choice. That choice is not one of "
	    "the available choices.\"]}", "a NUL byte: not named");
	rd("color=%FF", spec, P_COUNT);
	is_str(errors(), "{\"color\":[\"Select a valid choice. That choice is not one of "
	    "the available choices.\"]}", "not UTF-8: not named");
	memset(qs, 0, sizeof(qs));
	strcpy(qs, "color=");
	memset(qs + 6, 'x', 100);
	rd(qs, spec, P_COUNT);
	ok(strstr(errors(), "Select a valid choice. xxxx") != NULL, "100 bytes: named");
	qs[106] = 'x';
	rd(qs, spec, P_COUNT);
	ok(strstr(errors(), "That choice") != NULL, "101 bytes: not named");

	/* ints and their bounds */
	rd("n=2", spec, P_COUNT);
	ok(v[P_N].state == PS_SET && v[P_N].n == 2, "int at its low bound");
	rd("n=50", spec, P_COUNT);
	ok(v[P_N].state == PS_SET && v[P_N].n == 50, "int at its high bound");
	is_int(rd("n=1", spec, P_COUNT), 1, "below the bounds");
	is_str(errors(), "{\"n\":[\"A valid integer is required.\"]}", "int's message");
	is_int(rd("n=51", spec, P_COUNT), 1, "above the bounds");
	is_int(rd("n=-3", spec, P_COUNT), 1, "a sign");
	is_int(rd("n=+3", spec, P_COUNT), 1, "a plus (a space)");
	is_int(rd("n=3x", spec, P_COUNT), 1, "trailing text");
	is_int(rd("n=%203", spec, P_COUNT), 1, "leading space");
	is_int(rd("n=3%00", spec, P_COUNT), 1, "a NUL byte");
	rd("n=0000000000000000000000007", spec, P_COUNT);
	ok(v[P_N].state == PS_SET && v[P_N].n == 7, "leading zeros, any number of digits");
	is_int(rd("n=9223372036854775806", big, 1), 0, "INT64_MAX - 1 within the bounds");
	ok(v[0].n == INT64_MAX - 1, "its value");
	is_int(rd("n=9223372036854775807", big, 1), 1, "INT64_MAX above them");
	is_int(rd("n=99999999999999999999", big, 1), 1, "overflow");
	is_int(rd("n=184467440737095516160", big, 1), 1, "overflow past 2^64");

	/* ids */
	is_int(rd("id=0", spec, P_COUNT), 1, "id 0");
	is_str(errors(), "{\"id\":[\"Select a valid choice. That choice is not one of the "
	    "available choices.\"]}", "id's message");
	rd("id=9223372036854775807", spec, P_COUNT);
	ok(v[P_ID].state == PS_SET && v[P_ID].n == INT64_MAX, "the largest id");
	is_int(rd("id=9223372036854775808", spec, P_COUNT), 1, "past INT64_MAX");
	is_int(rd("id=00000000000000000001", spec, P_COUNT), 1, "more than 19 digits");
	is_int(rd("id=abc&who=nobody", spec, P_COUNT), 2, "not ids");

	/* times */
	is_int(rd("at=2026-01-02T03:04:05%2B01:00", spec, P_COUNT), 0, "escaped '+'");
	t = v[P_AT].n;
	is_int(rd("at=2026-01-02T03:04:05+01:00", spec, P_COUNT), 0,
	    "an unescaped '+' arrives as a space ...");
	ok(v[P_AT].state == PS_SET && v[P_AT].n == t, "... and is taken as '+'");
	rd("at=2026-01-02T03:04:05%2001:00", spec, P_COUNT);
	ok(v[P_AT].state == PS_SET && v[P_AT].n == t, "so is a space in the offset");
	is_int(rd("at=2026%2001-02T03:04:05Z", spec, P_COUNT), 1, "not in the date");
	rd("at=2026-01-02 03:04:05Z", spec, P_COUNT);
	ok(v[P_AT].state == PS_SET, "a space between date and time is kept");
	is_int(rd("at=yesterday", spec, P_COUNT), 1, "not a time");
	is_str(errors(), "{\"at\":[\"Enter a valid date/time.\"]}", "time's message");
	is_int(rd("at=2026-01-02T03:04:05Z%00", spec, P_COUNT), 1, "a NUL byte");

	/* texts */
	is_int(rd("text=a%00b", spec, P_COUNT), 1, "a NUL byte in a text");
	is_str(errors(), "{\"text\":[\"Enter a valid value.\"]}", "text's message");
	is_int(rd("key=ABC", spec, P_COUNT), 1, "refused by norm");
	is_str(errors(), "{\"key\":[\"Enter a valid value.\"]}", "same message");
	rd("text=%E2%82%AC", spec, P_COUNT);
	is_str(v[P_TEXT].s, "\xe2\x82\xac", "percent-decoded UTF-8");

	/* empty values */
	is_int(rd("n=&id=&who=&color=&at=&text=&key=", spec, P_COUNT), 0,
	    "empty values are absent");
	ok(v[P_N].state == PS_ABSENT && v[P_COLOR].state == PS_ABSENT &&
	    v[P_TEXT].state == PS_ABSENT, "all of them");
	is_int(rd("limit=", page, 2), 1, "PF_EMPTY: an empty value is read");
	is_str(errors(), "{\"limit\":[\"bad limit\"]}", "the entry's own message");

	/* repeated parameters: the first counts */
	rd("n=5&n=xx&color=red&color=nope", spec, P_COUNT);
	ok(v[P_N].state == PS_SET && v[P_N].n == 5, "repeated int: the first");
	ok(v[P_COLOR].state == PS_SET && v[P_COLOR].n == RED, "repeated choice: the first");
	is_int(rd("n=xx&n=5", spec, P_COUNT), 1, "a bad first value counts");

	/* several errors: in the table's order */
	is_int(rd("at=x&color=x&n=x&id=x", spec, P_COUNT), 4, "four bad");
	is_str(errors(), "{\"n\":[\"A valid integer is required.\"],"
	    "\"id\":[\"Select a valid choice. That choice is not one of the available "
	    "choices.\"],\"color\":[\"Select a valid choice. x is not one of the "
	    "available choices.\"],\"at\":[\"Enter a valid date/time.\"]}", "in order");

	/* barriers */
	is_int(rd("limit=x&offset=y", page, 2), 1, "a bad barrier ends the walk");
	is_str(errors(), "{\"limit\":[\"bad limit\"]}", "offset not read");
	ok(v[1].state == PS_ABSENT, "offset left absent");
	is_int(rd("color=x&key=ABC", later, 2), 1, "a barrier after an error ...");
	ok(v[1].state == PS_ABSENT, "... is not read");
	is_int(rd("color=red&key=ABC", later, 2), 1, "read when nothing went wrong");
	is_str(errors(), "{\"key\":[\"Enter a valid value.\"]}", "its error");

	/* quiet entries */
	is_int(rd("n=0&color=x", quiet, 2), 2, "quiet entries: bad ...");
	ok(v[0].state == PS_BAD && v[1].state == PS_BAD, "... marked bad");
	is_str(errors(), "", "... no error recorded");

	req_end(&r);
	req_free(&r);
	return tap_done();
}
