/*
 * admin: the staff pages, server-rendered HTML behind the session login.
 * Routes are matched on the path below admin_prefix ("" is the index).
 */
#ifndef TASKMGR_ADMIN_H
#define TASKMGR_ADMIN_H

#include <stddef.h>

#include "router.h"

struct app;
struct req;

extern const struct route admin_routes[];
extern const size_t n_admin_routes;

/* Compiles the templates of cfg.templates_dir into app->tmpl, once per process; -1 with err. */
int	 admin_load_templates(struct app *, char *err, size_t errlen);
/* The hook for a 404 or 405 below admin_prefix, a 500 or 503 of a page: an HTML error page. */
int	 admin_page_error(struct req *, int status);
/* The hook for anonymous (or non-staff) requests: 302 to login/?next=<path>. */
int	 admin_login_redirect(struct req *);

#endif
