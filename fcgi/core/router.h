/*
 * router: a static table of routes (method set, pattern, handler, needs).
 * A pattern is a path whose segments are literal or "{id}" (one or more
 * ASCII digits fitting in int64); "{key}" matches 1 to ROUTER_KEY_MAX
 * base64url characters (A-Z a-z 0-9 - _), which the handler reads from the
 * path itself (a secret in a URL, e.g. a calendar feed's).  Unknown path, wrong method and missing
 * authentication are answered before any handler runs.
 */
#ifndef TASKMGR_ROUTER_H
#define TASKMGR_ROUTER_H

#include <stddef.h>
#include <stdint.h>

struct req;

#define ROUTER_KEY_MAX	64

/* A handler writes r->body_out (or calls resp_*) and returns the HTTP status. */
typedef int (*handler_fn)(struct req *);

#define R_AUTH		0x01	/* an authenticated, active user */
#define R_STAFF		0x02	/* ... who is staff */
#define R_NO_CSRF	0x04	/* unsafe methods by cookie need no CSRF token */
#define R_NO_THROTTLE	0x08	/* not rate limited */
#define R_FORM		0x10	/* body is a form (admin pages), not JSON */
#define R_HTML		0x20	/* an HTML page: session cookie only; anonymous -> login */
#define R_NO_AUTH	0x40	/* credentials are not looked at (bot secret routes) */
#define R_ANY_SCHEMA	0x80	/* runs even when the database is not ready (health) */

struct route {
	unsigned	 methods;	/* enum method bits */
	const char	*pattern;
	handler_fn	 fn;
	unsigned	 flags;
};

/*
 * Finds the route for path and method.  Returns 0 with *out set and the
 * {id} values in ids (at most maxids), 404 when no pattern matches, or 405
 * with *allow set to the methods the path accepts.
 */
int	 router_match(const struct route *table, size_t n, const char *path,
	    unsigned method, const struct route **out, int64_t *ids,
	    size_t maxids, size_t *nids, unsigned *allow);
/* Parses a path id: one or more ASCII digits, no sign, within int64; -1 otherwise. */
int	 parse_id(const char *s, size_t n, int64_t *out);
/* Writes "GET, POST, ..." for a method set into out. */
void	 router_allow_str(unsigned methods, char *out, size_t outlen);

#endif
