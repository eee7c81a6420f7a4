/*
 * template: a mustache subset, compiled once and rendered from a cJSON context.
 *
 * Supported: {{name}} (HTML-escaped), {{{name}}} and {{& name}} (raw, the
 * visibly different spelling), dotted names a.b.c, the implicit iterator
 * {{.}}, sections {{#x}}...{{/x}}, inverted sections {{^x}}...{{/x}},
 * comments {{! ... }}, partials {{> name}} (standalone ones indent every
 * line of the partial), set delimiters {{=<% %>=}}, and the standalone-line
 * whitespace rules of the mustache spec.  Lambdas are not supported.
 *
 * Values: strings print as they are, numbers in their shortest round-trip
 * form (1 prints "1", 1.21 prints "1.21"), true and false as "true" and
 * "false"; null, a missing name, objects and arrays print nothing.
 * Sections: false, null, a missing name, an empty array, an empty string and
 * the number 0 are falsey (as in mustache.js); a non-empty array renders the
 * body once per element with the element pushed on the context stack; any
 * other value renders the body once with the value pushed.
 *
 * Limits: sections nest at most TMPL_MAX_NEST deep in one template (deeper is
 * a compile error); at render time partials nest at most
 * TMPL_MAX_PARTIAL_DEPTH deep and the context stack holds at most
 * TMPL_MAX_DEPTH values; whatever lies deeper renders as empty, like a
 * missing partial, so no template or context can exhaust the C stack.  One
 * render visits at most TMPL_MAX_STEPS nodes, so a partial that recurses
 * through a section over a fallback list (a tree whose leaves lack the
 * children key finds their parent's) fails instead of running for ages.
 *
 * Ownership: a struct tmpl_set owns every compiled template in it, including
 * its own copy of the template text and of every name; tmpl_set_free()
 * releases all of it.  Callers keep ownership of the text, name, context and
 * output buffer they pass in; the context is only read during tmpl_render().
 * Rendering allocates nothing but the growth of the output buffer.
 */
#ifndef TASKMGR_TEMPLATE_H
#define TASKMGR_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"

#define TMPL_MAX_NEST		100	/* section nesting inside one template */
#define TMPL_MAX_PARTIAL_DEPTH	64	/* partials within partials at render time */
#define TMPL_MAX_DEPTH		256	/* context stack and render recursion */
#define TMPL_MAX_STEPS		(2ul * 1024ul * 1024ul) /* nodes one render visits */
#define TMPL_MAX_SIZE		(16u * 1024u * 1024u) /* bytes of one template */

struct tmpl_set;	/* a named collection of compiled templates */

/* Returns a new empty set (NULL when out of memory) for tmpl_set_free(). */
struct tmpl_set	*tmpl_set_new(void);

/* Releases the set and every template in it; NULL is a no-op. */
void		 tmpl_set_free(struct tmpl_set *);

/*
 * Compiles len bytes of text under name, replacing a template of the same
 * name only when the new one compiles.  Returns 0, or -1 with a message
 * "name:line: what" in err (when err is not NULL and errlen > 0).
 */
int		 tmpl_set_add(struct tmpl_set *, const char *name,
		    const char *text, size_t len, char *err, size_t errlen);

/*
 * Compiles every regular *.html file of dir under its file name without
 * ".html", the name a partial {{> name}} refers to.  Returns 0, or -1 with
 * a message in err at the first file that cannot be read or compiled (files
 * added before it stay in the set).
 */
int		 tmpl_set_load_dir(struct tmpl_set *, const char *dir,
		    char *err, size_t errlen);

/*
 * Renders template name with ctx (NULL is an empty context) and appends the
 * result to out.  Returns 0, or -1 when there is no template of that name,
 * out->oom is set, or the render ran past TMPL_MAX_STEPS (out then holds a
 * partial result).  Never reads outside ctx, whatever its shape.
 */
int		 tmpl_render(const struct tmpl_set *, const char *name,
		    const cJSON *ctx, struct buf *out);

#endif
