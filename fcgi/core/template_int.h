/*
 * template_int: the compiled form of templates, shared by the compiler
 * (template.c) and the renderer (template_render.c); not for other callers.
 */
#ifndef TASKMGR_TEMPLATE_INT_H
#define TASKMGR_TEMPLATE_INT_H

#include <stddef.h>
#include <stdint.h>

enum ntype {
	N_TEXT,		/* literal text */
	N_VAR,		/* {{name}}, escaped */
	N_RAW,		/* {{{name}}} or {{& name}} */
	N_SECTION,	/* {{#name}} */
	N_INVERTED,	/* {{^name}} */
	N_PARTIAL	/* {{> name}} */
};

struct node {
	unsigned char	 type;		/* enum ntype */
	unsigned char	 bol;		/* starts a line of the source */
	unsigned char	 standalone;	/* partials: the tag stood alone on its line */
	uint32_t	 end;		/* sections: index just past the body */
	uint32_t	 slot;		/* partials: slot in the set */
	const char	*s;		/* text, or the name */
	size_t		 n;
	const char	*ind;		/* standalone partials: the indentation */
	size_t		 nind;
};

struct tmpl {
	char		*src;
	struct node	*nodes;
	size_t		 nnodes, cap;
};

struct slot {
	char		*name;
	struct tmpl	*t;		/* NULL while only referred to */
};

struct tmpl_set {
	struct slot	*slots;
	size_t		 nslots, cap;
};

/* Looks a name up among the set's slots; the index, or -1. */
long	 tmpl_slot_find(const struct tmpl_set *, const char *name, size_t n);

#endif
