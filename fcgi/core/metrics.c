/* metrics: per-responder request counters in a shared mapped file. */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "metrics.h"
#include "request.h"
#include "router.h"
#include "timeutil.h"

#define METRICS_MAGIC	0x3173636972746d74ULL	/* "tmtrics1" */
#define SHARED_SLOT	(METRICS_SLOTS - 1)	/* written with atomic adds by any process */

struct mslot {
	int32_t		 pid;		/* owner; 0: none */
	int32_t		 used;		/* ever claimed: summed by a scrape */
	int64_t		 started;	/* now_us() when the owner claimed it */
	uint64_t	 events[8];
	uint64_t	 sum_us[METRICS_ROUTES];
	uint64_t	 hist[METRICS_ROUTES][METRICS_BUCKETS];
	uint64_t	 req[METRICS_ROUTES][METRICS_METHODS][METRICS_STATUSES];
};

struct mheader {
	uint64_t	 magic;		/* written last, once the rest is ready */
	uint64_t	 layout;	/* hash of the sizes and the route table */
	uint64_t	 pad[6];
};

#define MAP_BYTES (sizeof(struct mheader) + METRICS_SLOTS * sizeof(struct mslot))

static struct mheader *map;
static struct mslot *self;	/* this process's slot; NULL: not recording */
static int shared;		/* self is the shared slot */

/* Upper bounds of the latency buckets, in microseconds (the last: +Inf). */
static const int64_t bucket_us[METRICS_BUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
static const char *const bucket_le[METRICS_BUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10", "+Inf",
};

/* The statuses counted apart; any other is counted as the last, "other". */
static const int statuses[METRICS_STATUSES - 1] = {
	200, 201, 202, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 406,
	409, 410, 412, 413, 415, 422, 429, 500, 503,
};

static const char *const methods[METRICS_METHODS] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
};

static uint64_t
mix(uint64_t h, const char *s)
{
	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h * 0x100000001b3ULL;
}

/* What the file's indexes mean: the sizes and every route's methods and pattern. */
static uint64_t
layout_hash(const struct app *app)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t	 i;

	h = (h ^ MAP_BYTES) * 0x100000001b3ULL;
	for (i = 0; i < app->n_api_routes; i++)
		h = mix(h ^ app->api_routes[i].methods, app->api_routes[i].pattern);
	h = mix(h, "|admin|");
	for (i = 0; i < app->n_admin_routes; i++)
		h = mix(h ^ app->admin_routes[i].methods, app->admin_routes[i].pattern);
	return h;
}

/* Whether pid is a live process (a process of another user counts as live). */
static int
alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

int
metrics_open(const struct app *app, const char *path, char *err, size_t errlen)
{
	struct mheader *h;
	struct mslot *slots;
	struct stat st;
	void	*p = MAP_FAILED;
	uint64_t layout = layout_hash(app);
	int32_t	 me = (int32_t)getpid();
	size_t	 i;
	int	 fd;

	metrics_close();
	if (app->n_api_routes + app->n_admin_routes + 1 > METRICS_ROUTES) {
		snprintf(err, errlen, "more routes than METRICS_ROUTES (%d)", METRICS_ROUTES);
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* one process at a time sizes the file and claims a slot */
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((st.st_mode & 077) != 0)
		(void)fchmod(fd, st.st_mode & 0700);
	if ((size_t)st.st_size != MAP_BYTES &&
	    (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)MAP_BYTES) < 0)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	h = p;
	slots = (struct mslot *)((char *)p + sizeof(*h));
	if (h->magic != METRICS_MAGIC || h->layout != layout) {
		/*
		 * A file whose indexes meant other routes starts afresh: its
		 * blocks are given back (a new file is all holes already) or,
		 * where the file system cannot, written with zeros.
		 */
		if (h->magic != 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		    0, (off_t)MAP_BYTES) < 0)
			memset(p, 0, MAP_BYTES);
		h->layout = layout;
		__atomic_store_n(&h->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
	}
	/* a free slot, or a dead owner's (its counts stay and grow on) */
	for (i = 0; i < SHARED_SLOT; i++)
		if (slots[i].pid == 0 || slots[i].pid == me || !alive(slots[i].pid))
			break;
	shared = i == SHARED_SLOT;
	self = &slots[i];
	if (!shared)
		self->pid = me;
	self->started = now_us();
	self->used = 1;
	map = h;
	flock(fd, LOCK_UN);
	close(fd);
	return 0;
fail:
	if (p != MAP_FAILED)
		munmap(p, MAP_BYTES);
	flock(fd, LOCK_UN);
	close(fd);
	return -1;
}

void
metrics_close(void)
{
	if (map == NULL)
		return;
	if (!shared && self->pid == (int32_t)getpid())
		__atomic_store_n(&self->pid, 0, __ATOMIC_RELAXED);
	munmap(map, MAP_BYTES);
	map = NULL;
	self = NULL;
}

/* Adds n to a counter of this process's slot: a plain add, atomic only in the shared slot. */
static inline void
bump(uint64_t *c, uint64_t n)
{
	if (shared)
		__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
	else
		__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
		    __ATOMIC_RELAXED);
}

static size_t
status_index(int status)
{
	size_t	 lo = 0, hi = METRICS_STATUSES - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (statuses[mid] < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < METRICS_STATUSES - 1 && statuses[lo] == status ?
	    lo : METRICS_STATUSES - 1;
}

/* The route's index: 1 + its place in the API table, then the admin table's; 0 for none. */
static size_t
route_index(const struct app *app, const struct route *rt)
{
	uintptr_t p = (uintptr_t)rt, a = (uintptr_t)app->api_routes,
	    m = (uintptr_t)app->admin_routes;

	if (rt == NULL)
		return 0;
	if (p >= a && p < a + app->n_api_routes * sizeof(*rt))
		return 1 + (p - a) / sizeof(*rt);
	if (m != 0 && p >= m && p < m + app->n_admin_routes * sizeof(*rt))
		return 1 + app->n_api_routes + (p - m) / sizeof(*rt);
	return 0;
}

void
metrics_record(const struct app *app, const struct req *r, int64_t us)
{
	size_t	 ri, mi, b;

	if (self == NULL)
		return;
	ri = route_index(app, r->route);
	mi = r->method != 0 ? (size_t)__builtin_ctz((unsigned)r->method) : METRICS_METHODS - 1;
	if (mi >= METRICS_METHODS)
		mi = METRICS_METHODS - 1;
	if (us < 0)
		us = 0;
	for (b = 0; b < METRICS_BUCKETS - 1 && us > bucket_us[b]; b++)
		;
	bump(&self->req[ri][mi][status_index(r->status)], 1);
	bump(&self->hist[ri][b], 1);
	bump(&self->sum_us[ri], (uint64_t)us);
}

void
metrics_event(enum metrics_event e)
{
	if (self != NULL)
		bump(&self->events[e], 1);
}

/* Writes s as a label value: backslash, double quote and newline escaped. */
static void
put_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
}

/* The route label of index ri: its pattern (below admin_prefix for a page), or "unmatched". */
static void
put_route(struct buf *b, const struct app *app, size_t ri)
{
	buf_puts(b, "route=\"");
	if (ri == 0)
		buf_puts(b, "unmatched");
	else if (ri <= app->n_api_routes)
		put_label(b, app->api_routes[ri - 1].pattern);
	else {
		put_label(b, app->cfg.admin_prefix);
		put_label(b, app->admin_routes[ri - 1 - app->n_api_routes].pattern);
	}
	buf_putc(b, '"');
}

static void
put_seconds(struct buf *b, uint64_t us)
{
	buf_printf(b, "%llu.%06llu", (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
}

/* The sums over every slot ever claimed. */
struct totals {
	uint64_t	 events[8];
	uint64_t	 sum_us[METRICS_ROUTES];
	uint64_t	 hist[METRICS_ROUTES][METRICS_BUCKETS];
	uint64_t	 req[METRICS_ROUTES][METRICS_METHODS][METRICS_STATUSES];
};

/* Adds slot s's counts to t; returns the slot's requests. */
static uint64_t
add_slot(struct totals *t, struct mslot *s)
{
	uint64_t n, all = 0;
	size_t	 i, j, k;

	for (i = 0; i < 8; i++)
		t->events[i] += __atomic_load_n(&s->events[i], __ATOMIC_RELAXED);
	for (i = 0; i < METRICS_ROUTES; i++) {
		t->sum_us[i] += __atomic_load_n(&s->sum_us[i], __ATOMIC_RELAXED);
		for (j = 0; j < METRICS_BUCKETS; j++)
			t->hist[i][j] += __atomic_load_n(&s->hist[i][j], __ATOMIC_RELAXED);
		for (j = 0; j < METRICS_METHODS; j++)
			for (k = 0; k < METRICS_STATUSES; k++) {
				n = __atomic_load_n(&s->req[i][j][k], __ATOMIC_RELAXED);
				t->req[i][j][k] += n;
				all += n;
			}
	}
	return all;
}

static void
write_requests(const struct app *app, struct buf *b, const struct totals *t)
{
	size_t	 ri, mi, si, bi;
	uint64_t cum;

	buf_puts(b, "# HELP taskmgr_http_requests_total HTTP requests answered, "
	    "by route pattern (\"unmatched\": no route), method and status.\n"
	    "# TYPE taskmgr_http_requests_total counter\n");
	for (ri = 0; ri < METRICS_ROUTES; ri++)
		for (mi = 0; mi < METRICS_METHODS; mi++)
			for (si = 0; si < METRICS_STATUSES; si++) {
				if (t->req[ri][mi][si] == 0)
					continue;
				buf_puts(b, "taskmgr_http_requests_total{");
				put_route(b, app, ri);
				buf_printf(b, ",method=\"%s\",status=\"", methods[mi]);
				if (si < METRICS_STATUSES - 1)
					buf_printf(b, "%d", statuses[si]);
				else
					buf_puts(b, "other");
				buf_printf(b, "\"} %llu\n", (unsigned long long)t->req[ri][mi][si]);
			}
	buf_puts(b, "# HELP taskmgr_http_request_duration_seconds Time from a request's "
	    "accept to its answer, by route pattern.\n"
	    "# TYPE taskmgr_http_request_duration_seconds histogram\n");
	for (ri = 0; ri < METRICS_ROUTES; ri++) {
		for (cum = 0, bi = 0; bi < METRICS_BUCKETS; bi++)
			cum += t->hist[ri][bi];
		if (cum == 0)
			continue;
		for (cum = 0, bi = 0; bi < METRICS_BUCKETS; bi++) {
			cum += t->hist[ri][bi];
			buf_puts(b, "taskmgr_http_request_duration_seconds_bucket{");
			put_route(b, app, ri);
			buf_printf(b, ",le=\"%s\"} %llu\n", bucket_le[bi], (unsigned long long)cum);
		}
		buf_puts(b, "taskmgr_http_request_duration_seconds_sum{");
		put_route(b, app, ri);
		buf_puts(b, "} ");
		put_seconds(b, t->sum_us[ri]);
		buf_puts(b, "\ntaskmgr_http_request_duration_seconds_count{");
		put_route(b, app, ri);
		buf_printf(b, "} %llu\n", (unsigned long long)cum);
	}
}

void
metrics_write(const struct app *app, struct buf *b, int64_t now)
{
	struct mslot *slots;
	struct totals *t;
	uint64_t throttled = 0, per[METRICS_SLOTS];
	size_t	 i, j, live = 0;

	if (map == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return;
	slots = (struct mslot *)((char *)map + sizeof(*map));
	for (i = 0; i < METRICS_SLOTS; i++)
		per[i] = __atomic_load_n(&slots[i].used, __ATOMIC_RELAXED) ?
		    add_slot(t, &slots[i]) + 1 : 0;
	write_requests(app, b, t);
	buf_puts(b, "# HELP taskmgr_responder_requests_total Requests answered by the "
	    "responders of each slot of the shared metrics file (a restarted "
	    "responder may take over a dead one's slot and counts).\n"
	    "# TYPE taskmgr_responder_requests_total counter\n");
	for (i = 0; i < METRICS_SLOTS; i++)
		if (per[i] > 0)
			buf_printf(b, "taskmgr_responder_requests_total{slot=\"%zu\"} %llu\n",
			    i, (unsigned long long)(per[i] - 1));
	for (i = 0; i < METRICS_ROUTES; i++)
		for (j = 0; j < METRICS_METHODS; j++)
			throttled += t->req[i][j][status_index(429)];
	buf_printf(b, "# HELP taskmgr_throttled_requests_total Requests refused by a "
	    "rate limit (answered 429).\n"
	    "# TYPE taskmgr_throttled_requests_total counter\n"
	    "taskmgr_throttled_requests_total %llu\n", (unsigned long long)throttled);
	buf_printf(b, "# HELP taskmgr_logins_total Password logins (API token or admin "
	    "session), by result.\n"
	    "# TYPE taskmgr_logins_total counter\n"
	    "taskmgr_logins_total{result=\"success\"} %llu\n"
	    "taskmgr_logins_total{result=\"failure\"} %llu\n",
	    (unsigned long long)t->events[MET_LOGIN_OK],
	    (unsigned long long)t->events[MET_LOGIN_FAILED]);
	free(t);
	buf_puts(b, "# HELP taskmgr_responder_uptime_seconds Seconds since each live "
	    "responder started, by its slot in the shared metrics file.\n"
	    "# TYPE taskmgr_responder_uptime_seconds gauge\n");
	for (i = 0; i < SHARED_SLOT; i++) {
		int32_t	 pid = __atomic_load_n(&slots[i].pid, __ATOMIC_RELAXED);
		int64_t	 started = __atomic_load_n(&slots[i].started, __ATOMIC_RELAXED);

		if (!alive(pid))
			continue;
		live++;
		buf_printf(b, "taskmgr_responder_uptime_seconds{slot=\"%zu\"} ", i);
		put_seconds(b, now > started ? (uint64_t)(now - started) : 0);
		buf_putc(b, '\n');
	}
	buf_printf(b, "# HELP taskmgr_responders Live responder processes with a slot "
	    "of their own.\n"
	    "# TYPE taskmgr_responders gauge\n"
	    "taskmgr_responders %zu\n", live);
}

/* Parses one word of metrics_allow: an address and an optional /prefix length. */
static int
parse_range(const char *w, size_t n, int *fam, unsigned char net[16], int *bits)
{
	char	 s[64], *slash, *end;
	long	 len;
	int	 max;

	if (n == 0 || n >= sizeof(s))
		return -1;
	memcpy(s, w, n);
	s[n] = '\0';
	if ((slash = strchr(s, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, s, net) == 1)
		*fam = AF_INET;
	else if (inet_pton(AF_INET6, s, net) == 1)
		*fam = AF_INET6;
	else
		return -1;
	max = *fam == AF_INET ? 32 : 128;
	*bits = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		errno = 0;
		len = strtol(slash, &end, 10);
		if (errno != 0 || *end != '\0' || len < 0 || len > max)
			return -1;
		*bits = (int)len;
	}
	return 0;
}

/* Whether the first bits bits of a and b are the same. */
static int
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int	 whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
metrics_addr_allowed(const char *list, const char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char a[16], net[16];
	const char *w;
	size_t	 n;
	int	 fam, afam, bits;

	if (addr == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, a) == 1)
		afam = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		afam = AF_INET6;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memmove(a, a + 12, 4);
			afam = AF_INET;
		}
	} else
		return 0;
	for (w = list; *w != '\0'; w += n) {
		w += strspn(w, " \t");
		n = strcspn(w, " \t");
		if (n == 0 || parse_range(w, n, &fam, net, &bits) < 0 || fam != afam)
			continue;
		if (prefix_equal(a, net, bits))
			return 1;
	}
	return 0;
}

int
metrics_allow_check(const char *list, char *err, size_t errlen)
{
	unsigned char net[16];
	const char *w;
	size_t	 n;
	int	 fam, bits;

	for (w = list; *w != '\0'; w += n) {
		w += strspn(w, " \t");
		n = strcspn(w, " \t");
		if (n > 0 && parse_range(w, n, &fam, net, &bits) < 0) {
			snprintf(err, errlen, "metrics_allow: \"%.*s\" is not an address "
			    "or a CIDR range", (int)(n > 64 ? 64 : n), w);
			return -1;
		}
	}
	return 0;
}
