/*
 * webhook_send: the worker's delivery of webhooks (the queue:
 * domain/webhook_outbox.h).  Each due delivery is POSTed with libcurl,
 * signed (X-Taskmgr-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<body>")>), with no redirect followed, http(s) only, no proxy, the
 * answer's body read up to HOOK_READ_MAX bytes and the rest ignored.  The
 * address actually connected is checked after DNS (core/netaddr): a
 * loopback, private, link-local, CGNAT, multicast, unspecified or reserved
 * one is refused before any connection unless the URL's host, as written,
 * is in webhook_allow_hosts.  2xx within webhook_timeout is delivered;
 * anything else is retried with the notices' backoff.  No database
 * transaction is open while the receiver answers.
 */
#ifndef TASKMGR_WEBHOOK_SEND_H
#define TASKMGR_WEBHOOK_SEND_H

#include <signal.h>
#include <stdint.h>

#include "arena.h"

struct app;
struct leader;

#define HOOK_READ_MAX	4096	/* bytes of an answer's body kept (then ignored) */

struct hook_counts {
	int64_t		 delivered;
	int64_t		 retried;	/* failed, tried again later */
	int64_t		 failed;	/* failed for good */
	int64_t		 refused;	/* an address not allowed */
	int64_t		 disabled;	/* webhooks turned inactive */
};

struct hook_sender {
	struct app	*app;
	void		*curl;		/* CURL *, reused across deliveries */
	struct arena	 arena;
	struct hook_counts counts;
	int		 pushed_back;	/* the last pass: a receiver did not take one */
	struct leader	*lead;		/* the worker's election: a pass stops when it is lost; NULL: none */
};

/* Prepares a sender; -1 when the HTTP client cannot start. */
int	 hook_sender_open(struct hook_sender *, struct app *);
void	 hook_sender_close(struct hook_sender *);
/*
 * One pass over the due deliveries, adding each outcome to s->counts and
 * setting s->pushed_back when a receiver failed one (it waits its backoff).
 * Returns how many were attempted (more may be due when > 0), or -1 when
 * the database failed.  Returns early when *stop gets set or the lead is
 * lost (s->lead).
 */
int	 hook_pass(struct hook_sender *, volatile sig_atomic_t *stop);
/*
 * Writes the signature header's value for body at unix time t into out
 * ("t=<t>,v1=<64 hex>"); -1 when it cannot.
 */
int	 hook_sign(const char *secret, int64_t t, const char *body, char *out,
	    size_t outlen);

#endif
