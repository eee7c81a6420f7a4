/* json: typed body readers with DRF-style errors, and JSON writers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "request.h"
#include "utf8.h"
#include "timeutil.h"

#define MSG_REQUIRED	"This field is required."
#define MSG_NULL	"This field may not be null."


/*
 * Finds what cJSON would let through but must not be: a raw NUL byte
 * anywhere or a raw control character (below 0x20) inside a string -- strict
 * JSON forbids both, and a NUL silently cuts the C string cJSON makes of the
 * value -- and a "\u0000" escape, which cuts it the same way.  Scans escapes
 * properly, so an escaped backslash followed by "u0000" is not mistaken for
 * one.  Returns 0, BODY_CONTROL or BODY_NUL_ESCAPE with the offset in *at.
 */
#define BODY_CONTROL	1
#define BODY_NUL_ESCAPE	2

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/* 1 when none of the 8 bytes at s is below 0x20, '"' or '\\': nothing a
 * string's scan stops at (each test is exact: no byte is mistaken). */
static int
plain8(const char *s)
{
	uint64_t v, q, b;

	memcpy(&v, s, 8);
	q = v ^ ONES * '"';
	b = v ^ ONES * '\\';
	return ((((v - ONES * 0x20) & ~v) | ((q - ONES) & ~q) |
	    ((b - ONES) & ~b)) & HIGHS) == 0;
}

static int
body_scan(const char *s, size_t n, size_t *at)
{
	size_t	 i;
	int	 instr = 0, found = 0;

	for (i = 0; i < n; i++) {
		/* inside a string, plain bytes eight at a time */
		if (instr)
			while (i + 8 <= n && plain8(s + i))
				i += 8;
		if (i == n)
			break;
		if (s[i] == '\0' || (instr && (unsigned char)s[i] < 0x20)) {
			*at = i;
			return BODY_CONTROL;
		}
		if (!instr) {
			if (s[i] == '"')
				instr = 1;
			continue;
		}
		if (s[i] == '"')
			instr = 0;
		else if (s[i] == '\\' && i + 1 < n) {
			if (!found && s[i + 1] == 'u' && i + 5 < n &&
			    memcmp(s + i + 2, "0000", 4) == 0) {
				*at = i;
				found = BODY_NUL_ESCAPE;
			}
			i++;
		}
	}
	return found;
}

int
json_parse_body(struct req *r)
{
	const char *end = NULL;
	char	 msg[160];
	size_t	 at = 0, line = 1, col, i, nl = 0;
	int	 bad;

	if (r->body_len == 0) {
		r->json = cJSON_CreateObject();
		return r->json ? 0 : 500;
	}
	if ((bad = body_scan(r->body, r->body_len, &at)) == BODY_CONTROL) {
		for (i = 0; i < at; i++)
			if (r->body[i] == '\n') {
				line++;
				nl = i + 1;
			}
		col = at - nl + 1;
		snprintf(msg, sizeof(msg), "JSON parse error - Invalid control "
		    "character at: line %zu column %zu (char %zu)", line, col, at);
		return resp_detail(r, 400, msg);
	}
	r->json = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
	if (r->json == NULL) {
		size_t off = end && end >= r->body ? (size_t)(end - r->body) : 0;

		snprintf(msg, sizeof(msg), "JSON parse error - Expecting value: "
		    "line 1 column %zu (char %zu)", off + 1, off);
		return resp_detail(r, 400, msg);
	}
	while (end < r->body + r->body_len &&
	    (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != r->body + r->body_len)
		return resp_detail(r, 400, "JSON parse error - Extra data");
	if (!cJSON_IsObject(r->json))
		return resp_detail(r, 400, "JSON parse error - Expected a JSON object");
	if (bad == BODY_NUL_ESCAPE)
		return resp_detail(r, 400, "JSON parse error - NUL characters are not allowed");
	return 0;
}

/* Looks key up; handles absent and null per flags.  Returns JR_OK when v should be checked. */
static enum jr
jr_lookup(struct req *r, const cJSON *obj, const char *key, unsigned flags,
    const cJSON **v)
{
	*v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (*v == NULL) {
		if (flags & JF_REQUIRED) {
			req_error(r, key, MSG_REQUIRED);
			return JR_BAD;
		}
		return JR_ABSENT;
	}
	if (cJSON_IsNull(*v)) {
		if (flags & JF_NULL)
			return JR_NULL;
		req_error(r, key, MSG_NULL);
		return JR_BAD;
	}
	return JR_OK;
}

enum jr
jr_str(struct req *r, const cJSON *obj, const char *key, unsigned flags,
    size_t maxchars, const char **out)
{
	const cJSON *v;
	enum jr	 rc;
	size_t	 n;
	char	 msg[96], *s;

	if ((rc = jr_lookup(r, obj, key, flags, &v)) != JR_OK)
		return rc;
	if (!cJSON_IsString(v)) {
		req_error(r, key, "Not a valid string.");
		return JR_BAD;
	}
	s = v->valuestring;
	n = strlen(s);
	if (!utf8_valid(s, n)) {
		req_error(r, key, "Not a valid string: invalid UTF-8.");
		return JR_BAD;
	}
	if (flags & JF_TRIM) {
		/* cut in the tree's own copy: nothing else reads the untrimmed value */
		s = v->valuestring + (utf8_strip(s, n, &n) - s);
		s[n] = '\0';
	}
	if (n == 0 && !(flags & JF_BLANK)) {
		req_error(r, key, "This field may not be blank.");
		return JR_BAD;
	}
	if (maxchars && (n > maxchars * 4 || utf8_len(s, n) > maxchars)) {
		snprintf(msg, sizeof(msg),
		    "Ensure this field has no more than %zu characters.", maxchars);
		req_error(r, key, msg);
		return JR_BAD;
	}
	*out = s;
	return JR_OK;
}

enum jr
jr_int(struct req *r, const cJSON *obj, const char *key, unsigned flags,
    int64_t *out)
{
	const cJSON *v;
	enum jr	 rc;
	double	 d;
	const char *s;
	char	*end;
	long long n;

	if ((rc = jr_lookup(r, obj, key, flags, &v)) != JR_OK)
		return rc;
	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		if (isfinite(d) && d == floor(d) && d >= -9.0e15 && d <= 9.0e15) {
			*out = (int64_t)d;
			return JR_OK;
		}
	} else if (cJSON_IsString(v)) {
		/* DRF accepts integers sent as strings */
		s = v->valuestring;
		if ((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')) {
			n = strtoll(s, &end, 10);
			if (*end == '\0' && n > -9000000000000000000LL &&
			    n < 9000000000000000000LL) {
				*out = n;
				return JR_OK;
			}
		}
	}
	req_error(r, key, "A valid integer is required.");
	return JR_BAD;
}

enum jr
jr_bool(struct req *r, const cJSON *obj, const char *key, unsigned flags, int *out)
{
	const cJSON *v;
	enum jr	 rc;

	if ((rc = jr_lookup(r, obj, key, flags, &v)) != JR_OK)
		return rc;
	if (!cJSON_IsBool(v)) {
		req_error(r, key, "Must be a valid boolean.");
		return JR_BAD;
	}
	*out = cJSON_IsTrue(v);
	return JR_OK;
}

enum jr
jr_time(struct req *r, const cJSON *obj, const char *key, unsigned flags,
    int64_t *out)
{
	const cJSON *v;
	enum jr	 rc;

	if ((rc = jr_lookup(r, obj, key, flags, &v)) != JR_OK)
		return rc;
	if (!cJSON_IsString(v) || rfc3339_parse_in(v->valuestring,
	    strlen(v->valuestring), r->zone, out) < 0) {
		req_error(r, key, "Datetime has wrong format. Use one of these "
		    "formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
		return JR_BAD;
	}
	return JR_OK;
}

enum jr
jr_choice(struct req *r, const cJSON *obj, const char *key, unsigned flags,
    const char *const *choices, int *out)
{
	const cJSON *v;
	enum jr	 rc;
	char	 msg[256];
	int	 i;

	if ((rc = jr_lookup(r, obj, key, flags, &v)) != JR_OK)
		return rc;
	if (cJSON_IsString(v))
		for (i = 0; choices[i] != NULL; i++)
			if (strcmp(v->valuestring, choices[i]) == 0) {
				*out = i;
				return JR_OK;
			}
	if (cJSON_IsString(v) && utf8_valid(v->valuestring, strlen(v->valuestring)) &&
	    strlen(v->valuestring) < 100)
		snprintf(msg, sizeof(msg), "\"%s\" is not a valid choice.", v->valuestring);
	else
		snprintf(msg, sizeof(msg), "Not a valid choice.");
	req_error(r, key, msg);
	return JR_BAD;
}

void
jw_key_(struct buf *b, const char *key, size_t n, int *first)
{
	char	*o;

	/* room for the comma, the quoted key and the colon at once */
	if (buf_reserve(b, n + 4) < 0)
		return;
	o = b->p + b->len;
	if (!*first)
		*o++ = ',';
	*first = 0;
	*o++ = '"';
	memcpy(o, key, n);
	o += n;
	*o++ = '"';
	*o++ = ':';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

void
jw_str_(struct buf *b, const char *key, size_t n, const char *v, int *first)
{
	jw_key_(b, key, n, first);
	if (v == NULL)
		buf_add(b, "null", 4);
	else
		buf_json_str(b, v, strlen(v));
}

void
jw_int_(struct buf *b, const char *key, size_t n, int64_t v, int *first)
{
	jw_key_(b, key, n, first);
	buf_int(b, v);
}

void
jw_bool_(struct buf *b, const char *key, size_t n, int v, int *first)
{
	jw_key_(b, key, n, first);
	if (v)
		buf_add(b, "true", 4);
	else
		buf_add(b, "false", 5);
}

void
jw_time_value(struct buf *b, int64_t us)
{
	if (us == TIME_NULL) {
		buf_add(b, "null", 4);
		return;
	}
	/* formatted in place: the quotes and RFC3339_LEN - 1 characters */
	if (buf_reserve(b, RFC3339_LEN + 1) < 0)
		return;
	b->p[b->len] = '"';
	rfc3339_format(us, b->p + b->len + 1);
	b->p[b->len + RFC3339_LEN] = '"';
	b->len += RFC3339_LEN + 1;
	b->p[b->len] = '\0';
}

void
jw_time_(struct buf *b, const char *key, size_t n, int64_t us, int *first)
{
	jw_key_(b, key, n, first);
	jw_time_value(b, us);
}

char *
jw_raw_int(char *o, int64_t v)
{
	return int64_dec(o, v);
}

char *
jw_raw_time(char *o, int64_t us)
{
	if (us == TIME_NULL)
		return JW_RAW_LIT(o, "null");
	*o = '"';
	rfc3339_format(us, o + 1);
	o[RFC3339_LEN] = '"';
	return o + RFC3339_LEN + 1;
}

char *
jw_raw_str(char *o, const char *s, size_t n)
{
	if (s == NULL)
		return JW_RAW_LIT(o, "null");
	return json_escape_raw(o, s, n);
}

void
jw_raw_end(struct buf *b, char *o)
{
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}
