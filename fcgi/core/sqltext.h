/*
 * sqltext: SQL texts built at run time, interned so each distinct text
 * keeps one address for the statement cache (db_prep() looks statements up
 * by the text's address).  The table lives on the connection (struct db)
 * and is freed with its statements by db_close().
 *
 * A key names a text: its kind in the high 8 bits (the callers' SQLK_*
 * constants) and, below, every choice the text is built from.  Past
 * SQL_INTERNED texts, a text is prepared for one use.
 */
#ifndef TASKMGR_SQLTEXT_H
#define TASKMGR_SQLTEXT_H

#define SQL_INTERNED 96

struct db;
struct dbstmt;

struct sql_texts {
	struct {
		unsigned	 key;
		char		*sql;
	} e[SQL_INTERNED];
};

/*
 * The interned copy of sql under key, or NULL when the table is full.  The
 * key finds it fast; the text must match too, so two texts that were given
 * one key by mistake are never confused.
 */
const char	*sql_intern(struct sql_texts *, unsigned key, const char *sql);
/*
 * The text interned under key, or NULL: a hot path looks here before
 * building a text again.
 */
const char	*sql_known(const struct sql_texts *, unsigned key);
void		 sql_texts_free(struct sql_texts *);

/*
 * A statement for sql under key: from the statement cache (*once = 0) or
 * prepared for one use (*once = 1); NULL on an error (logged).
 */
struct dbstmt	*sql_stmt(struct db *, unsigned key, const char *sql, int *once);
/* Ends a statement of sql_stmt: reset for reuse, or finalized when made for one use. */
void		 sql_stmt_end(struct dbstmt *, int once);

#endif
