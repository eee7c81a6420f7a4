/*
 * task_pages: pages of tasks with filters, search and an order -- one call,
 * tasks_page(), counts the matching tasks and reads the page's rows in one
 * snapshot.  Its input is a plain struct task_query that callers fill;
 * what it produces comes back through its arguments only.
 *
 * The process state it keeps between calls (page marks, the last search
 * plan) lives in a struct task_cache the app owns (app->tasks); the SQL
 * texts it builds are interned on the connection (core/sqltext.h).
 */
#ifndef TASKMGR_TASK_PAGES_H
#define TASKMGR_TASK_PAGES_H

#include <stdint.h>

#include "db.h"
#include "page_marks.h"
#include "task_search.h"
#include "tasks.h"

/* Orderings of task pages, in the API's spelling (task_order_names). */
enum task_order {
	TO_CREATED_DESC = 0,	/* -created_at (default) */
	TO_CREATED,
	TO_DUE,
	TO_DUE_DESC,
	TO_UPDATED,
	TO_UPDATED_DESC,
};
/* "-created_at", "created_at", "complete_before", "-complete_before", "updated_at", "-updated_at", NULL */
extern const char *const task_order_names[];

/* Which tasks a page holds. */
enum task_scope {
	TQ_LIST,	/* the tasks of list scope_id (checked: visible to the actor) */
	TQ_ASSIGNEE,	/* the tasks assigned to user scope_id */
	TQ_ALL,		/* every task (staff pages) */
};

/* A page's question: filled by the caller, never changed by tasks_page(). */
struct task_query {
	enum task_scope	 scope;
	int64_t		 scope_id;
	int		 status;	/* -1: any */
	int64_t		 assigned_to;	/* 0: any */
	int64_t		 list_id;	/* 0: any */
	int64_t		 due_before;	/* TIME_NULL: none; complete_before < due_before */
	int64_t		 due_after;	/* TIME_NULL: none; complete_before > due_after */
	const char	*search;	/* a search_key() or NULL */
	enum task_order	 order;
	int64_t		 limit;		/* rows at most (0: none, only the count) */
	int64_t		 offset;	/* rows skipped */
	/*
	 * For TQ_ASSIGNEE, the assignee's username when the caller read it in
	 * this snapshot (it authenticated the assignee), else NULL: the page
	 * then does not look the name up again.
	 */
	const char	*scope_name;
};

/* The process state of pages (on struct app): see the top of this file. */
struct task_cache {
	struct page_marks	 marks;
	struct search_plan	 plan;
};

struct task_cache *task_cache_new(void);
void	 task_cache_free(struct task_cache *);

/* Sets q to "no filter, default order, no rows" for scope. */
void	 task_query_init(struct task_query *, enum task_scope, int64_t scope_id);

/* Called once with the page's count, before any row. */
typedef void (*task_count_fn)(void *ctx, int64_t count);

/*
 * The page q: counts the matching tasks into *count and passes it to
 * count_fn (may be NULL), then passes each of the page's rows (q->limit
 * from q->offset, in q's order) to row_fn.  For TQ_LIST the list must be
 * visible to the actor (else DB_NOTFOUND, and nothing is called).  Without
 * filters the count comes from the maintained counters, without a scan.
 * cache may be NULL (no marks, no plan kept).  Count and rows are read in
 * one snapshot: the caller's, or one opened here.
 */
enum dbrc tasks_page(struct db *, struct task_cache *, const struct actor *,
	    const struct task_query *, task_count_fn count_fn, task_row_fn row_fn,
	    void *ctx, int64_t *count);

/* ---- shared by tasks.c, task_pages.c and page_marks.c ---- */

/* The kinds of SQL texts built at run time (sqltext.h keys); the low 24
 * bits of a key say which variant of its kind. */
#define SQLK_UPDATE	(1u << 24)
#define SQLK_COUNT	(2u << 24)
#define SQLK_MARKS	(3u << 24)
#define SQLK_PAGE	(4u << 24)

/* Reads one integer: sql takes ?1 and returns one integer; DB_NOTFOUND without a row. */
enum dbrc task_counter(struct db *, const char *sql, int64_t a, int64_t *out);

#endif
