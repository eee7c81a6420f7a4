/*
 * template: mustache subset compiled into a flat node array (the
 * renderer: template_render.c).
 *
 * A compiled template is its own copy of the source text plus an array of
 * nodes pointing into it.  A section node records the index just past its
 * body, so rendering walks the array and recurses only into section bodies
 * and partials; nothing is parsed or allocated at render time except the
 * growth of the output buffer.  Partials are referred to by slot: every name
 * a set has seen (as a template or as a partial) gets a stable slot index,
 * so a partial resolves in constant time and may be added after the
 * templates that use it, or replaced later.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* fileno, opendir */
#endif

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "template_int.h"

struct compiler {
	struct tmpl_set	*set;
	struct tmpl	*t;
	const char	*name;
	const char	*src;
	size_t		 len;
	char		*err;
	size_t		 errlen;
	const char	*otag, *ctag;	/* current delimiters */
	size_t		 olen, clen;
	size_t		 open[TMPL_MAX_NEST]; /* nodes of the open sections */
	size_t		 nopen;
};

/* One tag as the compiler sees it. */
struct tag {
	size_t		 start;		/* offset of the opening delimiter */
	size_t		 ls;		/* where the text before it ends */
	size_t		 after;		/* where the text after it starts */
	char		 sigil;		/* 0 or one of { & # ^ / ! > = */
	const char	*name;		/* trimmed, or the raw inside for ! and = */
	size_t		 n;
	int		 standalone;
};

#define DELIM_MAX	16		/* bytes of a set delimiter */
#define SHOWN(n)	((int)((n) > 64 ? 64 : (n))) /* %.*s width in messages */

static void	tmpl_free(struct tmpl *);

/* Returns the first occurrence of needle in hay, or NULL. */
static const char *
find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const char	*p, *end;

	if (nlen == 0 || hlen < nlen)
		return NULL;
	end = hay + (hlen - nlen);
	for (p = hay; p <= end; p++) {
		p = memchr(p, needle[0], (size_t)(end - p) + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
	}
	return NULL;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

long
tmpl_slot_find(const struct tmpl_set *set, const char *name, size_t n)
{
	size_t	 i;

	for (i = 0; i < set->nslots; i++)
		if (strncmp(set->slots[i].name, name, n) == 0 &&
		    set->slots[i].name[n] == '\0')
			return (long)i;
	return -1;
}

/* Returns the slot of name, creating an empty one; -1 when out of memory. */
static long
slot_intern(struct tmpl_set *set, const char *name, size_t n)
{
	struct slot	*ns;
	size_t		 ncap;
	long		 i;
	char		*copy;

	if ((i = tmpl_slot_find(set, name, n)) >= 0)
		return i;
	if (set->nslots == set->cap) {
		ncap = set->cap ? set->cap * 2 : 16;
		if (ncap > UINT32_MAX)
			return -1;
		if ((ns = realloc(set->slots, ncap * sizeof(*ns))) == NULL)
			return -1;
		set->slots = ns;
		set->cap = ncap;
	}
	if ((copy = malloc(n + 1)) == NULL)
		return -1;
	memcpy(copy, name, n);
	copy[n] = '\0';
	set->slots[set->nslots].name = copy;
	set->slots[set->nslots].t = NULL;
	return (long)set->nslots++;
}

/* Writes "name:line: message" for the source position pos; always returns -1. */
static int
cerr(struct compiler *c, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cerr(struct compiler *c, size_t pos, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 i, line = 1;
	int	 n;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	for (i = 0; i < pos && i < c->len; i++)
		if (c->src[i] == '\n')
			line++;
	n = snprintf(c->err, c->errlen, "%s:%zu: ", c->name, line);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends a node and returns it, or NULL when out of memory. */
static struct node *
node_add(struct compiler *c, enum ntype type, size_t pos)
{
	struct tmpl	*t = c->t;
	struct node	*nn;
	size_t		 ncap;

	if (t->nnodes == t->cap) {
		ncap = t->cap ? t->cap * 2 : 32;
		if (ncap > UINT32_MAX)
			return NULL;
		if ((nn = realloc(t->nodes, ncap * sizeof(*nn))) == NULL)
			return NULL;
		t->nodes = nn;
		t->cap = ncap;
	}
	nn = &t->nodes[t->nnodes++];
	memset(nn, 0, sizeof(*nn));
	nn->type = (unsigned char)type;
	nn->bol = pos == 0 || c->src[pos - 1] == '\n';
	return nn;
}

/* Adds the literal text [from, to) unless it is empty. */
static int
text_add(struct compiler *c, size_t from, size_t to)
{
	struct node	*nn;

	if (to <= from)
		return 0;
	if ((nn = node_add(c, N_TEXT, from)) == NULL)
		return cerr(c, from, "out of memory");
	nn->s = c->src + from;
	nn->n = to - from;
	return 0;
}

/*
 * Checks a tag name: "." or dot-separated non-empty parts (or, for a
 * partial, any word) without whitespace or NUL.
 */
static int
name_ok(const char *s, size_t n, int dotted)
{
	size_t	 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\0' || is_space(s[i]) || (unsigned char)s[i] < 0x20)
			return 0;
	if (!dotted || (n == 1 && s[0] == '.'))
		return 1;
	if (s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 0;
	return 1;
}

/* Parses the inside of a set-delimiter tag, "<% %>", into the new delimiters. */
static int
delims_parse(const char *s, size_t n, const char **o, size_t *olen,
    const char **cl, size_t *clen)
{
	size_t	 i = 0, a;

	while (i < n && is_space(s[i]))
		i++;
	for (a = i; i < n && !is_space(s[i]); i++)
		if (s[i] == '=')
			return -1;
	*o = s + a;
	*olen = i - a;
	while (i < n && is_space(s[i]))
		i++;
	for (a = i; i < n && !is_space(s[i]); i++)
		if (s[i] == '=')
			return -1;
	*cl = s + a;
	*clen = i - a;
	while (i < n && is_space(s[i]))
		i++;
	if (i != n || *olen == 0 || *clen == 0 || *olen > DELIM_MAX ||
	    *clen > DELIM_MAX)
		return -1;
	return 0;
}

/* Finds the end of the tag opening at start; reads its sigil and name into tg. */
static int
tag_scan(struct compiler *c, size_t start, struct tag *tg)
{
	const char	*src = c->src, *p;
	char		 needle[1 + DELIM_MAX];
	size_t		 body, end;

	memset(tg, 0, sizeof(*tg));
	tg->start = tg->ls = start;
	body = start + c->olen;
	if (body < c->len && src[body] != '\0' &&
	    strchr("{&#^/!>=", src[body]) != NULL)
		tg->sigil = src[body++];
	if (tg->sigil == '{') {		/* the closing delimiter after a '}' */
		needle[0] = '}';
		memcpy(needle + 1, c->ctag, c->clen);
		p = find(src + body, c->len - body, needle, c->clen + 1);
		tg->after = 1;
	} else
		p = find(src + body, c->len - body, c->ctag, c->clen);
	if (p == NULL)
		return cerr(c, start, "unclosed tag");
	end = (size_t)(p - src);
	tg->after += end + c->clen;
	if (tg->sigil == '=') {
		if (end == body || src[end - 1] != '=')
			return cerr(c, start, "invalid set-delimiter tag");
		end--;
	}
	tg->name = src + body;
	tg->n = end - body;
	if (tg->sigil == '!' || tg->sigil == '=')
		return 0;
	while (tg->n > 0 && is_space(tg->name[0]))
		tg->name++, tg->n--;
	while (tg->n > 0 && is_space(tg->name[tg->n - 1]))
		tg->n--;
	if (!name_ok(tg->name, tg->n, tg->sigil != '>'))
		return cerr(c, start, "invalid tag name '%.*s'", SHOWN(tg->n),
		    tg->name);
	return 0;
}

/*
 * Decides whether a block, comment, partial or delimiter tag stands alone on
 * its line (only blanks around it); if so the whole line, newline included,
 * goes: tg->ls moves back to the line start and tg->after past the newline.
 */
static void
tag_standalone(const struct compiler *c, size_t text, struct tag *tg)
{
	const char	*src = c->src;
	size_t		 ls = tg->start, q = tg->after;

	if (tg->sigil == 0 || tg->sigil == '{' || tg->sigil == '&')
		return;
	while (ls > text && is_blank(src[ls - 1]))
		ls--;
	if (ls > 0 && src[ls - 1] != '\n')
		return;
	while (q < c->len && is_blank(src[q]))
		q++;
	if (q < c->len && src[q] == '\n')
		q++;
	else if (q + 1 < c->len && src[q] == '\r' && src[q + 1] == '\n')
		q += 2;
	else if (q != c->len)
		return;
	tg->standalone = 1;
	tg->ls = ls;
	tg->after = q;
}

/* Ends the innermost open section with a close tag of the same name. */
static int
section_close(struct compiler *c, const struct tag *tg)
{
	struct node	*nn;

	if (c->nopen == 0)
		return cerr(c, tg->start, "close tag '%.*s' without an open "
		    "section", SHOWN(tg->n), tg->name);
	nn = &c->t->nodes[c->open[c->nopen - 1]];
	if (nn->n != tg->n || memcmp(nn->s, tg->name, tg->n) != 0)
		return cerr(c, tg->start, "close tag '%.*s' does not match "
		    "section '%.*s'", SHOWN(tg->n), tg->name, SHOWN(nn->n), nn->s);
	nn->end = (uint32_t)c->t->nnodes;
	c->nopen--;
	return 0;
}

/* Turns a scanned tag into its node, or into a change of compiler state. */
static int
tag_node(struct compiler *c, const struct tag *tg)
{
	struct node	*nn;
	enum ntype	 type;
	long		 slot = 0;

	switch (tg->sigil) {
	case '!':
		return 0;
	case '=':
		if (delims_parse(tg->name, tg->n, &c->otag, &c->olen, &c->ctag,
		    &c->clen) < 0)
			return cerr(c, tg->start, "invalid set-delimiter tag");
		return 0;
	case '/':
		return section_close(c, tg);
	case '#':
	case '^':
		if (c->nopen == TMPL_MAX_NEST)
			return cerr(c, tg->start, "sections nested too deeply");
		type = tg->sigil == '#' ? N_SECTION : N_INVERTED;
		break;
	case '>':
		if ((slot = slot_intern(c->set, tg->name, tg->n)) < 0)
			return cerr(c, tg->start, "out of memory");
		type = N_PARTIAL;
		break;
	default:
		type = tg->sigil != 0 ? N_RAW : N_VAR;
		break;
	}
	if ((nn = node_add(c, type, tg->start)) == NULL)
		return cerr(c, tg->start, "out of memory");
	nn->s = tg->name;
	nn->n = tg->n;
	nn->slot = (uint32_t)slot;
	if (tg->standalone) {		/* its line is gone: no indent for it */
		nn->bol = 0;
		nn->standalone = 1;
		nn->ind = c->src + tg->ls;
		nn->nind = tg->start - tg->ls;
	}
	if (type == N_SECTION || type == N_INVERTED)
		c->open[c->nopen++] = c->t->nnodes - 1;
	return 0;
}

/* Compiles c->src into c->t; 0, or -1 with the message in c->err. */
static int
compile(struct compiler *c)
{
	const char	*p;
	const struct node *nn;
	struct tag	 tg;
	size_t		 text = 0;

	c->otag = "{{";
	c->ctag = "}}";
	c->olen = c->clen = 2;
	while ((p = find(c->src + text, c->len - text, c->otag, c->olen)) !=
	    NULL) {
		if (tag_scan(c, (size_t)(p - c->src), &tg) < 0)
			return -1;
		tag_standalone(c, text, &tg);
		if (text_add(c, text, tg.ls) < 0 || tag_node(c, &tg) < 0)
			return -1;
		text = tg.after;
	}
	if (c->nopen > 0) {
		nn = &c->t->nodes[c->open[c->nopen - 1]];
		return cerr(c, (size_t)(nn->s - c->src), "unclosed section "
		    "'%.*s'", SHOWN(nn->n), nn->s);
	}
	return text_add(c, text, c->len);
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t->src);
	free(t);
}

struct tmpl_set *
tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *set)
{
	size_t	 i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nslots; i++) {
		free(set->slots[i].name);
		tmpl_free(set->slots[i].t);
	}
	free(set->slots);
	free(set);
}

int
tmpl_set_add(struct tmpl_set *set, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct compiler	 c;
	struct tmpl	*t = NULL;
	long		 slot;

	memset(&c, 0, sizeof(c));
	c.set = set;
	c.name = name != NULL ? name : "(null)";
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (set == NULL || name == NULL || name[0] == '\0' ||
	    (text == NULL && len > 0))
		return cerr(&c, 0, "invalid arguments");
	if (len > TMPL_MAX_SIZE)
		return cerr(&c, 0, "template larger than %u bytes",
		    TMPL_MAX_SIZE);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->src = malloc(len + 1)) == NULL)
		goto oom;
	if (len > 0)
		memcpy(t->src, text, len);
	t->src[len] = '\0';
	c.t = t;
	c.src = t->src;
	c.len = len;
	if (compile(&c) < 0)
		goto fail;
	if ((slot = slot_intern(set, name, strlen(name))) < 0)
		goto oom;
	tmpl_free(set->slots[slot].t);
	set->slots[slot].t = t;
	return 0;
oom:
	cerr(&c, 0, "out of memory");
fail:
	tmpl_free(t);
	return -1;
}

/* Reads a file of at most TMPL_MAX_SIZE bytes; NULL with errno on failure. */
static char *
file_read(const char *path, size_t *len)
{
	FILE		*f;
	struct stat	 st;
	char		*p = NULL;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(f), &st) < 0)
		goto out;
	if (st.st_size < 0 || (uintmax_t)st.st_size > TMPL_MAX_SIZE) {
		errno = EFBIG;
		goto out;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	n = fread(p, 1, (size_t)st.st_size + 1, f);
	if (ferror(f) || n > (size_t)st.st_size) {
		errno = ferror(f) ? EIO : EAGAIN;
		free(p);
		p = NULL;
		goto out;
	}
	*len = n;
out:
	fclose(f);
	return p;
}

int
tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err,
    size_t errlen)
{
	DIR		*d = NULL;
	struct dirent	*de;
	struct stat	 st;
	char		 path[4096], name[256], *text = NULL;
	size_t		 n, len = 0;
	int		 rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (set == NULL || dir == NULL)
		goto out;
	if ((d = opendir(dir)) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n <= 5 || strcmp(de->d_name + n - 5, ".html") != 0 ||
		    n - 5 >= sizeof(name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if ((text = file_read(path, &len)) == NULL) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
			goto out;
		}
		if (tmpl_set_add(set, name, text, len, err, errlen) < 0)
			goto out;
		free(text);
		text = NULL;
	}
	rc = 0;
out:
	free(text);
	if (d != NULL)
		closedir(d);
	return rc;
}
