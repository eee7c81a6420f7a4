/* sqltext: interned SQL texts and the statements for them. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#ifdef HAVE_POSTGRESQL
#include "pgstmt.h"
#endif
#include "sqltext.h"

const char *
sql_intern(struct sql_texts *t, unsigned key, const char *sql)
{
	size_t	 i;

	for (i = 0; i < SQL_INTERNED && t->e[i].sql != NULL; i++)
		if (t->e[i].key == key &&
		    (t->e[i].sql == sql || strcmp(t->e[i].sql, sql) == 0))
			return t->e[i].sql;
	if (i == SQL_INTERNED || (t->e[i].sql = strdup(sql)) == NULL)
		return NULL;
	t->e[i].key = key;
	return t->e[i].sql;
}

const char *
sql_known(const struct sql_texts *t, unsigned key)
{
	size_t	 i;

	for (i = 0; i < SQL_INTERNED && t->e[i].sql != NULL; i++)
		if (t->e[i].key == key)
			return t->e[i].sql;
	return NULL;
}

void
sql_texts_free(struct sql_texts *t)
{
	size_t	 i;

	for (i = 0; i < SQL_INTERNED && t->e[i].sql != NULL; i++) {
		free(t->e[i].sql);
		t->e[i].sql = NULL;
	}
}

struct dbstmt *
sql_stmt(struct db *db, unsigned key, const char *sql, int *once)
{
	const char *s = sql_intern(&db->texts, key, sql);
	struct dbstmt *st = NULL;
	sqlite3_stmt *sq = NULL;

	if (s != NULL && (st = db_prep(db, s)) != NULL) {
		*once = 0;
		return st;
	}
	*once = 1;
#ifdef HAVE_POSTGRESQL
	if (db_on_pg)
		return pgst_prep(sql, 1);
#endif
	if (sqlite3_prepare_v2(db->h, sql, -1, &sq, NULL) != SQLITE_OK) {
		log_error("sql prepare: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	return (struct dbstmt *)sq;
}

void
sql_stmt_end(struct dbstmt *st, int once)
{
	if (!once)
		db_reset(st);
#ifdef HAVE_POSTGRESQL
	else if (db_on_pg)
		pgst_finalize(st);
#endif
	else
		sqlite3_finalize((sqlite3_stmt *)st);
}
