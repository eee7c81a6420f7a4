/* Unit tests: urlencoded form bodies, HTML page headers and redirects. */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "request.h"
#include "tap.h"

static void
test_parse(void)
{
	struct arena a = { 0 };
	struct form f;
	const char *s = "a=1&b=x+y%21&a=2&empty=&flag&&c=%E2%82%AC";

	is_int(form_parse(&a, s, strlen(s), 16, &f), 0, "parses");
	is_int((int)f.n, 6, "six fields (the empty pair skipped)");
	is_str(form_get(&f, "a"), "1", "first of a repeated name");
	is_str(f.f[2].val, "2", "repeats kept in order");
	is_str(form_get(&f, "b"), "x y!", "plus and escapes decoded");
	is_str(form_get(&f, "empty"), "", "empty value");
	is_str(form_get(&f, "flag"), "", "name without =");
	ok(form_has(&f, "flag") && !form_has(&f, "nope"), "form_has");
	is_str(form_get(&f, "c"), "\xe2\x82\xac", "UTF-8 bytes");
	ok(form_get(&f, "A") == NULL, "names are case-sensitive");

	/* only len bytes are read */
	is_int(form_parse(&a, "k=v&z=1", 3, 4, &f), 0, "length bound");
	is_int((int)f.n, 1, "one field within the length");
	is_int(form_parse(&a, "", 0, 4, &f), 0, "empty body");
	is_int((int)f.n, 0, "no fields");

	is_int(form_parse(&a, "a=%zz", 5, 4, &f), -1, "bad escape");
	is_int(form_parse(&a, "a=%4", 4, 4, &f), -1, "short escape");
	is_int(form_parse(&a, "a=x%00y", 7, 4, &f), -1, "NUL in a value");
	is_int(form_parse(&a, "a%00=x", 6, 4, &f), -1, "NUL in a name");
	is_int((int)f.n, 0, "empty after a failure");
	is_int(form_parse(&a, "a=1&b=2&c=3", 11, 2, &f), -1, "too many fields");
	is_int(form_parse(&a, "a=1&b=2&c=3", 11, 3, &f), 0, "exactly max fields");
	arena_free(&a);
}

static void
test_html_headers(void)
{
	struct req r;
	struct buf out = { 0 };

	memset(&r, 0, sizeof(r));
	r.method = M_GET;
	resp_html(&r);
	is_int(resp_redirect(&r, 302, "/admin/login/?next=%2F"), 302, "redirect status");
	resp_serialize(&r, &out);
	ok(strstr(out.p, "Status: 302 Found\r\n") != NULL, "status line");
	ok(strstr(out.p, "Location: /admin/login/?next=%2F\r\n") != NULL, "location");
	ok(strstr(out.p, "Content-Type: text/html; charset=utf-8\r\n") != NULL, "html type");
	ok(strstr(out.p, "X-Frame-Options: DENY\r\n") != NULL, "no framing");
	ok(strstr(out.p, "Content-Security-Policy: default-src 'none'; style-src 'self'; "
	    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'\r\n") != NULL, "CSP");
	ok(strstr(out.p, "Referrer-Policy: same-origin\r\n") != NULL, "referrer policy");
	ok(strstr(out.p, "Cache-Control: no-store\r\n") != NULL, "no-store");
	ok(strstr(out.p, "WWW-Authenticate") == NULL, "no API challenge");
	buf_free(&out);
	req_free(&r);

	memset(&r, 0, sizeof(r));
	resp_html(&r);
	resp_redirect(&r, 302, "/x\r\nSet-Cookie: a=b");
	resp_serialize(&r, &out);
	ok(strstr(out.p, "Set-Cookie") == NULL && strstr(out.p, "Location") == NULL,
	    "a location with CR LF is dropped, not split");
	buf_free(&out);
	req_free(&r);
}

int
main(void)
{
	test_parse();
	test_html_headers();
	return tap_done();
}
