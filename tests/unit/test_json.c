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
	tz_set("UTC");
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
