/*
 * pgstmt_int: what pgstmt.c, pgstmt_bind.c and pgcols.c share of a
 * statement on PostgreSQL (pgstmt.h); nothing else includes it.
 */
#ifndef TASKMGR_PGSTMT_INT_H
#define TASKMGR_PGSTMT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* the types of pg_type the bindings name */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_FLOAT8	701
#define OID_TEXT	25

enum pkind { P_NULL, P_I64, P_DOUBLE, P_TEXT, P_BLOB };

struct param {
	enum pkind	 kind;
	int64_t		 i;
	double		 d;
	char		*p;		/* P_TEXT, P_BLOB: a copy, NUL-terminated */
	int		 n;
	char		 wire[32];	/* what is sent: 8 bytes big-endian, or the text of a number */
};

struct pgstmt {
	char		*text;		/* the SQL, with $N */
	char		 name[16];	/* the prepared statement's, "" until prepared */
	int		 nparams;
	Oid		*types;		/* from the first binding of each, at preparation */
	unsigned char	*unused;	/* 1: ?N is not in the text (a text built at run time) */
	struct param	*par;
	PGresult	*res;		/* the rows of the step in progress */
	int		 row, nrows;
	int		 returning;	/* " RETURNING id" appended (pgst_insert_id) */
	int		 custom;	/* planned for its values at each run (pgstmt.h) */
	int		 reads;		/* a SELECT that writes nothing (pgstmt.c's reads()) */
	char		*blob;		/* the decoded bytea of the last db_col_blob */
	size_t		 bloblen;
};

/* pgstmt_bind.c: drops st's bindings; the type of a kind; the bindings as sent */
void	 pgst_clear_params(struct pgstmt *st);
Oid	 pgst_kind_oid(enum pkind);
void	 pgst_wire(struct pgstmt *st, const char **vals, int *lens, int *fmts);

#endif
