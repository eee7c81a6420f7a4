/* Unit tests: route matching and path ids. */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "router.h"
#include "tap.h"

static int h1(struct req *r) { (void)r; return 1; }
static int h2(struct req *r) { (void)r; return 2; }
static int h3(struct req *r) { (void)r; return 3; }

static const struct route table[] = {
	{ M_GET | M_POST, "/api/lists/", h1, 0 },
	{ M_GET | M_PUT | M_PATCH, "/api/lists/{id}/", h2, 0 },
	{ M_GET, "/api/lists/{id}/tasks/{id}/", h3, 0 },
	{ M_GET, "/api/calendar/{key}.ics", h1, 0 },
};

static int
run(const char *path, unsigned m, int64_t *ids, size_t *nids, unsigned *allow,
    const struct route **rt)
{
	return router_match(table, 4, path, m, rt, ids, 4, nids, allow);
}

/* Matches "/api/calendar/" followed by tail. */
static int
run_key(const char *tail, const struct route **rt)
{
	char	 path[128];
	int64_t	 ids[4];
	size_t	 nids;
	unsigned allow;

	snprintf(path, sizeof(path), "/api/calendar/%s", tail);
	return router_match(table, 4, path, M_GET, rt, ids, 4, &nids, &allow);
}

int
main(void)
{
	const struct route *rt = NULL;
	int64_t	 ids[4], v;
	size_t	 nids;
	unsigned allow;
	char	 s[96];

	is_int(run("/api/lists/", M_GET, ids, &nids, &allow, &rt), 0, "literal match");
	ok(rt == &table[0], "first route");
	is_int(run("/api/lists/", M_HEAD, ids, &nids, &allow, &rt), 0, "HEAD matches GET");
	is_int(run("/api/lists/42/", M_PATCH, ids, &nids, &allow, &rt), 0, "id match");
	is_int(nids, 1, "one id");
	is_int(ids[0], 42, "id value");
	is_int(run("/api/lists/1/tasks/9/", M_GET, ids, &nids, &allow, &rt), 0, "two ids");
	ok(nids == 2 && ids[0] == 1 && ids[1] == 9, "both values");
	is_int(run("/api/lists/42/", M_DELETE, ids, &nids, &allow, &rt), 405, "wrong method");
	ok(allow == (M_GET | M_PUT | M_PATCH), "allow set");
	router_allow_str(allow, s, sizeof(s));
	is_str(s, "GET, PUT, PATCH, HEAD, OPTIONS", "Allow header text");
	is_int(run("/api/lists", M_GET, ids, &nids, &allow, &rt), 404, "no trailing slash");
	is_int(run("/api/lists/42", M_GET, ids, &nids, &allow, &rt), 404, "id without slash");
	is_int(run("/api/lists/-1/", M_GET, ids, &nids, &allow, &rt), 404, "negative id");
	is_int(run("/api/lists/+1/", M_GET, ids, &nids, &allow, &rt), 404, "signed id");
	is_int(run("/api/lists/0x10/", M_GET, ids, &nids, &allow, &rt), 404, "hex id");
	is_int(run("/api/lists/1e3/", M_GET, ids, &nids, &allow, &rt), 404, "exponent id");
	is_int(run("/api/lists/1.0/", M_GET, ids, &nids, &allow, &rt), 404, "decimal id");
	is_int(run("/api/lists//", M_GET, ids, &nids, &allow, &rt), 404, "empty id");
	is_int(run("/api/lists/9223372036854775807/", M_GET, ids, &nids, &allow, &rt), 0, "int64 max");
	is_int(run("/api/lists/9223372036854775808/", M_GET, ids, &nids, &allow, &rt), 404, "beyond int64");
	is_int(run("/api/lists/9999999999999999999/", M_GET, ids, &nids, &allow, &rt), 404, "19 nines");
	is_int(run("/api/lists/00000000000000000001/", M_GET, ids, &nids, &allow, &rt), 404, "20 digits");
	is_int(run("/api/lists/%31/", M_GET, ids, &nids, &allow, &rt), 404, "percent-encoded id");
	is_int(run("/api/lists/1/extra/", M_GET, ids, &nids, &allow, &rt), 404, "extra segment");
	is_int(run("/", M_GET, ids, &nids, &allow, &rt), 404, "root");
	is_int(run("/api/calendar/aZ09-_x.ics", M_GET, ids, &nids, &allow, &rt), 0, "key match");
	ok(rt == &table[3] && nids == 0, "a key is no id");
	is_int(run("/api/calendar/.ics", M_GET, ids, &nids, &allow, &rt), 404, "empty key");
	is_int(run("/api/calendar/a.b.ics", M_GET, ids, &nids, &allow, &rt), 404, "dot in key");
	is_int(run("/api/calendar/a%2F.ics", M_GET, ids, &nids, &allow, &rt), 404, "escape in key");
	is_int(run("/api/calendar/abc.ics/", M_GET, ids, &nids, &allow, &rt), 404, "key then more");
	memset(s, 'k', 64);
	strcpy(s + 64, ".ics");
	is_int(run_key(s, &rt), 0, "64-character key");
	memset(s, 'k', 65);
	strcpy(s + 65, ".ics");
	is_int(run_key(s, &rt), 404, "65-character key");
	is_int(parse_id("007", 3, &v), 0, "leading zeros are digits");
	is_int(v, 7, "value 7");
	is_int(parse_id("", 0, &v), -1, "empty");
	return tap_done();
}
