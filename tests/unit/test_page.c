/* Unit tests: pagination parameters and next/previous links. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "page.h"
#include "request.h"
#include "tap.h"

static struct app app;

static int
setup(struct req *r, const char *qs, const char *host, const char *port, int https)
{
	req_end(r);
	r->app = &app;
	r->path = "/api/tasks/";
	r->host = host;
	r->server_port = port;
	r->https = https;
	if (req_parse_query(r, qs) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	struct req r;
	struct page pg;
	char	 err[256];

	memset(&r, 0, sizeof(r));
	config_load(&app.cfg, NULL, err, sizeof(err));

	setup(&r, "", "example.org", "80", 0);
	is_int(page_read(&r, &pg), 0, "no parameters");
	ok(pg.limit == 20 && pg.offset == 0, "defaults 20/0");
	setup(&r, "limit=101&offset=5", "example.org", "80", 0);
	is_int(page_read(&r, &pg), 0, "over max");
	is_int(pg.limit, 100, "capped at max_page_size");
	setup(&r, "limit=0", "example.org", "80", 0);
	page_read(&r, &pg);
	is_int(pg.limit, 20, "limit 0 is the default");
	setup(&r, "limit=-1", "example.org", "80", 0);
	is_int(page_read(&r, &pg), 400, "negative limit");
	is_str(r.body_out.p, "{\"limit\":[\"A valid non-negative integer is required.\"]}", "body");
	setup(&r, "offset=abc", "example.org", "80", 0);
	is_int(page_read(&r, &pg), 400, "non-numeric offset");
	setup(&r, "limit=", "example.org", "80", 0);
	is_int(page_read(&r, &pg), 400, "empty limit");
	setup(&r, "limit=99999999999999999999", "example.org", "80", 0);
	is_int(page_read(&r, &pg), 400, "overflowing limit");

	setup(&r, "status=In+Progress&limit=10&offset=10&search=a%26b", "example.org", "8080", 0);
	page_read(&r, &pg);
	page_begin(&r, &pg, 35);
	page_end(&r);
	is_str(r.body_out.p, "{\"count\":35,"
	    "\"next\":\"http://example.org:8080/api/tasks/?status=In%20Progress&search=a%26b&limit=10&offset=20\","
	    "\"previous\":\"http://example.org:8080/api/tasks/?status=In%20Progress&search=a%26b&limit=10\","
	    "\"results\":[]}", "links keep other parameters; first page drops offset");

	setup(&r, "limit=10&offset=25", "api.example.org:8443", "8443", 1);
	page_read(&r, &pg);
	page_begin(&r, &pg, 30);
	ok(strstr(r.body_out.p, "\"next\":null") != NULL, "no next on the last page");
	ok(strstr(r.body_out.p, "\"previous\":\"https://api.example.org:8443/api/tasks/?limit=10&offset=15\"")
	    != NULL, "https, host with port kept");

	setup(&r, "offset=500", "h", "443", 1);
	page_read(&r, &pg);
	page_begin(&r, &pg, 30);
	ok(strstr(r.body_out.p, "\"previous\":\"https://h/api/tasks/?limit=20&offset=10\"") != NULL,
	    "offset past the end: previous is the last page; default port omitted");

	setup(&r, "", "evil\"host/<x>", "80", 0);
	page_read(&r, &pg);
	pg.limit = 1;
	page_begin(&r, &pg, 5);
	ok(strstr(r.body_out.p, "http://evilhostx/api/tasks/") != NULL, "forged host characters dropped");
	{
		static char longhost[301], want[300];

		memset(longhost, 'h', 300);
		snprintf(want, sizeof(want), "\"next\":\"http://%.255s/api/tasks/?", longhost);
		setup(&r, "", longhost, "80", 0);
		page_read(&r, &pg);
		pg.limit = 1;
		page_begin(&r, &pg, 5);
		ok(strstr(r.body_out.p, want) != NULL, "a host's first 255 characters");
	}

	free(app.cfg.public_url);
	app.cfg.public_url = strdup("https://tasks.example.com");
	setup(&r, "", "internal", "8080", 0);
	page_read(&r, &pg);
	page_begin(&r, &pg, 50);
	ok(strstr(r.body_out.p, "\"next\":\"https://tasks.example.com/api/tasks/?limit=20&offset=20\"") != NULL,
	    "public_url wins");
	r.path = NULL;
	req_free(&r);
	config_free(&app.cfg);
	return tap_done();
}
