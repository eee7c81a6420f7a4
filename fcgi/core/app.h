/*
 * app: what lives for the whole process: configuration, the database
 * connection, compiled templates, the route tables and the hooks through
 * which core/ calls the application's authentication and rate limits
 * without knowing about users.
 */
#ifndef TASKMGR_APP_H
#define TASKMGR_APP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "router.h"

struct bot;
struct ratemap;
struct req;
struct task_cache;
struct tmpl_set;

struct app {
	struct config	 cfg;
	struct db	 db;
	struct tmpl_set	*tmpl;
	int		 schema_ok;
	int64_t		 last_check;	/* mono_us() of the last schema re-check */
	struct ratemap	*limits;	/* the shared rate-limit state (<database>-limits) */
	int64_t		 last_purge;	/* mono_us() of the last purge of expired rows */

	/*
	 * Process state of the application, opaque here: set up by app_open
	 * and freed by app_close (fcgi/bin/common.c).  tasks: the task pages'
	 * marks and search plan (domain/task_pages.h); bot: the webhook's bot,
	 * opened on its first update (telegram/bot.h), else NULL.
	 */
	struct task_cache *tasks;
	struct bot	*bot;

	const struct route *api_routes;
	size_t		 n_api_routes;
	const struct route *admin_routes;	/* matched on the path below admin_prefix */
	size_t		 n_admin_routes;

	/*
	 * Looks at the request's credentials and fills r->user.  Returns 0
	 * (anonymous or authenticated) or an HTTP status with the body set
	 * (401 for credentials that are present but not valid).
	 */
	int		(*authenticate)(struct req *);
	/* Returns 0, or 429 with the body and Retry-After set. */
	int		(*throttle)(struct req *);
	/* Answers an anonymous request for an R_HTML route (a redirect to login). */
	int		(*login_redirect)(struct req *);
	/*
	 * Answers a 404 or 405 for a path under admin_prefix, or a 500 or 503
	 * for an R_HTML route, as an HTML page (Allow is already set for a
	 * 405, Retry-After for a 503); returns status and sets r->status when
	 * the page was rendered, else 500.  NULL: the JSON answers.
	 */
	int		(*page_error)(struct req *, int status);
	/*
	 * Periodic housekeeping, called before every request to a route that
	 * needs the schema (not the health probe); the hook itself decides
	 * how rarely it does any work.  NULL: none.
	 */
	void		(*housekeep)(struct app *);
};

/*
 * The request pipeline, in two steps around reading the body:
 * dispatch_route() matches the route (404, 405, 503 for an old schema),
 * dispatch_run() authenticates, checks CSRF, throttles, parses the body and
 * runs the handler.  Each returns the final status; the response is in r.
 */
int	 dispatch_route(struct req *);
int	 dispatch_run(struct req *);
/*
 * Rolls back what a failed handler left open and sets a bland 500 (or 503)
 * body, the HTML error page for an R_HTML route; never shows the cause.
 */
int	 dispatch_fail(struct req *, int status);

#endif
