/*
 * form: an application/x-www-form-urlencoded body (an HTML form post)
 * decoded into name/value pairs kept in the request's arena.
 *
 * Unlike the query string (r->params, at most REQ_MAX_PARAMS), a form may
 * carry many fields, e.g. one row of inputs per object of a page; the caller
 * states the limit.  Repeated names are kept in order.
 */
#ifndef TASKMGR_FORM_H
#define TASKMGR_FORM_H

#include <stddef.h>

#include "request.h"

struct form {
	struct kv	*f;	/* arena-owned pairs, NUL-free values */
	size_t		 n;
};

/*
 * Decodes len bytes of s ('+' as space, %XX escapes) into out, with at most
 * max fields.  Returns 0, or -1 for a bad escape, a NUL byte in a name or a
 * value, more than max fields, or no memory; out is then empty.
 */
int	 form_parse(struct arena *, const char *s, size_t len, size_t max,
	    struct form *out);
/* The first value of name, or NULL when the form has no such field. */
const char *form_get(const struct form *, const char *name);
/*
 * The first value of name trimmed of leading and trailing whitespace
 * (utf8_strip), as Django's form fields strip text; arena-owned, NULL when
 * the form has no such field.
 */
const char *form_text(struct arena *, const struct form *, const char *name);
/* 1 when the form has a field name (a ticked checkbox), else 0. */
int	 form_has(const struct form *, const char *name);

#endif
