/*
 * template_render: renders a compiled template (template_int.h) from a
 * cJSON context.  Rendering walks the node array and recurses only into
 * section bodies and partials; it allocates nothing but the growth of the
 * output buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "template_int.h"

/* The indentation of the standalone partials being rendered, innermost first. */
struct indent {
	const char		*s;
	size_t			 n;
	const struct indent	*up;
};

struct render {
	const struct tmpl_set	*set;
	struct buf		*out;
	const cJSON		*stack[TMPL_MAX_DEPTH];
	int			 sp;		/* values on the stack */
	int			 depth;		/* render_nodes() recursion */
	int			 pdepth;	/* partials being rendered */
	unsigned long		 steps;		/* nodes visited */
	int			 stop;		/* output failed or TMPL_MAX_STEPS hit */
};

static void	render_nodes(struct render *, const struct tmpl *, size_t,
		    size_t, const struct indent *);

/* Finds key [k, k+n) in object o, first match as in cJSON; NULL when absent. */
static const cJSON *
obj_get(const cJSON *o, const char *k, size_t n)
{
	const cJSON	*c;

	if (o == NULL || !cJSON_IsObject(o))
		return NULL;
	for (c = o->child; c != NULL; c = c->next)
		if (c->string != NULL && strncmp(c->string, k, n) == 0 &&
		    c->string[n] == '\0')
			return c;
	return NULL;
}

/*
 * Resolves a name against the context stack: "." is the top; otherwise the
 * first part is looked up from the top down and the other parts inside it.
 */
static const cJSON *
lookup(const struct render *r, const char *s, size_t n)
{
	const cJSON	*v = NULL;
	const char	*dot;
	size_t		 k;
	int		 i;

	if (n == 1 && s[0] == '.')
		return r->sp > 0 ? r->stack[r->sp - 1] : NULL;
	dot = memchr(s, '.', n);
	k = dot != NULL ? (size_t)(dot - s) : n;
	for (i = r->sp - 1; i >= 0 && v == NULL; i--)
		v = obj_get(r->stack[i], s, k);
	while (v != NULL && dot != NULL) {
		s = dot + 1;
		n -= k + 1;
		dot = memchr(s, '.', n);
		k = dot != NULL ? (size_t)(dot - s) : n;
		v = obj_get(v, s, k);
	}
	return v;
}

/* Whether a section over v renders (mustache.js rules, see template.h). */
static int
truthy(const cJSON *v)
{
	if (v == NULL || cJSON_IsInvalid(v) || cJSON_IsFalse(v) ||
	    cJSON_IsNull(v))
		return 0;
	if (cJSON_IsArray(v))
		return v->child != NULL;
	if (cJSON_IsString(v))
		return v->valuestring != NULL && v->valuestring[0] != '\0';
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0 && v->valuedouble == v->valuedouble;
	return 1;
}

/* Appends d in its shortest form that reads back as the same double. */
static void
put_number(struct buf *out, double d)
{
	char	 tmp[40];
	int	 prec, n = 0;

	if (d >= -9.2e18 && d <= 9.2e18 && (double)(int64_t)d == d) {
		buf_int(out, (int64_t)d);
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (n > 0 && (size_t)n < sizeof(tmp))
		buf_add(out, tmp, (size_t)n);
}

/* Appends the value of v, escaped for HTML text unless raw. */
static void
put_value(struct buf *out, const cJSON *v, int raw)
{
	const char	*s = NULL;

	if (v == NULL)
		return;
	if (cJSON_IsString(v) || cJSON_IsRaw(v))
		s = v->valuestring;
	else if (cJSON_IsNumber(v)) {
		put_number(out, v->valuedouble);
		return;
	} else if (cJSON_IsTrue(v))
		s = "true";
	else if (cJSON_IsFalse(v))
		s = "false";
	if (s == NULL)
		return;
	if (raw)
		buf_puts(out, s);
	else
		buf_html(out, s, strlen(s));
}

/* Appends the indentation of the enclosing standalone partials, outer first. */
static void
put_indent(struct buf *out, const struct indent *ind)
{
	if (ind == NULL)
		return;
	put_indent(out, ind->up);
	buf_add(out, ind->s, ind->n);
}

/* Appends literal text, indenting every non-empty line that starts in it. */
static void
put_text(struct buf *out, const char *s, size_t n, int bol,
    const struct indent *ind)
{
	const char	*e = s + n, *nl;

	if (ind == NULL) {
		buf_add(out, s, n);
		return;
	}
	while (s < e) {
		if (bol && *s != '\n' && !(*s == '\r' && s + 1 < e &&
		    s[1] == '\n'))
			put_indent(out, ind);
		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL) {
			buf_add(out, s, (size_t)(e - s));
			return;
		}
		buf_add(out, s, (size_t)(nl + 1 - s));
		s = nl + 1;
		bol = 1;
	}
}

/* Renders the body of a section node once with v pushed on the context stack. */
static void
render_pushed(struct render *r, const struct tmpl *t, size_t i,
    const cJSON *v, const struct indent *ind)
{
	if (r->sp == TMPL_MAX_DEPTH)
		return;
	r->stack[r->sp++] = v;
	render_nodes(r, t, i + 1, t->nodes[i].end, ind);
	r->sp--;
}

/* Renders a partial node: standalone ones add their indentation to every line. */
static void
render_partial(struct render *r, const struct node *nd,
    const struct indent *ind)
{
	const struct tmpl	*p;
	struct indent		 mine;

	if (nd->slot >= r->set->nslots ||
	    (p = r->set->slots[nd->slot].t) == NULL ||
	    r->pdepth >= TMPL_MAX_PARTIAL_DEPTH)
		return;
	if (!nd->standalone)
		ind = NULL;
	else if (nd->nind > 0) {
		mine.s = nd->ind;
		mine.n = nd->nind;
		mine.up = ind;
		ind = &mine;
	}
	r->pdepth++;
	render_nodes(r, p, 0, p->nnodes, ind);
	r->pdepth--;
}

/*
 * Renders nodes [from, to) of t; stops for good once the output fails or
 * TMPL_MAX_STEPS nodes have been visited.
 */
static void
render_nodes(struct render *r, const struct tmpl *t, size_t from, size_t to,
    const struct indent *ind)
{
	const struct node	*nd;
	const cJSON		*v, *e;
	size_t			 i;

	if (r->depth >= TMPL_MAX_DEPTH)
		return;
	r->depth++;
	for (i = from; i < to && !r->stop; i++) {
		if (r->out->oom || ++r->steps > TMPL_MAX_STEPS) {
			r->stop = 1;
			break;
		}
		nd = &t->nodes[i];
		if (ind != NULL && nd->bol && nd->type != N_TEXT)
			put_indent(r->out, ind);
		switch (nd->type) {
		case N_TEXT:
			put_text(r->out, nd->s, nd->n, nd->bol, ind);
			break;
		case N_VAR:
		case N_RAW:
			put_value(r->out, lookup(r, nd->s, nd->n),
			    nd->type == N_RAW);
			break;
		case N_SECTION:
			v = lookup(r, nd->s, nd->n);
			if (!truthy(v))
				;
			else if (cJSON_IsArray(v))
				for (e = v->child; e != NULL && !r->stop;
				    e = e->next)
					render_pushed(r, t, i, e, ind);
			else
				render_pushed(r, t, i, v, ind);
			i = nd->end - 1;
			break;
		case N_INVERTED:
			if (!truthy(lookup(r, nd->s, nd->n)))
				render_nodes(r, t, i + 1, nd->end, ind);
			i = nd->end - 1;
			break;
		case N_PARTIAL:
			render_partial(r, nd, ind);
			break;
		}
	}
	r->depth--;
}

int
tmpl_render(const struct tmpl_set *set, const char *name, const cJSON *ctx,
    struct buf *out)
{
	struct render	 r;
	long		 slot;

	if (set == NULL || name == NULL || out == NULL || out->oom)
		return -1;
	if ((slot = tmpl_slot_find(set, name, strlen(name))) < 0 ||
	    set->slots[slot].t == NULL)
		return -1;
	r.set = set;
	r.out = out;
	r.sp = 0;
	r.depth = 0;
	r.pdepth = 0;
	r.steps = 0;
	r.stop = 0;
	if (ctx != NULL)
		r.stack[r.sp++] = ctx;
	render_nodes(&r, set->slots[slot].t, 0, set->slots[slot].t->nnodes,
	    NULL);
	return r.stop || out->oom ? -1 : 0;
}
