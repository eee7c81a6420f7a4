/* Unit tests: FastCGI params to a request, query decoding, cookies, response. */
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "tap.h"

static void
test_env(void)
{
	struct req r;
	char	*env[] = {
		"REQUEST_METHOD=POST", "REQUEST_URI=/api/lists/7/tasks/?limit=5&search=a%20b+c",
		"CONTENT_TYPE=application/json", "CONTENT_LENGTH=12",
		"HTTP_AUTHORIZATION=Bearer abc", "HTTP_HOST=example.org",
		"SERVER_PORT=8080", "REMOTE_ADDR=127.0.0.1", "HTTPS=on",
		"HTTP_COOKIE=a=1; sessionid=\"xyz\" ; b = 2",
		"HTTP_X_CSRFTOKEN=tok", "NOEQUALS", NULL,
	};
	const struct kv *kv;

	memset(&r, 0, sizeof(r));
	is_int(req_parse_env(&r, env), 0, "parses a full request");
	is_int(r.method, M_POST, "method");
	is_str(r.path, "/api/lists/7/tasks/", "path without query");
	is_str(r.query, "limit=5&search=a%20b+c", "raw query");
	is_int(r.content_length, 12, "content length");
	is_str(r.authorization, "Bearer abc", "authorization");
	is_str(r.host, "example.org", "host");
	is_str(r.server_port, "8080", "port");
	is_str(r.remote_addr, "127.0.0.1", "client address");
	ok(r.https == 1, "HTTPS flag");
	is_str(r.csrf_header, "tok", "csrf header");
	kv = req_param(&r, "search");
	is_str(kv ? kv->val : NULL, "a b c", "query decoded with %%20 and +");
	is_str(req_cookie(&r, "sessionid"), "xyz", "quoted cookie");
	is_str(req_cookie(&r, "b"), "2", "cookie with spaces");
	is_str(req_cookie(&r, "a"), "1", "first cookie");
	ok(req_cookie(&r, "c") == NULL, "absent cookie");
	req_free(&r);

	char	*bad1[] = { "REQUEST_METHOD=GET", NULL };
	memset(&r, 0, sizeof(r));
	is_int(req_parse_env(&r, bad1), 400, "no REQUEST_URI is a 400");
	req_free(&r);

	char	*bad2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/x/", "CONTENT_LENGTH=-5", NULL };
	memset(&r, 0, sizeof(r));
	is_int(req_parse_env(&r, bad2), 400, "negative Content-Length is a 400");
	req_free(&r);

	char	*bad3[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/x/",
	    "CONTENT_LENGTH=99999999999999999999999", NULL };
	memset(&r, 0, sizeof(r));
	is_int(req_parse_env(&r, bad3), 400, "overflowing Content-Length is a 400");
	req_free(&r);

	char	*bad4[] = { "REQUEST_METHOD=BREW", "REQUEST_URI=/x/?a=%zz", NULL };
	memset(&r, 0, sizeof(r));
	is_int(req_parse_env(&r, bad4), 400, "bad percent-escape in the query is a 400");
	is_int(r.method, M_OTHER, "unknown method");
	req_free(&r);
}

static void
test_query(void)
{
	struct req r;

	memset(&r, 0, sizeof(r));
	is_int(req_parse_query(&r, "a=1&a=2&b=&c&&d=%C3%A9%2B"), 0, "parses");
	is_int(r.nparams, 5, "five parameters (empty pair skipped)");
	is_str(req_param(&r, "a")->val, "1", "first of repeated keys wins");
	is_str(r.params[1].val, "2", "repeated key kept");
	is_str(req_param(&r, "b")->val, "", "empty value");
	is_str(req_param(&r, "c")->val, "", "key without =");
	is_str(req_param(&r, "d")->val, "\xc3\xa9+", "UTF-8 and %%2B decoded");
	is_int(req_parse_query(&r, "x=%4"), -1, "truncated escape refused");
	is_int(req_parse_query(&r, "x=%"), -1, "lone percent refused");
	is_int(req_parse_query(&r, "x=%g0"), -1, "non-hex escape refused");
	is_int(req_parse_query(&r, "x%00y=1"), -1, "NUL in a key refused");
	is_int(req_parse_query(&r, "x=a%00b"), 0, "NUL in a value is kept, with its length");
	is_int(r.params[0].vlen, 3, "value length counts the NUL");
	is_int(req_parse_query(&r, ""), 0, "empty query");
	is_int(r.nparams, 0, "no parameters");
	{
		char	 many[64 * 4 + 16];
		size_t	 i, o = 0;

		for (i = 0; i < 65; i++)
			o += (size_t)snprintf(many + o, sizeof(many) - o, "a=%d&", (int)(i % 10));
		is_int(req_parse_query(&r, many), -1, "more than the limit of parameters refused");
	}
	req_free(&r);
}

static void
test_response(void)
{
	struct req r;
	struct buf out = { 0 };

	memset(&r, 0, sizeof(r));
	resp_detail(&r, 404, "Not \"found\".");
	resp_header(&r, "X-Test", "1");
	resp_header(&r, "X-Evil", "a\r\nSet-Cookie: x=1");
	resp_serialize(&r, &out);
	ok(strncmp(out.p, "Status: 404 Not Found\r\n", 23) == 0, "status line");
	ok(strstr(out.p, "Content-Type: application/json; charset=utf-8\r\n") != NULL, "JSON type");
	ok(strstr(out.p, "Cache-Control: no-store\r\n") != NULL, "no-store");
	ok(strstr(out.p, "X-Content-Type-Options: nosniff\r\n") != NULL, "nosniff");
	ok(strstr(out.p, "X-Test: 1\r\n") != NULL, "extra header");
	ok(strstr(out.p, "Set-Cookie") == NULL, "header with CR/LF dropped");
	ok(strstr(out.p, "\r\n\r\n{\"detail\":\"Not \\\"found\\\".\"}") != NULL, "escaped body");
	ok(strstr(out.p, "Content-Length: 27\r\n") != NULL, "content length");

	req_end(&r);
	buf_reset(&out);
	req_error(&r, "name", "This field is required.");
	req_error(&r, "name", "Second.");
	req_error(&r, "x", "Bad.");
	resp_errors(&r);
	is_str(r.body_out.p, "{\"name\":[\"This field is required.\",\"Second.\"],\"x\":[\"Bad.\"]}",
	    "validation errors in DRF shape");
	is_int(r.status, 400, "400");

	req_end(&r);
	r.status = 401;
	resp_serialize(&r, &out);
	ok(strstr(out.p, "WWW-Authenticate: Bearer realm=\"api\"\r\n") != NULL, "401 carries WWW-Authenticate");
	buf_free(&out);
	req_free(&r);
}

static void
test_arena(void)
{
	struct arena a = { 0 };
	char	*p, *q;
	int	 i, okay = 1;

	p = arena_strdup(&a, "hello");
	is_str(p, "hello", "strdup");
	for (i = 0; i < 1000; i++)
		if ((q = arena_alloc(&a, 100)) == NULL || ((uintptr_t)q % 16) != 0)
			okay = 0;
	ok(okay, "many aligned allocations");
	q = arena_alloc(&a, 100000);
	ok(q != NULL, "a block larger than the default");
	arena_reset(&a);
	is_int(a.total, 0, "reset empties");
	a.limit = 1000;
	ok(arena_alloc(&a, 2000) == NULL, "limit enforced");
	ok(arena_alloc(&a, 500) != NULL, "under the limit");
	arena_free(&a);
}

/* The escape of byte c as the JSON rules say it, written one byte at a time. */
static void
ref_json_byte(struct buf *b, unsigned char c)
{
	char	 e[8];

	if (c == '"' || c == '\\')
		snprintf(e, sizeof(e), "\\%c", c);
	else if (c == '\n')
		snprintf(e, sizeof(e), "\\n");
	else if (c == '\r')
		snprintf(e, sizeof(e), "\\r");
	else if (c == '\t')
		snprintf(e, sizeof(e), "\\t");
	else if (c < 0x20 || c == 0x7f)
		snprintf(e, sizeof(e), "\\u%04x", c);
	else
		snprintf(e, sizeof(e), "%c", c);
	buf_puts(b, e);
}

/*
 * Every byte value at every position of strings of 1 to 35 bytes (the
 * writers skip plain text 8 or 16 bytes at a time): the output is the one the
 * byte-by-byte rules give.
 */
static void
test_json_every_byte(void)
{
	struct buf got = { 0 }, want = { 0 };
	char	 s[36];
	int	 c, len, pos, bad = 0;

	for (len = 1; len < 36; len++)
		for (pos = 0; pos < len; pos++)
			for (c = 1; c < 256; c++) {
				int	 i;

				memset(s, 'a' + pos % 26, sizeof(s));
				s[pos] = (char)c;
				buf_reset(&got);
				buf_reset(&want);
				buf_json_str(&got, s, (size_t)len);
				buf_putc(&want, '"');
				for (i = 0; i < len; i++)
					ref_json_byte(&want, (unsigned char)s[i]);
				buf_putc(&want, '"');
				/* the unchecked writer of hot paths says the same */
				{
					char	 raw[6 * 36 + 2], *e;

					e = json_escape_raw(raw, s, (size_t)len);
					if ((size_t)(e - raw) != want.len ||
					    memcmp(raw, want.p, want.len) != 0)
						bad++;
					/* and its version without SIMD */
					e = json_escape_raw_portable(raw, s, (size_t)len);
					if ((size_t)(e - raw) != want.len ||
					    memcmp(raw, want.p, want.len) != 0)
						bad++;
				}
				if (strcmp(got.p, want.p) != 0 && bad++ < 3)
					printf("# byte %d at %d of %d: %s\n", c, pos, len, got.p);
			}
	is_int(bad, 0, "JSON escaping of every byte at every position");
	buf_free(&got);
	buf_free(&want);
}

/*
 * Strings of 0 to 99 bytes mixing plain ASCII, UTF-8 bytes and bytes to
 * escape (several to a string, next to each other, at the ends of words):
 * json_escape_raw (with and without SIMD) and buf_json_str say what the
 * byte-by-byte rules say.
 */
static void
test_json_mixed(void)
{
	static const unsigned char pick[] = {
		'a', 'Z', ' ', '~', '"', '\\', '\n', '\r', '\t', 0x01, 0x1f, 0x20, 0x7f,
		0x80, 0xc3, 0xa9, 0xff, '/', '\'', '0',
	};
	struct buf got = { 0 }, want = { 0 };
	char	 s[100], raw[6 * 100 + 2], *e;
	unsigned seed = 12345;
	int	 n, k, t, i, bad = 0;

	for (t = 0; t < 20000; t++) {
		n = t % 100;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly plain, so that runs of words are plain too */
			k = (int)(seed >> 16) % 64;
			s[i] = (char)(k < (int)sizeof(pick) ? pick[k] : 'a' + k % 26);
		}
		buf_reset(&want);
		buf_putc(&want, '"');
		for (i = 0; i < n; i++)
			ref_json_byte(&want, (unsigned char)s[i]);
		buf_putc(&want, '"');
		e = json_escape_raw(raw, s, (size_t)n);
		if ((size_t)(e - raw) != want.len || memcmp(raw, want.p, want.len) != 0)
			bad++;
		e = json_escape_raw_portable(raw, s, (size_t)n);
		if ((size_t)(e - raw) != want.len || memcmp(raw, want.p, want.len) != 0)
			bad++;
		buf_reset(&got);
		buf_json_str(&got, s, (size_t)n);
		if (got.len != want.len || memcmp(got.p, want.p, want.len) != 0)
			bad++;
	}
	is_int(bad, 0, "JSON escaping of mixed strings of 0 to 99 bytes");
	buf_free(&got);
	buf_free(&want);
}

/* int64_dec against printf's %lld, around every power of ten and at the ends. */
static void
test_int64_dec(void)
{
	char	 got[INT64_DEC_MAX + 1], want[32], *e;
	int64_t	 v, p = 1;
	int	 i, d, bad = 0;

	for (i = 0; i < 19; i++) {
		if (i > 0)
			p *= 10;	/* 10^i, up to 10^18 */
		for (d = -2; d <= 2; d++)
			for (v = p + d; v != 0; v = 0) {
				int64_t	 both[2] = { v, -v };
				int	 j;

				for (j = 0; j < 2; j++) {
					e = int64_dec(got, both[j]);
					*e = '\0';
					snprintf(want, sizeof(want), "%lld", (long long)both[j]);
					if (strcmp(got, want) != 0 && bad++ < 3)
						printf("# %s for %s\n", got, want);
				}
			}
	}
	e = int64_dec(got, 0);
	*e = '\0';
	is_str(got, "0", "int64_dec 0");
	e = int64_dec(got, INT64_MAX);
	*e = '\0';
	is_str(got, "9223372036854775807", "int64_dec max");
	e = int64_dec(got, INT64_MIN);
	*e = '\0';
	is_str(got, "-9223372036854775808", "int64_dec min");
	is_int(bad, 0, "int64_dec around every power of ten, both signs");
}

static void
test_buf(void)
{
	struct buf b = { 0 };

	buf_json_str(&b, "a\"b\\c\n\x01\x7f\xc3\xa9", 10);
	is_str(b.p, "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xa9\"", "JSON escaping");
	buf_reset(&b);
	test_json_every_byte();
	test_json_mixed();
	test_int64_dec();
	buf_html(&b, "<script>alert(1)</script>\"'&", 28);
	is_str(b.p, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;", "HTML escaping");
	buf_reset(&b);
	buf_url(&b, "a b&c=d/é", 10);
	is_str(b.p, "a%20b%26c%3Dd%2F%C3%A9", "URL escaping");
	buf_reset(&b);
	buf_int(&b, INT64_MIN);
	is_str(b.p, "-9223372036854775808", "int64 min");
	buf_free(&b);
}

int
main(void)
{
	test_env();
	test_query();
	test_response();
	test_arena();
	test_buf();
	return tap_done();
}
