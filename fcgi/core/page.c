/* page: limit/offset pagination with absolute next and previous links. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "json.h"
#include "page.h"
#include "params.h"
#include "request.h"

#define PAGE_MSG	"A valid non-negative integer is required."

/* ?limit= and ?offset=: given, they must be numbers; the first bad one ends the reading. */
static const struct param_spec page_params[] = {
	{ .name = "limit", .kind = PK_INT, .flags = PF_EMPTY | PF_BARRIER,
	    .lo = 0, .hi = INT64_MAX, .digits = 18, .msg = PAGE_MSG },
	{ .name = "offset", .kind = PK_INT, .flags = PF_EMPTY | PF_BARRIER,
	    .lo = 0, .hi = INT64_MAX, .digits = 18, .msg = PAGE_MSG },
};

int
page_read(struct req *r, struct page *pg)
{
	const struct config *cfg = &r->app->cfg;
	struct param_val v[2];

	if (params_read(r, page_params, 2, v) > 0)
		return resp_errors(r);
	pg->limit = v[0].state == PS_SET && v[0].n > 0 ? v[0].n : cfg->page_size;
	if (pg->limit > cfg->max_page_size)
		pg->limit = cfg->max_page_size;
	pg->offset = v[1].state == PS_SET ? v[1].n : 0;
	return 0;
}

/* A character a host may have: a forged Host cannot break the URL. */
static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
	    c == '[' || c == ']' || c == '_';
}

void
page_base_url(struct req *r, struct buf *b)
{
	const char *pub = r->app->cfg.public_url, *host = r->host;
	const char *port = r->server_port;
	const char *def = r->https ? "443" : "80";
	size_t	 i, n;
	char	*o;

	if (*pub != '\0') {
		buf_puts(b, pub);
		return;
	}
	if (host == NULL || *host == '\0')
		host = "localhost";
	n = strlen(host);
	/* the scheme, then the host's first 255 characters, the others left out */
	if (buf_reserve(b, 8 + 255) < 0)
		return;
	o = b->p + b->len;
	if (r->https)
		o = JW_RAW_LIT(o, "https://");
	else
		o = JW_RAW_LIT(o, "http://");
	for (i = 0; i < n && i < 255; i++)
		if (host_char(host[i]))
			*o++ = host[i];
	jw_raw_end(b, o);
	/* a host without a port (or a bare IPv6 literal) gets SERVER_PORT unless default */
	if ((memchr(host, ':', n) == NULL || (host[0] == '[' && host[n - 1] == ']')) &&
	    port != NULL && *port != '\0' && strcmp(port, def) != 0) {
		buf_putc(b, ':');
		buf_puts(b, port);
	}
}

void
page_url(struct req *r, int64_t limit, int64_t offset)
{
	struct buf *b = &r->body_out;
	const char *k;
	size_t	 i;
	char	*o;

	page_base_url(r, b);
	buf_puts(b, r->path);
	buf_putc(b, '?');
	for (i = 0; i < r->nparams; i++) {
		k = r->params[i].key;
		if (strcmp(k, "limit") == 0 || strcmp(k, "offset") == 0)
			continue;
		buf_url(b, k, strlen(k));
		buf_putc(b, '=');
		buf_url(b, r->params[i].val, r->params[i].vlen);
		buf_putc(b, '&');
	}
	if (buf_reserve(b, 16 + 2 * JW_RAW_INT_MAX) < 0)
		return;
	o = b->p + b->len;
	o = JW_RAW_LIT(o, "limit=");
	o = jw_raw_int(o, limit);
	if (offset >= 0) {
		o = JW_RAW_LIT(o, "&offset=");
		o = jw_raw_int(o, offset);
	}
	jw_raw_end(b, o);
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
