/* page: limit/offset pagination with absolute next and previous links. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "json.h"
#include "page.h"
#include "request.h"

/* Parses a non-negative decimal parameter; 1 absent, 0 ok, -1 bad. */
static int
param_nonneg(struct req *r, const char *name, int64_t *out)
{
	const struct kv *kv = req_param(r, name);
	uint64_t v = 0;
	size_t	 i;

	if (kv == NULL)
		return 1;
	if (kv->vlen == 0 || kv->vlen > 18)
		return -1;
	for (i = 0; i < kv->vlen; i++) {
		if (kv->val[i] < '0' || kv->val[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(kv->val[i] - '0');
	}
	*out = (int64_t)v;
	return 0;
}

int
page_read(struct req *r, struct page *pg)
{
	const struct config *cfg = &r->app->cfg;
	int	 rc;

	pg->limit = cfg->page_size;
	pg->offset = 0;
	if ((rc = param_nonneg(r, "limit", &pg->limit)) < 0) {
		req_error(r, "limit", "A valid non-negative integer is required.");
		return resp_errors(r);
	}
	if (rc == 0 && pg->limit == 0)
		pg->limit = cfg->page_size;
	if (pg->limit > cfg->max_page_size)
		pg->limit = cfg->max_page_size;
	if (param_nonneg(r, "offset", &pg->offset) < 0) {
		req_error(r, "offset", "A valid non-negative integer is required.");
		return resp_errors(r);
	}
	return 0;
}

/* Appends scheme://host[:port] of the request, or public_url. */
static void
url_base(struct req *r, struct buf *b)
{
	const char *pub = r->app->cfg.public_url, *host = r->host;
	const char *port = r->server_port;
	const char *def = r->https ? "443" : "80";
	size_t	 i, n;

	if (*pub != '\0') {
		buf_puts(b, pub);
		return;
	}
	buf_puts(b, r->https ? "https://" : "http://");
	if (host == NULL || *host == '\0')
		host = "localhost";
	/* keep only characters a host may have, so a forged Host cannot break the URL */
	n = strlen(host);
	for (i = 0; i < n && i < 255; i++) {
		char c = host[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
		    c == '[' || c == ']' || c == '_')
			buf_putc(b, c);
	}
	/* a host without a port (or a bare IPv6 literal) gets SERVER_PORT unless default */
	if ((strchr(host, ':') == NULL || (host[0] == '[' && host[n - 1] == ']')) &&
	    port != NULL && *port != '\0' && strcmp(port, def) != 0) {
		buf_putc(b, ':');
		buf_puts(b, port);
	}
}

void
page_url(struct req *r, int64_t limit, int64_t offset)
{
	struct buf *b = &r->body_out;
	size_t	 i;

	url_base(r, b);
	buf_puts(b, r->path);
	buf_putc(b, '?');
	for (i = 0; i < r->nparams; i++) {
		if (strcmp(r->params[i].key, "limit") == 0 ||
		    strcmp(r->params[i].key, "offset") == 0)
			continue;
		buf_url(b, r->params[i].key, strlen(r->params[i].key));
		buf_putc(b, '=');
		buf_url(b, r->params[i].val, r->params[i].vlen);
		buf_putc(b, '&');
	}
	buf_puts(b, "limit=");
	buf_int(b, limit);
	if (offset >= 0) {
		buf_puts(b, "&offset=");
		buf_int(b, offset);
	}
}

void
page_begin(struct req *r, const struct page *pg, int64_t count)
{
	struct buf *b = &r->body_out;
	int64_t	 prev;

	buf_puts(b, "{\"count\":");
	buf_int(b, count);
	buf_puts(b, ",\"next\":");
	if (pg->offset + pg->limit < count) {
		buf_putc(b, '"');
		page_url(r, pg->limit, pg->offset + pg->limit);
		buf_putc(b, '"');
	} else
		buf_puts(b, "null");
	buf_puts(b, ",\"previous\":");
	if (pg->offset > 0) {
		prev = pg->offset - pg->limit;
		if (prev > count - pg->limit)
			prev = count - pg->limit;
		buf_putc(b, '"');
		page_url(r, pg->limit, prev > 0 ? prev : -1);
		buf_putc(b, '"');
	} else
		buf_puts(b, "null");
	buf_puts(b, ",\"results\":[");
}

void
page_end(struct req *r)
{
	buf_puts(&r->body_out, "]}");
}
