/* server: FastCGI request in, response out. */
#include <string.h>

#include "app.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "router.h"
#include "server.h"
#include "timeutil.h"
#include "transport.h"

/* Reads the request body into the arena; 0, or 400/413 with the body set. */
static int
read_body(struct req *r, struct transport *in)
{
	int64_t	 max = r->app->cfg.max_body, want = r->content_length;
	size_t	 cap, len = 0;
	char	*p;
	ssize_t	 n;

	if (want == 0 || (want < 0 && !(r->method & (M_POST | M_PUT | M_PATCH))))
		return 0;
	if (want > max)
		return resp_detail(r, 413, "Request body too large.");
	cap = want >= 0 ? (size_t)want : (size_t)max + 1;
	if ((p = arena_alloc(&r->arena, cap + 1)) == NULL)
		return resp_detail(r, 413, "Request body too large.");
	while (len < cap) {
		n = transport_read(in, p + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (want < 0 && len > (size_t)max)
		return resp_detail(r, 413, "Request body too large.");
	if (want >= 0 && len < (size_t)want)
		return resp_detail(r, 400, "The request body ended before its Content-Length.");
	p[len] = '\0';
	r->body = p;
	r->body_len = len;
	return 0;
}

/*
 * The path the access log shows: the route's pattern when it has a {key}
 * segment (a secret in the URL, e.g. a calendar feed's), else the path.
 */
static const char *
log_path(const struct req *r)
{
	if (r->route != NULL && strstr(r->route->pattern, "{key}") != NULL)
		return r->route->pattern;
	return r->path ? r->path : "-";
}

void
server_handle(struct app *app, struct req *r, struct transport *t, struct buf *out)
{
	const struct req_env *env;
	size_t	 nenv;
	int64_t	 us;
	int	 rc;

	r->app = app;
	r->started = transport_started(t);	/* the accept's clock reading, not another */
	r->arena.limit = (size_t)app->cfg.max_body * 4 + 1024 * 1024;
	env = transport_params(t, &nenv);
	if ((rc = req_parse_params(r, env, nenv)) != 0) {
		if (r->path == NULL)
			r->path = "";
		resp_detail(r, rc, rc == 400 ? "Malformed request." : "A server error occurred.");
	} else if ((rc = dispatch_route(r)) == 0 && r->route != NULL &&
	    (rc = read_body(r, t)) == 0 && !transport_expired(t))
		rc = dispatch_run(r);
	if (transport_expired(t)) {
		/* the deadline passed while the body was read (logged): no handler, no answer */
		(void)transport_finish(t, NULL, 0);
		return;
	}
	if (r->status == 0)
		r->status = rc ? rc : 200;
	buf_reset(out);
	resp_serialize(r, out);
	if (out->oom) {
		buf_reset(out);
		buf_puts(out, "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json; charset=utf-8\r\n\r\n"
		    "{\"detail\":\"A server error occurred.\"}");
		r->status = 500;
		log_error("response too large or out of memory on %s", r->path);
	}
	/* the line is written before the answer leaves, as a client may look for it then */
	us = mono_us() - r->started;
	metrics_record(app, r, us);
	log_access(r->method_str ? r->method_str : "-", log_path(r), r->status, us, r->user.id);
	(void)transport_finish(t, out->p, out->len);
	/* a buffer grown by one huge response is given back */
	if (out->cap > 4 * 1024 * 1024)
		buf_free(out);
}
