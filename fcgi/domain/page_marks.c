/*
 * page_marks: the marks of deep task pages (see page_marks.h for the
 * invariant shared with the triggers of sql/008 and sql/011: a scope's
 * version changes with every change of its rows or their order).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_marks.h"
#include "sqltext.h"
#include "task_pages.h"

void
page_marks_free(struct page_marks *pm)
{
	int	 i;

	for (i = 0; i < MARK_SETS; i++)
		free(pm->sets[i].m);
	memset(pm, 0, sizeof(*pm));
}

/* The set of marks for kind and scope_id, emptied unless made at version. */
static struct markset *
markset_get(struct page_marks *pm, unsigned kind, int64_t scope_id, int64_t version)
{
	struct markset *s, *old = &pm->sets[0];
	int	 i;

	for (i = 0; i < MARK_SETS; i++) {
		s = &pm->sets[i];
		if (s->used && s->kind == kind && s->scope_id == scope_id)
			goto found;
		if (!s->used || (old->used && s->tick < old->tick))
			old = s;
	}
	s = old;
	s->used = 1;
	s->kind = kind;
	s->scope_id = scope_id;
	s->n = 0;
	s->version = version;
found:
	if (s->version != version) {
		s->n = 0;
		s->version = version;
	}
	s->tick = ++pm->tick;
	return s;
}

const char *
page_mark_after_sql(int desc)
{
	return desc ? " AND (t.created_at, t.id) < (?11, ?12)" :
	    " AND (t.created_at, t.id) > (?11, ?12)";
}

/*
 * Adds marks to s up to want (or the end of the rows): one walk of the
 * index from the last mark, keeping every MARK_EVERY-th key.
 */
static void
marks_extend(struct db *db, struct markset *s, int list, int desc, int want)
{
	char	 sql[512];
	struct dbstmt *st;
	int64_t	 seen = 0;
	int	 once, rc;

	if (want > MARKS_MAX)
		want = MARKS_MAX;
	if (s->cap < want) {
		int	 ncap = s->cap ? s->cap : 16;
		struct mark *nm;

		while (ncap < want)
			ncap *= 2;
		if ((nm = realloc(s->m, (size_t)ncap * sizeof(*nm))) == NULL)
			return;
		s->m = nm;
		s->cap = ncap;
	}
	snprintf(sql, sizeof(sql), "SELECT t.created_at, t.id FROM tasks t WHERE %s%s%s LIMIT ?8",
	    list ? "t.list_id = ?1" : "t.assigned_to = ?1",
	    s->n > 0 ? page_mark_after_sql(desc) : "",
	    desc ? " ORDER BY t.created_at DESC, t.id DESC" : " ORDER BY t.created_at, t.id");
	if ((st = sql_stmt(db, SQLK_MARKS | (unsigned)(s->n > 0) << 2 |
	    (unsigned)list << 1 | (unsigned)desc, sql, &once)) == NULL)
		return;
	db_bind_i64(st, 1, s->scope_id);
	db_bind_i64(st, 8, (int64_t)(want - s->n) * MARK_EVERY);
	if (s->n > 0) {
		db_bind_i64(st, 11, s->m[s->n - 1].key);
		db_bind_i64(st, 12, s->m[s->n - 1].id);
	}
	while ((rc = db_step(st)) == DB_ROW)
		if (++seen % MARK_EVERY == 0) {
			s->m[s->n].key = db_col_i64(st, 0);
			s->m[s->n].id = db_col_i64(st, 1);
			s->n++;
		}
	sql_stmt_end(st, once);
}

int
page_mark(struct db *db, struct page_marks *pm, int list, int64_t scope_id,
    int desc, int64_t offset, struct mark *m, int64_t *rest)
{
	static const char list_sql[] = "SELECT version FROM lists WHERE id = ?1";
	static const char user_sql[] = "SELECT assigned_version FROM users WHERE id = ?1";
	struct markset *s;
	int64_t	 version, want;
	int	 i;

	if (pm == NULL || offset < MARK_EVERY)
		return 0;
	if (task_counter(db, list ? list_sql : user_sql, scope_id, &version) != DB_OK)
		return 0;
	s = markset_get(pm, (unsigned)list << 1 | (unsigned)desc, scope_id, version);
	want = offset / MARK_EVERY;
	if (s->n < want && s->n < MARKS_MAX)
		marks_extend(db, s, list, desc, (int)(want < MARKS_MAX ? want : MARKS_MAX));
	if (s->n == 0)
		return 0;
	i = (int)(want < s->n ? want : s->n) - 1;
	/* want >= 1 (offset >= MARK_EVERY) and s->n >= 1: a mark exists */
	assert(i >= 0 && i < s->n);
	*m = s->m[i];
	*rest = offset - (int64_t)(i + 1) * MARK_EVERY;
	return 1;
}
