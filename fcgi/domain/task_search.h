/*
 * task_search: the trigram index behind `search` on task pages (sql/007).
 *
 * tasks_fts holds the trigrams of name_key for the tasks with an id up to
 * task_search.indexed_to; the newer ones (the tail) are added in batches by
 * task_search_catch_up(), so that creating a task writes nothing to the
 * index.  Renames and deletes of indexed tasks change the index at once
 * (triggers).  A search of three characters or more takes as candidates the
 * index's hits plus the tail, and instr() on name_key keeps those that
 * truly contain the text: the index narrows, it never decides, and a stale
 * tail costs time, never a wrong answer.
 */
#ifndef TASKMGR_TASK_SEARCH_H
#define TASKMGR_TASK_SEARCH_H

#include <stdint.h>

#include "db.h"

#define SEARCH_MATCH_BYTES	(17 * 32)

/*
 * The candidates of an indexed search as the text after FROM, "c" with one
 * column id: ?10 is the FTS5 query (task_search_plan's match).
 */
#define SEARCH_CANDIDATES \
	"(SELECT rowid AS id FROM tasks_fts WHERE tasks_fts MATCH ?10" \
	" UNION ALL SELECT id FROM tasks" \
	" WHERE id > (SELECT indexed_to FROM task_search)) c"

/*
 * PostgreSQL's "column col contains the text of parameter param", in place
 * of SQLite's instr(col, param) > 0 (which reads every row): LIKE with the
 * text's \, % and _ escaped, which a pg_trgm GIN index on col serves.  It
 * holds for the same rows: both compare the bytes.
 */
#define SEARCH_PG_CONTAINS(col, param) \
	col " LIKE ('%' || replace(replace(replace(" param ", '\\', '\\\\')," \
	" '%', '\\%'), '_', '\\_') || '%')"
/*
 * PostgreSQL's test of an indexed search, in place of instr(t.name_key, ?7)
 * (which reads every task of the scope), served by the GIN index on
 * name_key (sql/pg/024); both compare the case-folded bytes.
 */
#define SEARCH_PG_LIKE SEARCH_PG_CONTAINS("t.name_key", "?7")

/*
 * The last decision of task_search_plan, process state kept on the app
 * (struct task_cache): reused for a page's rows after its count (a stale
 * one costs time, never a wrong answer).
 */
struct search_plan {
	char		 match[SEARCH_MATCH_BYTES];
	int64_t		 cap, tail, at;
	int		 fts;
};

/*
 * Decides how the search key (a search_key()) runs on a scope of at most
 * scope tasks (INT64_MAX: unknown): *fts = 1 when its candidates should
 * come from the index (match is then the FTS5 query, of
 * SEARCH_MATCH_BYTES), 0 for a scan of the scope.  The index pays when
 * the text is rare: found in fewer tasks than the scope holds and than a
 * fixed bound, the tail included.  On PostgreSQL *fts = 1 for every text
 * of three characters or more (SEARCH_PG_LIKE; match unused): the planner
 * chooses between the GIN index and the scope's.  The decision is kept in
 * last (NULL: none) for a second for the same text, bound and tail (a
 * page's count and rows ask in turn).
 */
enum dbrc task_search_plan(struct db *, struct search_plan *last,
	    const char *key, int64_t scope, char *match, int *fts);
/*
 * Adds up to limit tail tasks to the index in one transaction; *n how
 * many (0 when there were none).
 */
enum dbrc task_search_catch_up(struct db *, int limit, int *n);
/*
 * The periodic part, for the housekeeping hook: catches up now and then
 * (at most every few hundred milliseconds per process).
 */
void	 task_search_housekeep(struct db *);

#endif
