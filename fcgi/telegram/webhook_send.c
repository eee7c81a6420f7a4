/* webhook_send: signed webhook deliveries with the address checked after DNS. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "app.h"
#include "deliver.h"
#include "leader.h"
#include "log.h"
#include "netaddr.h"
#include "timeutil.h"
#include "webhook_outbox.h"
#include "webhook_send.h"

#define BATCH	32

/* What one attempt learns from libcurl's callbacks. */
struct attempt {
	int		 allowed;	/* the host is in webhook_allow_hosts */
	char		 refused[96];	/* why the address was refused ("" none) */
	size_t		 read;		/* bytes of the answer's body seen */
};

int
hook_sender_open(struct hook_sender *s, struct app *app)
{
	memset(s, 0, sizeof(*s));
	s->app = app;
	s->arena.limit = 16 * 1024 * 1024;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	return (s->curl = curl_easy_init()) == NULL ? -1 : 0;
}

void
hook_sender_close(struct hook_sender *s)
{
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	s->curl = NULL;
	arena_free(&s->arena);
}

int
hook_sign(const char *secret, int64_t t, const char *body, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	char	 pre[32], digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC *hmac;
	EVP_MAC_CTX *ctx = NULL;
	size_t	 n = 0, i;
	int	 k, ok = 0;

	k = snprintf(pre, sizeof(pre), "%lld.", (long long)t);
	if (k < 0 || (size_t)k >= sizeof(pre) || (hmac = EVP_MAC_fetch(NULL, "HMAC",
	    NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* HMAC over "<t>.<body>": the prefix, then the body as stored */
	if ((ctx = EVP_MAC_CTX_new(hmac)) != NULL &&
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)pre, (size_t)k) &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, strlen(body)) &&
	    EVP_MAC_final(ctx, mac, &n, sizeof(mac)) && n == 32)
		ok = 1;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	k = ok ? snprintf(out, outlen, "t=%lld,v1=", (long long)t) : -1;
	if (k < 0 || (size_t)k + 2 * n >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		out[k + 2 * i] = hex[mac[i] >> 4];
		out[k + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[k + 2 * n] = '\0';
	return 0;
}

/* Whether the n bytes at host are one of the space-separated names of list. */
static int
name_listed(const char *list, const char *host, size_t n)
{
	const char *p = list;
	size_t	 k;

	while (*p != '\0') {
		p += strspn(p, " \t");
		k = strcspn(p, " \t");
		if (k > 0 && k == n && strncasecmp(p, host, k) == 0)
			return 1;
		p += k;
	}
	return 0;
}

/* Whether host (as the URL writes it) is in the list; an IPv6 literal with or without brackets. */
static int
host_allowed(const char *list, const char *host)
{
	size_t	 n = strlen(host);

	if (name_listed(list, host, n))
		return 1;
	return n > 2 && host[0] == '[' && host[n - 1] == ']' &&
	    name_listed(list, host + 1, n - 2);
}

/* libcurl's socket opener: refuses an address the rules do not allow. */
static curl_socket_t
open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct attempt *at = ctx;
	const char *why;
	char	 ip[INET6_ADDRSTRLEN] = "?";

	(void)purpose;
	if (!at->allowed && (why = netaddr_refusal(&a->addr, a->addrlen)) != NULL) {
		if (a->family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&a->addr)->sin_addr,
			    ip, sizeof(ip));
		else if (a->family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)(void *)&a->addr)->sin6_addr, ip, sizeof(ip));
		snprintf(at->refused, sizeof(at->refused), "refused: %s address %s", why, ip);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* libcurl's body sink: counts the answer up to HOOK_READ_MAX bytes, ignores it. */
static size_t
sink(char *p, size_t size, size_t n, void *ctx)
{
	struct attempt *at = ctx;

	(void)p;
	if (at->read < HOOK_READ_MAX)
		at->read += size * n;
	/* past the limit: the rest is not kept either, but the transfer ends normally */
	return size * n;
}

/* The host part of url as written ("" when it has none); free with curl_free. */
static char *
url_host(const char *url)
{
	CURLU	*u = curl_url();
	char	*host = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_cleanup(u);
	return host;
}

/*
 * POSTs one delivery.  Returns 1 delivered, 0 failed (http the status, 0
 * none; err the reason), -1 refused (err the reason).
 */
static int
post(struct hook_sender *s, const struct hook_job *j, long *http, char *err,
    size_t errlen)
{
	const struct config *cfg = &s->app->cfg;
	const char *protocols = cfg->hook_http ? "http,https" : "https";
	struct curl_slist *h = NULL, *h2;
	struct attempt at;
	char	 lines[5][160], sig[128];
	char	*host;
	CURL	*c = s->curl;
	CURLcode cc;
	int	 i;

	memset(&at, 0, sizeof(at));
	*http = 0;
	host = url_host(j->url);
	at.allowed = host != NULL && *host != '\0' &&
	    host_allowed(cfg->webhook_allow_hosts, host);
	curl_free(host);
	if (hook_sign(j->secret, now_us() / 1000000, j->body, sig, sizeof(sig)) < 0) {
		snprintf(err, errlen, "cannot sign");
		return 0;
	}
	snprintf(lines[0], sizeof(lines[0]), "Content-Type: application/json");
	snprintf(lines[1], sizeof(lines[1]), "X-Taskmgr-Event: %s", j->event);
	snprintf(lines[2], sizeof(lines[2]), "X-Taskmgr-Delivery: %lld", (long long)j->id);
	snprintf(lines[3], sizeof(lines[3]), "X-Taskmgr-Signature: %s", sig);
	snprintf(lines[4], sizeof(lines[4]), "Expect:");	/* no 100-continue wait */
	for (i = 0; i < 5; i++) {
		if ((h2 = curl_slist_append(h, lines[i])) == NULL) {
			curl_slist_free_all(h);
			snprintf(err, errlen, "out of memory");
			return 0;
		}
		h = h2;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->webhook_timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "taskmgr/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(j->body));
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &at);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &at);
	cc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (at.refused[0] != '\0') {
		snprintf(err, errlen, "%s", at.refused);
		return -1;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
		return 0;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
	if (*http >= 200 && *http < 300)
		return 1;
	snprintf(err, errlen, "HTTP %ld", *http);
	return 0;
}

/* What became of one attempt. */
struct outcome {
	int		 r;		/* as post() returns */
	long		 http;
	int		 disabled;	/* the failure disabled the webhook */
	char		 err[160];
};

/*
 * Records the outcomes of the n attempts of a pass in one transaction (one
 * sync for the lot: the worker keeps up with the writers); DB_OK or the
 * storage error, nothing recorded then.
 */
static enum dbrc
record_all(struct hook_sender *s, const struct hook_job *jobs, struct outcome *o,
    int n)
{
	const struct config *cfg = &s->app->cfg;
	struct db *db = &s->app->db;
	int64_t	 now = now_us();
	enum dbrc rc;
	int	 i;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	for (i = 0; i < n && rc == DB_OK; i++) {
		o[i].disabled = 0;
		if (o[i].r == 1)
			rc = hook_delivered(db, &jobs[i], o[i].http, now);
		else
			rc = hook_failed(db, &jobs[i], o[i].r < 0, o[i].http, o[i].err,
			    now + deliver_backoff_us(cfg, jobs[i].attempts), now,
			    cfg->webhook_disable_after, &o[i].disabled);
	}
	if (rc == DB_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* Logs and counts one recorded outcome. */
static void
tell(struct hook_sender *s, const struct hook_job *j, const struct outcome *o)
{
	const struct config *cfg = &s->app->cfg;

	if (o->r == 1) {
		s->counts.delivered++;
		log_debug("worker: webhook %lld delivery %lld delivered (%ld)",
		    (long long)j->webhook_id, (long long)j->id, o->http);
	} else if (o->r < 0) {
		s->counts.refused++;
		log_warn("worker: webhook %lld delivery %lld %s", (long long)j->webhook_id,
		    (long long)j->id, o->err);
	} else if (j->attempts + 1 >= HOOK_MAX_ATTEMPTS) {
		s->counts.failed++;
		log_warn("worker: webhook %lld delivery %lld given up after %lld attempts: %s",
		    (long long)j->webhook_id, (long long)j->id, (long long)j->attempts + 1,
		    o->err);
	} else {
		s->counts.retried++;
		log_info("worker: webhook %lld delivery %lld not delivered (%s), next try in "
		    "%lld ms", (long long)j->webhook_id, (long long)j->id, o->err,
		    (long long)(deliver_backoff_us(cfg, j->attempts) / 1000));
	}
	if (o->disabled) {
		s->counts.disabled++;
		log_warn("worker: webhook %lld disabled after %lld failures in a row",
		    (long long)j->webhook_id, (long long)cfg->webhook_disable_after);
	}
}

int
hook_pass(struct hook_sender *s, volatile sig_atomic_t *stop)
{
	struct hook_job jobs[BATCH];
	struct outcome out[BATCH];
	enum dbrc rc = DB_OK;
	int	 n, i, m, tries;

	arena_reset(&s->arena);
	s->pushed_back = 0;
	if (hook_due(&s->app->db, now_us(), BATCH, &s->arena, jobs, &n) != DB_OK)
		return -1;
	/* no transaction is open while the receivers answer */
	for (m = 0; m < n && !*stop && (s->lead == NULL || leader_held(s->lead)); m++) {
		out[m].err[0] = '\0';
		out[m].r = post(s, &jobs[m], &out[m].http, out[m].err, sizeof(out[m].err));
		if (out[m].r == 0)
			s->pushed_back = 1;
	}
	/* the receivers have them: a lost mark would mean second copies, so insist */
	for (tries = 0; m > 0 && tries < 5; tries++)
		if ((rc = record_all(s, jobs, out, m)) != DB_BUSY)
			break;
	if (rc != DB_OK)
		return -1;
	for (i = 0; i < m; i++)
		tell(s, &jobs[i], &out[i]);
	return m;
}
