/*
 * metrics: request counters and latency histograms shared by every
 * responder through one mapped file (<database>-metrics).
 *
 * The file holds METRICS_SLOTS slots; each responder claims one when it
 * starts (a free slot, or one whose owner has died: its counts are kept
 * and go on growing, so totals never fall when a responder restarts) and
 * is the only writer of it.  Recording a request is a few plain stores
 * into the process's own slot: no lock, no system call, no allocation.
 * A scrape sums every slot ever claimed.  The counters are indexed by
 * route (its place in the app's tables: the router's match, never the raw
 * path), method and status, so their number is bounded.  A file made for
 * another layout or another route table is started afresh.
 */
#ifndef TASKMGR_METRICS_H
#define TASKMGR_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct buf;
struct req;

#define METRICS_SLOTS	64	/* responders counted apart; more share the last slot */
#define METRICS_ROUTES	64	/* route 0: no route matched */
#define METRICS_METHODS	8	/* GET POST PUT PATCH DELETE HEAD OPTIONS other */
#define METRICS_STATUSES 24	/* the statuses the program answers, and "other" */
#define METRICS_BUCKETS	14	/* latency buckets, the last one +Inf */

/* Counts kept beside the requests'. */
enum metrics_event {
	MET_LOGIN_OK,		/* a password login (token or admin session) */
	MET_LOGIN_FAILED,	/* a login refused for its credentials */
	MET_NEVENTS
};

/*
 * Maps (creating when missing, mode 0600) the file at path for app's route
 * tables and claims this process's slot; -1 with err set, and then
 * recording does nothing and a scrape shows no request figures.
 */
int	 metrics_open(const struct app *, const char *path, char *err, size_t errlen);
void	 metrics_close(void);
/* Records a finished request: its route (r->route), method, status and duration in microseconds. */
void	 metrics_record(const struct app *, const struct req *, int64_t us);
/* Counts one event in this process's slot. */
void	 metrics_event(enum metrics_event);

/*
 * Appends the shared figures in the Prometheus text format 0.0.4:
 * requests, the latency histogram, throttled requests (429s), logins and
 * responder uptimes, summed over every slot.  now: now_us().
 */
void	 metrics_write(const struct app *, struct buf *, int64_t now);

/*
 * Whether addr (a numeric IPv4 or IPv6 address) is in list, a
 * space-separated list of addresses and CIDR ranges; an IPv4-mapped IPv6
 * address counts as its IPv4 address.
 */
int	 metrics_addr_allowed(const char *list, const char *addr);
/* 0 when list is a valid metrics_allow value, else -1 with the bad word in err. */
int	 metrics_allow_check(const char *list, char *err, size_t errlen);

#endif
