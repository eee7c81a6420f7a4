/* Unit tests: JSON body parsing, typed field readers and their DRF messages. */
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "request.h"
#include "tap.h"
#include "timeutil.h"

static int
parse(struct req *r, const char *body)
{
	req_end(r);
	r->body = (char *)body;
	r->body_len = strlen(body);
	return json_parse_body(r);
}

/* utf8_strip of s as a NUL-terminated copy in out. */
static const char *
strip(const char *s, char *out, size_t len)
{
	size_t	 n;
	const char *p = utf8_strip(s, strlen(s), &n);

	snprintf(out, len, "%.*s", (int)n, p);
	return out;
}

/*
 * utf8_strip against Python's str.isspace(): every code point of the Basic
 * Multilingual Plane, alone and around a word, is stripped exactly when it
 * is one of Python's 29 whitespace characters.
 */
static void
test_strip(void)
{
	static const unsigned spaces[] = {
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0,
		0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
		0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
	};
	char	 in[32], out[32], c[4];
	unsigned cp, wrong = 0, stripped = 0;
	size_t	 k, i, n;
	int	 space;

	for (cp = 1; cp < 0x10000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			c[0] = (char)cp;
			k = 1;
		} else if (cp < 0x800) {
			c[0] = (char)(0xc0 | cp >> 6);
			c[1] = (char)(0x80 | (cp & 0x3f));
			k = 2;
		} else {
			c[0] = (char)(0xe0 | cp >> 12);
			c[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			c[2] = (char)(0x80 | (cp & 0x3f));
			k = 3;
		}
		for (space = 0, i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++)
			space |= spaces[i] == cp;
		/* alone, then before and after a word */
		utf8_strip(c, k, &n);
		snprintf(in, sizeof(in), "%.*sw%.*s", (int)k, c, (int)k, c);
		strip(in, out, sizeof(out));
		if ((n == 0) != space || (strcmp(out, "w") == 0) != space)
			wrong++;
		stripped += space;
	}
	is_int(wrong, 0, "the BMP's code points: stripped exactly when Python's isspace()");
	is_int(stripped, 29, "the 29 whitespace characters");
	is_str(strip(" \t\xe3\x80\x80" "a b\xc2\xa0\n", out, sizeof(out)), "a b",
	    "runs of mixed spaces at both ends, inner ones kept");
	is_str(strip("\xe2\x80\x8bx\xef\xbb\xbf", out, sizeof(out)), "\xe2\x80\x8bx\xef\xbb\xbf",
	    "zero-width space and BOM are not whitespace");
	is_str(strip("   ", out, sizeof(out)), "", "only spaces");
	is_str(strip("", out, sizeof(out)), "", "empty");
	is_str(strip("\xe2\x80", out, sizeof(out)), "\xe2\x80", "a cut sequence is kept");
	is_str(strip("\x80\xa0 ", out, sizeof(out)), "\x80\xa0", "a stray continuation is kept");
	is_str(strip("x\xe2\x80" "A", out, sizeof(out)), "x\xe2\x80" "A",
	    "a cut sequence before a letter is kept whole");
}

static char *
errors(struct req *r)
{
	static char out[1024];
	char	*s;

	if (r->errors == NULL)
		return "";
	s = cJSON_PrintUnformatted(r->errors);
	snprintf(out, sizeof(out), "%s", s);
	cJSON_free(s);
	return out;
}

int
main(void)
{
	struct req r;
	const char *s;
	int64_t	 i;
	int	 b, c;
	static const char *const choices[] = { "Pending", "In Progress", NULL };

	memset(&r, 0, sizeof(r));
	is_int(parse(&r, "{\"a\": 1}"), 0, "object parses");
	is_int(parse(&r, ""), 0, "empty body is an empty object");
	ok(cJSON_IsObject(r.json), "empty object");
	is_int(parse(&r, "[1]"), 400, "array refused");
	ok(strstr(r.body_out.p, "JSON parse error - ") != NULL, "parse error message");
	is_int(parse(&r, "{\"a\": "), 400, "truncated refused");
	is_int(parse(&r, "{} {}"), 400, "trailing data refused");
	is_int(parse(&r, "{\"a\": \"x\\u0000y\"}"), 400, "NUL escape refused");
	is_int(parse(&r, "{\"a\": \"x\\\\u0000y\"}"), 0, "escaped backslash before u0000 is fine");
	/* found by test_hostile: a raw NUL cut the value ("ab\0cd" was stored as "ab") */
	req_end(&r);
	r.body = "{\"a\": \"ab\0cd\"}";
	r.body_len = 15;
	is_int(json_parse_body(&r), 400, "raw NUL in a string refused");
	is_str(r.body_out.p, "{\"detail\":\"JSON parse error - Invalid control character "
	    "at: line 1 column 10 (char 9)\"}", "raw NUL message");
	req_end(&r);
	r.body = "{\"a\": 1}\0";
	r.body_len = 9;
	is_int(json_parse_body(&r), 400, "raw NUL after the object refused");
	is_int(parse(&r, "{\n\"a\": \"x\001y\"}"), 400, "raw control character in a string");
	is_str(r.body_out.p, "{\"detail\":\"JSON parse error - Invalid control character "
	    "at: line 2 column 8 (char 9)\"}", "control character message counts lines");
	is_int(parse(&r, "{\"a\":\t\r\n \"x\"}"), 0, "whitespace between tokens is fine");
	/* long strings: the scan passes plain bytes eight at a time and must
	 * still stop at each control character, quote and escape in them */
	is_int(parse(&r, "{\"a\": \"0123456789abcdefghij\001k\"}"), 400,
	    "control character after 20 plain bytes");
	is_str(r.body_out.p, "{\"detail\":\"JSON parse error - Invalid control character "
	    "at: line 1 column 28 (char 27)\"}", "its offset");
	is_int(parse(&r, "{\"a\": \"0123456789abcdefg\\\"hijklmnopq\\u0000r\"}"), 400,
	    "NUL escape after an escaped quote in a long string");
	is_int(parse(&r, "{\"a\": \"0123456789abcdef\", \"b\": \"x\\\\u0000 0123456789\"}"), 0,
	    "escaped backslash before u0000 in a long string is fine");
	is_int(parse(&r, "{\"0123456789abcdef\": \"\\u00e9\\u00e9\\u00e9\\u00e9 caf\xc3\xa9 \xe2\x82\xac\x7f\"}"), 0,
	    "bytes from 0x7f up are plain");
	is_int(parse(&r, "{\"a\": \"0123456701234567\x1f\"}"), 400,
	    "0x1f right after two plain words");
	{
		static char deep[20000];

		memset(deep, '[', sizeof(deep) - 1);
		deep[0] = '{';
		is_int(parse(&r, deep), 400, "deep nesting refused");
	}

	parse(&r, "{\"name\": \"Groceries\", \"blank\": \"\", \"num\": 3, \"nul\": null,"
	    " \"long\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", \"bad\": \"\xc3\x28\"}");
	is_int(jr_str(&r, r.json, "name", JF_REQUIRED, 200, &s), JR_OK, "string read");
	is_str(s, "Groceries", "value");
	is_int(jr_str(&r, r.json, "missing", 0, 200, &s), JR_ABSENT, "absent optional");
	is_int(jr_str(&r, r.json, "long", 0, 3, &s), JR_OK, "3 characters in 6 bytes fit 3");
	is_str(errors(&r), "", "no errors so far");
	is_int(jr_str(&r, r.json, "long", 0, 2, &s), JR_BAD, "too long in characters");
	is_int(jr_str(&r, r.json, "missing2", JF_REQUIRED, 0, &s), JR_BAD, "required");
	is_int(jr_str(&r, r.json, "blank", 0, 0, &s), JR_BAD, "blank refused");
	is_int(jr_str(&r, r.json, "num", 0, 0, &s), JR_BAD, "number is not a string");
	is_int(jr_str(&r, r.json, "nul", 0, 0, &s), JR_BAD, "null refused");
	is_int(jr_str(&r, r.json, "nul", JF_NULL, 0, &s), JR_NULL, "null allowed");
	is_int(jr_str(&r, r.json, "bad", 0, 0, &s), JR_BAD, "invalid UTF-8 refused");
	is_int(jr_str(&r, r.json, "blank", JF_BLANK, 0, &s), JR_OK, "blank allowed");
	is_str(errors(&r), "{\"long\":[\"Ensure this field has no more than 2 characters.\"],"
	    "\"missing2\":[\"This field is required.\"],\"blank\":[\"This field may not be blank.\"],"
	    "\"num\":[\"Not a valid string.\"],\"nul\":[\"This field may not be null.\"],"
	    "\"bad\":[\"Not a valid string: invalid UTF-8.\"]}", "messages in DRF words");

	parse(&r, "{\"i\": 42, \"s\": \"17\", \"f\": 1.5, \"big\": 1e300, \"t\": true,"
	    " \"w\": \"2026-11-27T02:24:24Z\", \"wbad\": \"tomorrow\", \"st\": \"In Progress\","
	    " \"stbad\": \"Done\"}");
	is_int(jr_int(&r, r.json, "i", 0, &i), JR_OK, "int");
	is_int(i, 42, "int value");
	is_int(jr_int(&r, r.json, "s", 0, &i), JR_OK, "int as string");
	is_int(i, 17, "string int value");
	is_int(jr_int(&r, r.json, "f", 0, &i), JR_BAD, "fraction refused");
	is_int(jr_int(&r, r.json, "big", 0, &i), JR_BAD, "huge refused");
	is_int(jr_bool(&r, r.json, "t", 0, &b), JR_OK, "bool");
	ok(b == 1, "true");
	is_int(jr_bool(&r, r.json, "i", 0, &b), JR_BAD, "number is not a bool");
	is_int(jr_time(&r, r.json, "w", 0, &i), JR_OK, "time");
	is_int(i, 1795746264000000LL, "time value");
	is_int(jr_time(&r, r.json, "wbad", 0, &i), JR_BAD, "bad time");
	is_int(jr_choice(&r, r.json, "st", 0, choices, &c), JR_OK, "choice");
	is_int(c, 1, "choice index");
	is_int(jr_choice(&r, r.json, "stbad", 0, choices, &c), JR_BAD, "bad choice");
	ok(strstr(errors(&r), "\"stbad\":[\"\\\"Done\\\" is not a valid choice.\"]") != NULL,
	    "choice message");
	ok(strstr(errors(&r), "\"wbad\":[\"Datetime has wrong format.") != NULL, "time message");

	/* JF_TRIM: DRF's CharField(trim_whitespace=True) */
	parse(&r, "{\"a\": \"  Work\\u3000\", \"b\": \" \\t\\n\", \"c\": \"\\u00a0\\u00a0\","
	    " \"d\": \" xyz \", \"e\": \"  x  \"}");
	is_int(jr_str(&r, r.json, "a", JF_REQUIRED | JF_TRIM, 200, &s), JR_OK, "trimmed");
	is_str(s, "Work", "leading spaces and an ideographic space dropped");
	is_int(jr_str(&r, r.json, "b", JF_TRIM, 200, &s), JR_BAD, "blank once trimmed");
	is_int(jr_str(&r, r.json, "c", JF_TRIM | JF_BLANK, 200, &s), JR_OK, "blank allowed");
	is_str(s, "", "... as empty");
	is_int(jr_str(&r, r.json, "d", JF_TRIM, 3, &s), JR_OK, "the length counts what is left");
	is_str(s, "xyz", "3 characters");
	is_int(jr_str(&r, r.json, "e", 0, 200, &s), JR_OK, "without JF_TRIM");
	is_str(s, "  x  ", "kept as sent");
	is_str(errors(&r), "{\"b\":[\"This field may not be blank.\"]}", "the blank message");
	test_strip();

	ok(utf8_valid("plain", 5), "ascii valid");
	ok(!utf8_valid("\xc0\xaf", 2), "overlong refused");
	ok(!utf8_valid("\xed\xa0\x80", 3), "surrogate refused");
	ok(!utf8_valid("a\0b", 3), "NUL refused");
	ok(utf8_valid("\xf0\x9f\x98\x80", 4), "emoji valid");
	ok(!utf8_valid("\xf0\x9f\x98", 3), "truncated refused");
	is_int(utf8_len("\xf0\x9f\x98\x80" "ab", 6), 3, "code points counted");
	r.body = NULL;
	req_free(&r);
	return tap_done();
}
