/* Unit tests: the shared request counters (slots per process, sums, labels) and metrics_allow. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "metrics.h"
#include "request.h"
#include "tap.h"

static int	 h(struct req *r) { (void)r; return 200; }

static const struct route api[] = {
	{ M_GET, "/a/", h, 0 },
	{ M_POST | M_PUT, "/b/{id}/", h, 0 },
};
static const struct route adm[] = {
	{ M_GET, "x/{id}/", h, 0 },
};
static const struct route other_api[] = {
	{ M_GET, "/a/", h, 0 },
	{ M_GET, "/c/", h, 0 },
};

/* The scrape's text, NUL-terminated (the caller frees it). */
static char *
scrape(const struct app *app)
{
	struct buf b = { 0 };

	metrics_write(app, &b, 0);
	buf_putc(&b, '\0');
	return b.p;
}

static int
has(const struct app *app, const char *line)
{
	char	*s = scrape(app);
	int	 found = s != NULL && strstr(s, line) != NULL;

	if (!found)
		printf("# no line %s in:\n%s", line, s ? s : "(null)");
	free(s);
	return found;
}

static void
record(const struct app *app, const struct route *rt, enum method m, int status, int64_t us)
{
	struct req r;

	memset(&r, 0, sizeof(r));
	r.route = rt;
	r.method = m;
	r.status = status;
	metrics_record(app, &r, us);
}

/* Opens the map in a child, records n requests on /a/ and exits without closing (a dead owner). */
static int
child_records(struct app *app, const char *path, int n)
{
	char	 err[256];
	pid_t	 pid;
	int	 i, status;

	if ((pid = fork()) == 0) {
		if (metrics_open(app, path, err, sizeof(err)) < 0)
			_exit(1);
		for (i = 0; i < n; i++)
			record(app, &api[0], M_GET, 200, 100);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
test_allow(void)
{
	char	 err[256];

	ok(metrics_addr_allowed("127.0.0.1 ::1", "127.0.0.1"), "127.0.0.1 listed");
	ok(metrics_addr_allowed("127.0.0.1 ::1", "::1"), "::1 listed");
	ok(!metrics_addr_allowed("127.0.0.1 ::1", "127.0.0.2"), "127.0.0.2 not listed");
	ok(metrics_addr_allowed("127.0.0.1", "::ffff:127.0.0.1"), "IPv4-mapped ::ffff:127.0.0.1");
	ok(!metrics_addr_allowed("::1", "127.0.0.1"), "IPv4 is not ::1");
	ok(metrics_addr_allowed("  10.0.0.0/8\t", "10.200.3.4"), "in 10.0.0.0/8");
	ok(!metrics_addr_allowed("10.0.0.0/8", "11.0.0.1"), "not in 10.0.0.0/8");
	ok(metrics_addr_allowed("172.16.0.0/12", "172.31.255.255"), "in 172.16.0.0/12");
	ok(!metrics_addr_allowed("172.16.0.0/12", "172.32.0.0"), "not in 172.16.0.0/12");
	ok(metrics_addr_allowed("fd00::/8", "fd12:3456::1"), "in fd00::/8");
	ok(!metrics_addr_allowed("fd00::/8", "fe80::1"), "not in fd00::/8");
	ok(metrics_addr_allowed("0.0.0.0/0", "203.0.113.9"), "0.0.0.0/0: any IPv4");
	ok(!metrics_addr_allowed("0.0.0.0/0", "2001:db8::1"), "... but no IPv6");
	ok(!metrics_addr_allowed("", "127.0.0.1"), "empty list: nobody");
	ok(!metrics_addr_allowed("127.0.0.1", NULL), "no address");
	ok(!metrics_addr_allowed("127.0.0.1", "localhost"), "a name is no address");
	ok(!metrics_addr_allowed("127.0.0.1", "127.0.0.1, 10.0.0.1"), "nor a list of them");

	is_int(metrics_allow_check("127.0.0.1 ::1 10.0.0.0/8 fd00::/8", err, sizeof(err)), 0,
	    "a valid list");
	is_int(metrics_allow_check("", err, sizeof(err)), 0, "an empty list");
	is_int(metrics_allow_check("127.0.0.1 localhost", err, sizeof(err)), -1, "a host name");
	ok(strstr(err, "\"localhost\"") != NULL, "named in the message: %s", err);
	is_int(metrics_allow_check("10.0.0.0/33", err, sizeof(err)), -1, "/33");
	is_int(metrics_allow_check("::1/129", err, sizeof(err)), -1, "/129");
	is_int(metrics_allow_check("10.0.0.0/", err, sizeof(err)), -1, "an empty length");
	is_int(metrics_allow_check("10.0.0.0/-1", err, sizeof(err)), -1, "a negative length");
	is_int(metrics_allow_check("10.0.0.0/8x", err, sizeof(err)), -1, "a length with a tail");
}

int
main(void)
{
	char	 dir[] = "/tmp/taskmgr-metrics-XXXXXX", path[256], err[256];
	struct app app, app2;
	struct stat st;

	test_allow();

	memset(&app, 0, sizeof(app));
	app.api_routes = api;
	app.n_api_routes = 2;
	app.admin_routes = adm;
	app.n_admin_routes = 1;
	app.cfg.admin_prefix = "/adm/";
	ok(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(path, sizeof(path), "%s/taskmgr.db-metrics", dir);
	is_int(metrics_open(&app, path, err, sizeof(err)), 0, "open: %s", err);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "file made, mode 0600");

	/* labels: the route's pattern, the method, the status; the latency's bucket */
	record(&app, &api[1], M_POST, 201, 3000);
	record(&app, &api[1], M_POST, 201, 1000);
	record(&app, NULL, M_GET, 404, 10);
	record(&app, &adm[0], M_GET, 302, 20000000);
	record(&app, &api[0], M_OTHER, 299, 10);
	record(&app, &api[0], M_GET, 429, 10);
	ok(has(&app, "taskmgr_http_requests_total{route=\"/b/{id}/\",method=\"POST\","
	    "status=\"201\"} 2\n"), "two POSTs on /b/{id}/");
	ok(has(&app, "taskmgr_http_requests_total{route=\"unmatched\",method=\"GET\","
	    "status=\"404\"} 1\n"), "no route: unmatched");
	ok(has(&app, "{route=\"/adm/x/{id}/\",method=\"GET\",status=\"302\"} 1\n"),
	    "an admin route below admin_prefix");
	ok(has(&app, "{route=\"/a/\",method=\"other\",status=\"other\"} 1\n"),
	    "an unknown method and status");
	ok(has(&app, "_bucket{route=\"/b/{id}/\",le=\"0.001\"} 1\n"), "1 ms is within 0.001");
	ok(has(&app, "_bucket{route=\"/b/{id}/\",le=\"0.0025\"} 1\n"), "3 ms is not within 0.0025");
	ok(has(&app, "_bucket{route=\"/b/{id}/\",le=\"0.005\"} 2\n"), "... but within 0.005");
	ok(has(&app, "_sum{route=\"/b/{id}/\"} 0.004000\n"), "the sum of the durations");
	ok(has(&app, "_bucket{route=\"/adm/x/{id}/\",le=\"10\"} 0\n"), "20 s is past 10 s");
	ok(has(&app, "_bucket{route=\"/adm/x/{id}/\",le=\"+Inf\"} 1\n"), "... within +Inf");
	ok(has(&app, "taskmgr_throttled_requests_total 1\n"), "a 429 is a throttled request");
	metrics_event(MET_LOGIN_OK);
	metrics_event(MET_LOGIN_FAILED);
	metrics_event(MET_LOGIN_FAILED);
	ok(has(&app, "taskmgr_logins_total{result=\"success\"} 1\n"), "a login");
	ok(has(&app, "taskmgr_logins_total{result=\"failure\"} 2\n"), "two refused");
	ok(has(&app, "taskmgr_responder_requests_total{slot=\"0\"} 6\n"), "this process's slot");
	ok(has(&app, "taskmgr_responders 1\n"), "one live responder");

	/* other processes count in slots of their own; a scrape sums them all */
	ok(child_records(&app, path, 5), "a child recorded 5 requests");
	ok(has(&app, "taskmgr_responder_requests_total{slot=\"1\"} 5\n"), "in slot 1");
	ok(has(&app, "{route=\"/a/\",method=\"GET\",status=\"200\"} 5\n"), "summed in");
	ok(has(&app, "taskmgr_responders 1\n"), "the dead child is no live responder");
	/* a new process takes the dead one's slot and goes on from its counts */
	ok(child_records(&app, path, 2), "another child recorded 2");
	ok(has(&app, "taskmgr_responder_requests_total{slot=\"1\"} 7\n"), "slot 1 went on");
	ok(has(&app, "{route=\"/a/\",method=\"GET\",status=\"200\"} 7\n"), "no count lost");

	/* reopening keeps the counts (a responder's restart) */
	is_int(metrics_open(&app, path, err, sizeof(err)), 0, "reopen");
	ok(has(&app, "{route=\"/b/{id}/\",method=\"POST\",status=\"201\"} 2\n"), "counts kept");
	/* another route table: the indexes would mean other routes, so it starts afresh */
	memset(&app2, 0, sizeof(app2));
	app2.api_routes = other_api;
	app2.n_api_routes = 2;
	app2.cfg.admin_prefix = "/adm/";
	is_int(metrics_open(&app2, path, err, sizeof(err)), 0, "open with other routes");
	{
		char	*s = scrape(&app2);

		ok(s != NULL && strstr(s, "taskmgr_http_requests_total{") == NULL,
		    "no counts of the old table");
		free(s);
	}
	metrics_close();
	{
		struct buf b = { 0 };

		metrics_write(&app2, &b, 0);
		is_int((int64_t)b.len, 0, "closed: a scrape writes nothing");
		buf_free(&b);
	}
	record(&app2, &other_api[0], M_GET, 200, 1);
	ok(1, "closed: recording does nothing (and does not crash)");

	unlink(path);
	rmdir(dir);
	return tap_done();
}
