/*
 * pgcols: the columns of a statement's current row on PostgreSQL
 * (pgstmt.h): the text results converted as SQLite converts its values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "dbstmt.h"
#include "pgstmt.h"
#include "pgstmt_int.h"

/* The text of column c of the current row, NULL for NULL or no row. */
static const char *
value(struct pgstmt *st, int c)
{
	if (st->res == NULL || st->row >= st->nrows || c < 0 || c >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, c))
		return NULL;
	return PQgetvalue(st->res, st->row, c);
}

int64_t
pgst_col_i64(struct dbstmt *d, int c)
{
	struct pgstmt *st = (struct pgstmt *)d;
	const char *v = value(st, c);

	if (v == NULL)
		return 0;
	if (PQftype(st->res, c) == OID_BOOL)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

double
pgst_col_double(struct dbstmt *d, int c)
{
	struct pgstmt *st = (struct pgstmt *)d;
	const char *v = value(st, c);

	if (v == NULL)
		return 0;
	if (PQftype(st->res, c) == OID_BOOL)
		return *v == 't';
	return strtod(v, NULL);
}

/* The text of column c, a bytea decoded (kept in st->blob until the next). */
const char *
pgst_col_str(struct dbstmt *d, int c)
{
	struct pgstmt *st = (struct pgstmt *)d;
	const char *v = value(st, c);
	unsigned char *b;
	size_t	 n;

	if (v == NULL || PQftype(st->res, c) != OID_BYTEA)
		return v;
	if ((b = PQunescapeBytea((const unsigned char *)v, &n)) == NULL)
		return NULL;
	free(st->blob);
	if ((st->blob = malloc(n + 1)) == NULL) {
		PQfreemem(b);
		return NULL;
	}
	memcpy(st->blob, b, n);
	st->blob[n] = '\0';
	st->bloblen = n;
	PQfreemem(b);
	return st->blob;
}

int
pgst_col_bytes(struct dbstmt *d, int c)
{
	struct pgstmt *st = (struct pgstmt *)d;
	const char *v = value(st, c);

	if (v == NULL)
		return 0;
	if (PQftype(st->res, c) == OID_BYTEA)
		return pgst_col_str(d, c) ? (int)st->bloblen : 0;
	return PQgetlength(st->res, st->row, c);
}

int
pgst_col_isnull(struct dbstmt *d, int c)
{
	return value((struct pgstmt *)d, c) == NULL;
}
