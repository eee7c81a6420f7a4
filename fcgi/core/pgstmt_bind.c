/*
 * pgstmt_bind: a statement's bindings on PostgreSQL (pgstmt.h): kept as
 * they are bound, typed and put on the wire as the prepared types want.
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "dbstmt.h"
#include "pgstmt.h"
#include "pgstmt_int.h"

/* Drops st's bindings: every parameter NULL. */
void
pgst_clear_params(struct pgstmt *st)
{
	int	 i;

	for (i = 0; i < st->nparams; i++) {
		free(st->par[i].p);
		memset(&st->par[i], 0, sizeof(st->par[i]));
	}
}

/* The parameter i (from 1) of d, its old value dropped; NULL when out of range. */
static struct param *
param(struct dbstmt *d, int i)
{
	struct pgstmt *st = (struct pgstmt *)d;
	struct param *p;

	if (i < 1 || i > st->nparams)
		return NULL;
	p = &st->par[i - 1];
	free(p->p);
	memset(p, 0, sizeof(*p));
	return p;
}

int
pgst_bind_i64(struct dbstmt *d, int i, int64_t v)
{
	struct param *p = param(d, i);

	if (p == NULL)
		return SQLITE_RANGE;
	p->kind = P_I64;
	p->i = v;
	return DB_RC_OK;
}

int
pgst_bind_double(struct dbstmt *d, int i, double v)
{
	struct param *p = param(d, i);

	if (p == NULL)
		return SQLITE_RANGE;
	p->kind = P_DOUBLE;
	p->d = v;
	return DB_RC_OK;
}

/* Binds a copy of n bytes at s (n < 0: up to the NUL) as kind. */
static int
bind_bytes(struct dbstmt *d, int i, const void *s, int n, enum pkind kind)
{
	struct param *p = param(d, i);

	if (p == NULL)
		return SQLITE_RANGE;
	if (s == NULL)
		return DB_RC_OK;	/* SQLite binds NULL too */
	if (n < 0)
		n = (int)strlen(s);
	if ((p->p = malloc((size_t)n + 1)) == NULL)
		return DB_RC_NOMEM;
	memcpy(p->p, s, (size_t)n);
	p->p[n] = '\0';
	p->n = n;
	p->kind = kind;
	return DB_RC_OK;
}

int
pgst_bind_text(struct dbstmt *d, int i, const char *s, int n)
{
	return bind_bytes(d, i, s, n, P_TEXT);
}

int
pgst_bind_blob(struct dbstmt *d, int i, const void *p, int n)
{
	return bind_bytes(d, i, p, n, P_BLOB);
}

int
pgst_bind_null(struct dbstmt *d, int i)
{
	return param(d, i) == NULL ? SQLITE_RANGE : DB_RC_OK;
}

int
pgst_bind_count(struct dbstmt *d)
{
	return ((struct pgstmt *)d)->nparams;
}

/* The type a binding of kind k is prepared as; 0 leaves it to PostgreSQL. */
Oid
pgst_kind_oid(enum pkind k)
{
	switch (k) {
	case P_I64:	return OID_INT8;
	case P_DOUBLE:	return OID_FLOAT8;
	case P_TEXT:	return OID_TEXT;
	case P_BLOB:	return OID_BYTEA;
	default:	return 0;
	}
}

/* Fills vals, lens and fmts with the bindings as the prepared types want them. */
void
pgst_wire(struct pgstmt *st, const char **vals, int *lens, int *fmts)
{
	int	 i;

	for (i = 0; i < st->nparams; i++) {
		struct param *p = &st->par[i];
		Oid	 t = st->types[i];
		uint64_t be;

		vals[i] = NULL;
		lens[i] = 0;
		fmts[i] = 0;
		/* a ?N the text skips is a NULL of its type, whatever it was bound to */
		if (st->unused[i])
			continue;
		switch (p->kind) {
		case P_NULL:
			break;
		case P_I64:
		case P_DOUBLE:
			if ((t == OID_INT8 && p->kind == P_I64) ||
			    (t == OID_FLOAT8 && p->kind == P_DOUBLE)) {
				if (p->kind == P_I64)
					be = (uint64_t)p->i;
				else
					memcpy(&be, &p->d, 8);
				be = htobe64(be);
				memcpy(p->wire, &be, 8);
				lens[i] = 8;
				fmts[i] = 1;
			} else if (p->kind == P_I64)
				snprintf(p->wire, sizeof(p->wire), "%lld", (long long)p->i);
			else
				snprintf(p->wire, sizeof(p->wire), "%.17g", p->d);
			vals[i] = p->wire;
			break;
		case P_TEXT:
		case P_BLOB:
			vals[i] = p->p;
			lens[i] = p->n;
			/* bytes for a bytea; text as text, whatever the type */
			fmts[i] = t == OID_BYTEA || (t == 0 && p->kind == P_BLOB);
			break;
		}
	}
}
