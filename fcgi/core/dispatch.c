/* dispatch: the request pipeline from route to handler. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "request.h"
#include "router.h"

int
dispatch_route(struct req *r)
{
	struct app *app = r->app;
	const char *prefix = app->cfg.admin_prefix, *path = r->path;
	const struct route *table = app->api_routes;
	size_t	 n = app->n_api_routes, plen = strlen(prefix);
	unsigned allow = 0;
	char	 allow_s[96];
	int	 rc, pages = 0;

	if (app->admin_routes != NULL && strncmp(path, prefix, plen - 1) == 0 &&
	    (path[plen - 1] == '/' || path[plen - 1] == '\0')) {
		table = app->admin_routes;
		n = app->n_admin_routes;
		path = path[plen - 1] == '\0' ? "" : path + plen;
		pages = app->page_error != NULL;
	}
	rc = router_match(table, n, path, r->method, &r->route, r->ids,
	    REQ_MAX_IDS, &r->nids, &allow);
	if (rc == 404)
		return pages ? app->page_error(r, 404) : resp_detail(r, 404, "Not found.");
	if (rc == 405)
		router_allow_str(allow, allow_s, sizeof(allow_s));
	if (rc == 405 && r->method == M_OPTIONS) {
		resp_header(r, "Allow", allow_s);
		r->route = NULL;
		r->status = 200;
		buf_puts(&r->body_out, "{}");
		return 200;
	}
	if (rc == 405) {
		char	 msg[96];
		size_t	 ml = strlen(r->method_str);

		resp_header(r, "Allow", allow_s);
		if (pages)
			return app->page_error(r, 405);
		snprintf(msg, sizeof(msg), "Method \"%.*s\" not allowed.",
		    (int)(ml > 16 ? 16 : ml), r->method_str);
		resp_detail(r, 405, msg);
		r->status = 405;
		return 405;
	}
	if (!app->schema_ok && !(r->route->flags & R_ANY_SCHEMA))
		return resp_detail(r, 503, "The database is not ready; "
		    "the administrator must run 'taskmgr migrate'.");
	return 0;
}

static int
is_unsafe(enum method m)
{
	return m != M_GET && m != M_HEAD && m != M_OPTIONS;
}

/* Checks the body's media type against what the route reads; 0 or 415. */
static int
check_media_type(struct req *r)
{
	const char *ct = r->content_type ? r->content_type : "";
	const char *want = (r->route->flags & R_FORM) ?
	    "application/x-www-form-urlencoded" : "application/json";
	size_t	 wl = strlen(want);
	char	 msg[160];

	if (r->body_len == 0)
		return 0;
	if (strncasecmp(ct, want, wl) == 0 && (ct[wl] == '\0' || ct[wl] == ';' || ct[wl] == ' '))
		return 0;
	snprintf(msg, sizeof(msg), "Unsupported media type \"%.100s\" in request.", ct);
	return resp_detail(r, 415, msg);
}

/*
 * Everything before the handler: authentication, permissions, CSRF, the rate
 * limit, the body's media type and JSON.  0 to go on, else the answer's status.
 */
static int
dispatch_checks(struct req *r)
{
	struct app *app = r->app;
	unsigned flags = r->route->flags;
	int	 rc;

	if (!(flags & R_NO_AUTH) && app->authenticate != NULL &&
	    (rc = app->authenticate(r)) != 0)
		return rc >= 500 ? dispatch_fail(r, rc) : rc;
	/* the caller's zone, else the time_zone setting: a pointer, no lookup */
	r->zone = r->user.zone != NULL ? r->user.zone : app->cfg.tz;
	if ((flags & (R_AUTH | R_STAFF)) && r->user.id == 0) {
		if ((flags & R_HTML) && app->login_redirect != NULL)
			return app->login_redirect(r);
		return resp_detail(r, 401, "Authentication credentials were not provided.");
	}
	if ((flags & R_STAFF) && !r->user.is_staff) {
		if ((flags & R_HTML) && app->login_redirect != NULL)
			return app->login_redirect(r);
		return resp_detail(r, 403, "You do not have permission to perform this action.");
	}
	if (r->user.via == VIA_COOKIE && is_unsafe(r->method) && !(flags & R_NO_CSRF) &&
	    !(flags & R_FORM)) {
		if (r->csrf_header == NULL || r->user.csrf == NULL ||
		    !str_ct_equal(r->csrf_header, r->user.csrf))
			return resp_detail(r, 403, "CSRF Failed: CSRF token missing or incorrect.");
	}
	if (!(flags & R_NO_THROTTLE) && app->throttle != NULL &&
	    (rc = app->throttle(r)) != 0)
		return rc >= 500 ? dispatch_fail(r, rc) : rc;
	if ((rc = check_media_type(r)) != 0)
		return rc;
	if (!(flags & R_FORM) && (r->method & (M_POST | M_PUT | M_PATCH)) &&
	    (rc = json_parse_body(r)) != 0)
		return rc;
	return 0;
}

int
dispatch_run(struct req *r)
{
	struct app *app = r->app;
	int	 rc, reading;

	if (app->housekeep != NULL && app->schema_ok && !(r->route->flags & R_ANY_SCHEMA))
		app->housekeep(app);
	/*
	 * A safe request reads one snapshot under one lock, from the credentials
	 * to the answer (no check on the way writes to the database).
	 */
	reading = (r->method & (M_GET | M_HEAD)) != 0 && app->schema_ok;
	if (reading)
		(void)db_read_begin(&app->db);
	if ((rc = dispatch_checks(r)) != 0) {
		if (reading)
			db_read_end(&app->db);
		return rc;
	}
	rc = r->route->fn(r);
	if (reading)
		db_read_end(&app->db);
	/* a 500 never shows its cause; a 503 keeps a body its handler wrote */
	if (rc == 500 || (rc >= 500 && r->body_out.len == 0))
		return dispatch_fail(r, rc);
	r->status = rc;
	return rc;
}

int
dispatch_fail(struct req *r, int status)
{
	struct app *app = r->app;
	int	 page = app->page_error != NULL && r->route != NULL &&
	    (r->route->flags & R_HTML);

	if (db_is_open(&app->db))
		db_rollback(&app->db);
	buf_reset(&r->headers);
	if (status == 503)
		resp_header(r, "Retry-After", "1");
	status = status == 503 ? 503 : 500;
	/* an admin page answers with its HTML error page, else the JSON body */
	r->status = 0;
	if (page && app->page_error(r, status) == status && r->status == status)
		return status;
	r->status = 0;
	buf_reset(&r->body_out);
	buf_reset(&r->headers);
	r->out_type = NULL;
	r->cache_control = NULL;
	if (status == 503) {
		resp_header(r, "Retry-After", "1");
		return resp_detail(r, 503, "The service is busy; try again.");
	}
	return resp_detail(r, 500, "A server error occurred.");
}
