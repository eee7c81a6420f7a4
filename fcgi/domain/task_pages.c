/*
 * task_pages: the page engine of tasks -- the SQL of a page built from its
 * scope, filters and order, the count, and the rows (task_pages.h).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "members.h"
#include "page_marks.h"
#include "sqltext.h"
#include "task_pages.h"
#include "task_recur.h"
#include "task_search.h"
#include "timeutil.h"

const char *const task_order_names[] = {
	"-created_at", "created_at", "complete_before", "-complete_before",
	"updated_at", "-updated_at", NULL
};

#define F_STATUS	0x01
#define F_ASSIGNED	0x02
#define F_LIST		0x04
#define F_BEFORE	0x08
#define F_AFTER		0x10
#define F_SEARCH	0x20
#define F_FTS		0x40	/* the search's candidates come from the trigram index */
#define F_DUE_WALK	0x80	/* many tasks pass the deadline filters: walk the order's index (due_walk) */

/* The filter bits q uses. */
static unsigned
query_filters(const struct task_query *q)
{
	unsigned f = 0;

	if (q->status >= 0)
		f |= F_STATUS;
	if (q->assigned_to > 0)
		f |= F_ASSIGNED;
	if (q->list_id > 0)
		f |= F_LIST;
	if (q->due_before != TIME_NULL)
		f |= F_BEFORE;
	if (q->due_after != TIME_NULL)
		f |= F_AFTER;
	if (q->search != NULL)
		f |= F_SEARCH;
	return f;
}

/* Appends the WHERE clause of q (parameters ?1 scope, ?2..?7 filters). */
static void
where_sql(char *out, size_t len, enum task_scope scope, unsigned f)
{
	static const char *const scopes[] = {
		"t.list_id = ?1", "t.assigned_to = ?1", "?1 = 0"
	};

	snprintf(out + strlen(out), len - strlen(out), " WHERE %s%s%s%s%s%s%s",
	    scopes[scope],
	    (f & F_STATUS) ? " AND t.status = ?2" : "",
	    (f & F_ASSIGNED) ? " AND t.assigned_to = ?3" : "",
	    (f & F_LIST) ? " AND t.list_id = ?4" : "",
	    (f & F_BEFORE) ? ((f & F_DUE_WALK) ? " AND +t.complete_before < ?5" :
	    " AND t.complete_before < ?5") : "",
	    (f & F_AFTER) ? ((f & F_DUE_WALK) ? " AND +t.complete_before > ?6" :
	    " AND t.complete_before > ?6") : "",
	    !(f & F_SEARCH) ? "" : (f & F_FTS) ? DB_SQL(" AND instr(t.name_key, ?7) > 0",
	    " AND " SEARCH_PG_LIKE) : " AND instr(t.name_key, ?7) > 0");
}

/*
 * The tasks a page reads, as "FROM ...": the table, or with F_FTS the
 * search's candidates (task_search.h) joined to the table, the candidates
 * first (CROSS JOIN keeps that order: the planner would rather walk the
 * scope's index for the ordering and test every task).  On PostgreSQL
 * always the table: F_FTS's test is SEARCH_PG_LIKE (where_sql).
 */
static const char *
from_sql(unsigned f)
{
	return (f & F_FTS) ? DB_SQL(" FROM " SEARCH_CANDIDATES " CROSS JOIN tasks t ON t.id = c.id",
	    " FROM tasks t") : " FROM tasks t";
}

/* Binds q's scope and filters; match: the FTS5 query of F_FTS, else NULL. */
static void
bind_query(struct dbstmt *st, const struct task_query *q, const char *match)
{
	db_bind_i64(st, 1, q->scope == TQ_ALL ? 0 : q->scope_id);
	if (q->status >= 0)
		db_bind_text(st, 2, task_status_names[q->status]);
	if (q->assigned_to > 0)
		db_bind_i64(st, 3, q->assigned_to);
	if (q->list_id > 0)
		db_bind_i64(st, 4, q->list_id);
	if (q->due_before != TIME_NULL)
		db_bind_i64(st, 5, q->due_before);
	if (q->due_after != TIME_NULL)
		db_bind_i64(st, 6, q->due_after);
	if (q->search != NULL)
		db_bind_text(st, 7, q->search);
	if (match != NULL)
		db_bind_text(st, 10, match);
}

enum dbrc
task_counter(struct db *db, const char *sql, int64_t a, int64_t *out)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, a);
	if ((rc = db_step(st)) == DB_ROW)
		*out = db_col_i64(st, 0);
	db_done(st, rc);
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "task counter");
}

/*
 * How many tasks q's scope holds at most, from the maintained counters
 * (TQ_ALL: INT64_MAX, not counted).
 */
static enum dbrc
scope_size(struct db *db, const struct task_query *q, int64_t *n)
{
	static const char list_sql[] = "SELECT task_count FROM lists WHERE id = ?1";
	static const char user_sql[] = "SELECT assigned_count FROM users WHERE id = ?1";
	enum dbrc rc;

	*n = INT64_MAX;
	if (q->scope == TQ_ALL)
		return DB_OK;
	rc = task_counter(db, q->scope == TQ_LIST ? list_sql : user_sql, q->scope_id, n);
	if (rc == DB_NOTFOUND) {
		*n = 0;
		rc = DB_OK;
	}
	return rc;
}

/* The list row a TQ_LIST page's count read, for its rows: same snapshot. */
struct scope_row {
	const char	*name;	/* NULL: not read */
	int64_t		 owner;
	int		 extras;	/* 0: no task of the scope has a rule or reminders
				 * (extras_count of the list or the assignee,
				 * sql/024): its rows' columns are not read */
	char		 buf[4 * NAME_MAX_CHARS + 1];
};

/*
 * Reads the list of a TQ_LIST page: its task count into *count and its row
 * into sr; DB_NOTFOUND when the actor may not see it.
 */
static enum dbrc
page_list(struct db *db, const struct actor *who, const struct task_query *q,
    int64_t *count, struct scope_row *sr)
{
	static const char sql[] =
	    "SELECT l.task_count, l.name, l.owner_id, " LIST_ROLE_SQL("l", "?2", "?3")
	    ", l.extras_count > 0 FROM lists l WHERE l.id = ?1";
	struct dbstmt *st;
	int	 src;

	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, q->scope_id);
	db_bind_int(st, 2, who->sees_all != 0);
	db_bind_i64(st, 3, who->id);
	/* a list the actor does not see is no row */
	if ((src = db_step(st)) == DB_ROW && db_col_int(st, 3) == ROLE_NONE)
		src = DB_DONE;
	if (src == DB_ROW) {
		const char *name = db_col_str(st, 1);
		size_t	 len = (size_t)db_col_bytes(st, 1);

		*count = db_col_i64(st, 0);
		sr->extras = db_col_int(st, 4);
		if (name != NULL && len < sizeof(sr->buf)) {
			memcpy(sr->buf, name, len + 1);
			sr->name = sr->buf;
			sr->owner = db_col_i64(st, 2);
		}
	}
	db_done(st, src);
	if (src != DB_ROW)
		return src == DB_DONE ? DB_NOTFOUND : db_rc(db, src, "task count");
	return DB_OK;
}

/*
 * An unfiltered TQ_ASSIGNEE page's count, from the counter (sql: the
 * count, then whether a task has a rule or reminders, into sr).
 */
static enum dbrc
assignee_count(struct db *db, const char *sql, int64_t id, int64_t *count,
    struct scope_row *sr)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW) {
		*count = db_col_i64(st, 0);
		sr->extras = db_col_int(st, 1);
	}
	db_done(st, rc);
	if (rc == DB_ROW || rc == DB_DONE)
		return DB_OK;
	return db_rc(db, rc, "task count");
}

/*
 * How many tasks match q.  For TQ_LIST the list must be visible to the
 * actor (else DB_NOTFOUND), and its row is kept in sr.  Without filters the
 * count comes from the maintained counters, without a scan.
 */
static enum dbrc
page_count(struct db *db, struct search_plan *plan, const struct actor *who,
    const struct task_query *q, int64_t *count, struct scope_row *sr)
{
	static const char user_sql[] =
	    "SELECT assigned_count, extras_count > 0 FROM users WHERE id = ?1";
	char	 sql[640] = "SELECT count(*)", match[SEARCH_MATCH_BYTES];
	unsigned f = query_filters(q);
	struct dbstmt *st;
	enum dbrc rc = DB_OK;
	int64_t	 size = 0;
	int	 once, src, fts;

	*count = 0;
	if (q->scope == TQ_LIST) {
		if ((rc = page_list(db, who, q, count, sr)) != DB_OK)
			return rc;
		size = *count;
	} else if (q->scope == TQ_ASSIGNEE && f == 0)
		return assignee_count(db, user_sql, q->scope_id, count, sr);
	if (f == 0 && q->scope != TQ_ALL)
		return DB_OK;
	/* the same plan as the page's rows (page_rows) */
	if (q->search != NULL) {
		if (q->scope != TQ_LIST && (rc = scope_size(db, q, &size)) != DB_OK)
			return rc;
		if ((rc = task_search_plan(db, plan, q->search, size, match, &fts)) != DB_OK)
			return rc;
		if (fts)
			f |= F_FTS;
	}
	strcat(sql, from_sql(f));
	where_sql(sql, sizeof(sql), q->scope, f);
	if ((st = sql_stmt(db, SQLK_COUNT | (unsigned)q->scope << 8 | f, sql, &once)) == NULL)
		return DB_ERROR;
	bind_query(st, q, (f & F_FTS) && db_is_sqlite() ? match : NULL);
	if ((src = db_step(st)) == DB_ROW)
		*count = db_col_i64(st, 0);
	else
		rc = db_rc(db, src, "task count");
	sql_stmt_end(st, once);
	return rc;
}

/*
 * The list and user names of a page, read once per page rather than joined
 * into every row: a page's tasks share a few lists and assignees.  (On
 * PostgreSQL, where each lookup is a round trip, a direct page joins them:
 * PAGE_NAMES.)
 */
#define NAMES_CACHED	8

struct names {
	int		 n;
	struct dbstmt	*st;	/* the lookup, fetched from the cache once a page */
	struct {
		int64_t	 id;
		int64_t	 owner;	/* lists: the owner */
		char	*name;
	} e[NAMES_CACHED];
};

static void
names_free(struct names *c)
{
	int	 i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].name);
	c->n = 0;
}

/*
 * The name of row id (a list, or a user when owner is NULL), looked up in c
 * or else read with sql (?1 the id; the name, then the owner for a list).
 * NULL when the row is missing or on an error (*rc says which).
 */
static const char *
names_get(struct db *db, struct names *c, const char *sql, int64_t id,
    int64_t *owner, int *rc)
{
	struct dbstmt *st;
	const char *name;
	int	 i, slot;

	for (i = 0; i < c->n; i++)
		if (c->e[i].id == id) {
			if (owner != NULL)
				*owner = c->e[i].owner;
			return c->e[i].name;
		}
	/* reset after each lookup (db_done), and ?1 is bound again */
	if ((st = c->st) == NULL && (st = c->st = db_prep(db, sql)) == NULL) {
		*rc = DB_RC_ERROR;
		return NULL;
	}
	db_bind_i64(st, 1, id);
	if ((*rc = db_step(st)) != DB_ROW) {
		*rc = *rc == DB_DONE ? DB_RC_CORRUPT : *rc;
		db_done(st, *rc);
		return NULL;
	}
	/* past NAMES_CACHED names, the last slot is reused */
	if (c->n < NAMES_CACHED)
		slot = c->n++;
	else {
		slot = NAMES_CACHED - 1;
		free(c->e[slot].name);
	}
	c->e[slot].id = id;
	c->e[slot].owner = owner != NULL ? db_col_i64(st, 1) : 0;
	name = db_col_text(st, 0);
	c->e[slot].name = strdup(name);
	db_done(st, *rc);
	if (c->e[slot].name == NULL) {
		c->n = slot;
		*rc = DB_RC_NOMEM;
		return NULL;
	}
	if (owner != NULL)
		*owner = c->e[slot].owner;
	return c->e[slot].name;
}

/*
 * Deadline filters with an order other than the deadline's: SQLite takes
 * the deadline index's range and sorts every task in it -- right when few
 * tasks pass, slow when a million do.  Walking the order's index instead
 * and testing each task finds a page after about (offset + limit) *
 * scope / passing tasks; 1 when that is the cheaper plan.  The passing
 * tasks are the page's count, n.  The walk needs an index in the page's
 * order: a list's or an assignee's.
 */
#define DUE_SORT_MAX	2000	/* up to this many passing tasks, the sort is cheap anyway */

static int
due_walk(struct db *db, const struct task_query *q, unsigned f, int64_t n)
{
	int64_t	 size;

	if (!(f & (F_BEFORE | F_AFTER)) || (f & F_FTS) || q->scope == TQ_ALL ||
	    q->order == TO_DUE || q->order == TO_DUE_DESC || n <= DUE_SORT_MAX ||
	    scope_size(db, q, &size) != DB_OK)
		return 0;
	/* (offset + limit) * size / n visited by the walk, n sorted otherwise */
	return (double)(q->offset + q->limit) * (double)size < (double)n * (double)n;
}

/* Past this many rows to skip, a page reads its ids from the index first. */
#define PAGE_DIRECT_SKIP	256
/*
 * A page's task columns, without the names of the list and the assignee;
 * the rule and reminders last, left out when no task of the scope has any
 * (PAGE_PLAIN).
 */
#define PAGE_PLAIN "SELECT t.id, t.list_id, t.name, t.description, t.assigned_to," \
	" t.complete_before, t.status, t.created_at, t.updated_at"
#define PAGE_COLUMNS PAGE_PLAIN ", " TASK_EXTRAS_SQL("t")

/*
 * PostgreSQL: the list's name and owner and the assignee's username are
 * columns of the page's rows (PAGE_NAMES, PAGE_JOIN), so no statement looks
 * them up (names_get); a round trip there costs more than the join.  The
 * plan keeps the walk of the scope's index, each name an index probe (or a
 * memoized one) per row.  Past PAGE_DIRECT_SKIP the ids' walk (k) is a
 * subquery, and each row with its names is read by its id in a LATERAL
 * one (OFFSET 0 keeps it apart: a nested loop over k in k's order, which
 * the outer ORDER BY says again on k's columns, so nothing is sorted).
 */
#define PAGE_NAMES ", l.name, l.owner_id, u.username"
#define PAGE_JOIN " LEFT JOIN lists l ON l.id = t.list_id LEFT JOIN users u ON u.id = t.assigned_to"
/*
 * And an unfiltered page of a list or an assignee reads its count with its
 * rows, from the counter, in the column after the names: an uncorrelated
 * subquery, run once (an InitPlan).  A list's page has its rows only when
 * the actor sees the list (page_list's rule, ?13 sees_all and ?14 the
 * actor; also run once): without a row, the count and the 404 come from
 * page_count as on SQLite.
 */
static const char *const page_fold_sql[] = {
	", (SELECT task_count FROM lists WHERE id = ?1)",
	", (SELECT assigned_count FROM users WHERE id = ?1)",
};
#define PAGE_LIST_SEEN " AND (SELECT " LIST_ROLE_SQL("v", "?13", "?14") \
	" FROM lists v WHERE v.id = ?1) <> 0"

/* How a page's rows are read (page_plan). */
struct plan {
	unsigned	 f;		/* F_* */
	int		 marked;	/* seek past mark m, then skip offset */
	int		 direct;	/* one statement reads the rows, else ids then rows */
	int		 joined;	/* PostgreSQL: the names are columns (PAGE_NAMES) */
	int		 fold;		/* joined, and the count is the next column */
	int		 extras;	/* the rows' rule and reminders are read */
	int64_t		 offset;
	struct mark	 m;
	char		 match[SEARCH_MATCH_BYTES];	/* the FTS5 query of F_FTS */
};

/* The text of the page statement for key (built into sql unless interned). */
static const char *
page_sql(struct db *db, const struct task_query *q, const struct plan *p,
    unsigned key, char *sql, size_t len)
{
	static const char *const orders[] = {
		" ORDER BY t.created_at DESC, t.id DESC",
		" ORDER BY t.created_at, t.id",
		/* SQLite's NULLs order, said for PostgreSQL (the same plans) */
		" ORDER BY t.complete_before NULLS FIRST, t.id",
		" ORDER BY t.complete_before DESC NULLS LAST, t.id DESC",
		" ORDER BY t.updated_at, t.id",
		" ORDER BY t.updated_at DESC, t.id DESC",
	};
	/* PostgreSQL, ids first: the order again, on the ids' columns */
	static const char *const by_ids[][2] = {
		{ "created_at", " ORDER BY k.created_at DESC, k.id DESC" },
		{ "created_at", " ORDER BY k.created_at, k.id" },
		{ "complete_before", " ORDER BY k.complete_before NULLS FIRST, k.id" },
		{ "complete_before", " ORDER BY k.complete_before DESC NULLS LAST, k.id DESC" },
		{ "updated_at", " ORDER BY k.updated_at, k.id" },
		{ "updated_at", " ORDER BY k.updated_at DESC, k.id DESC" },
	};
	const char *text;
	int	 ids_joined;

	if ((text = sql_known(&db->texts, key)) != NULL)
		return text;
	/* tasks_page() refused any other order */
	assert(q->order >= TO_CREATED_DESC && q->order <= TO_UPDATED_DESC);
	ids_joined = !p->direct && p->joined;
	if (ids_joined)
		snprintf(sql, len, "SELECT x.* FROM (SELECT t.id, t.%s%s",
		    by_ids[q->order][0], from_sql(p->f));
	else
		snprintf(sql, len, "%s%s%s%s%s", !p->direct ? "SELECT t.id" : p->extras ?
		    PAGE_COLUMNS : PAGE_PLAIN, p->joined ? PAGE_NAMES : "",
		    p->fold ? page_fold_sql[q->scope] : "", from_sql(p->f),
		    p->joined ? PAGE_JOIN : "");
	where_sql(sql, len, q->scope, p->f);
	snprintf(sql + strlen(sql), len - strlen(sql), "%s%s%s LIMIT ?8 OFFSET ?9",
	    p->fold && q->scope == TQ_LIST ? PAGE_LIST_SEEN : "",
	    p->marked ? page_mark_after_sql(q->order == TO_CREATED_DESC) : "",
	    orders[q->order]);
	if (ids_joined)
		snprintf(sql + strlen(sql), len - strlen(sql), ") k CROSS JOIN LATERAL (%s"
		    PAGE_NAMES " FROM tasks t" PAGE_JOIN " WHERE t.id = k.id OFFSET 0) x%s",
		    p->extras ? PAGE_COLUMNS : PAGE_PLAIN, by_ids[q->order][1]);
	return sql;
}

/*
 * Chooses how the page's rows are read: the search's candidates, the
 * deadline walk, a mark to seek past, and direct reads or ids first.
 */
static enum dbrc
page_plan(struct db *db, struct task_cache *cache, const struct task_query *q,
    int64_t count, struct plan *p)
{
	int64_t	 size;
	enum dbrc ret;
	int	 fts;

	p->f = query_filters(q);
	p->offset = q->offset;
	/* a rare search text takes its candidates from the trigram index */
	if (q->search != NULL) {
		if ((ret = scope_size(db, q, &size)) != DB_OK ||
		    (ret = task_search_plan(db, cache != NULL ? &cache->plan : NULL,
		    q->search, size, p->match, &fts)) != DB_OK)
			return ret;
		if (fts)
			p->f |= F_FTS;
	}
	if (due_walk(db, q, p->f, count))
		p->f |= F_DUE_WALK;
	p->marked = p->f == 0 && (q->scope == TQ_LIST || q->scope == TQ_ASSIGNEE) &&
	    (q->order == TO_CREATED_DESC || q->order == TO_CREATED) &&
	    page_mark(db, cache != NULL ? &cache->marks : NULL, q->scope == TQ_LIST,
	    q->scope_id, q->order == TO_CREATED_DESC, q->offset, &p->m, &p->offset);
	p->direct = p->offset < PAGE_DIRECT_SKIP;
	p->joined = !db_is_sqlite();
	p->fold = 0;
	return DB_OK;
}

/* Where a page's count and rows go (tasks_page's callbacks). */
struct page_out {
	task_count_fn	 count_fn;	/* may be NULL */
	task_row_fn	 row_fn;
	void		*ctx;
	int64_t		*count;
	int		 counted;	/* a folded page passed its row's count */
};

/*
 * The names of a joined page's row in src (PAGE_NAMES from column c), and
 * a folded page's count at its first row, before the row; DB_RC_CORRUPT
 * for a missing list or assignee, as names_get.
 */
static int
page_joined(struct dbstmt *src, const struct plan *p, struct task *t,
    struct page_out *out)
{
	int	 c = 9 + p->extras;

	if (db_col_isnull(src, c) || (t->assigned_to > 0 && db_col_isnull(src, c + 2)))
		return DB_RC_CORRUPT;
	t->list_name = db_col_str(src, c);
	t->owner_id = db_col_i64(src, c + 1);
	if (t->assigned_to > 0)
		t->assignee_name = db_col_str(src, c + 2);
	if (p->fold && !out->counted) {
		*out->count = db_col_i64(src, c + 3);
		out->counted = 1;
		if (out->count_fn != NULL)
			out->count_fn(out->ctx, *out->count);
	}
	return DB_ROW;
}

/*
 * Steps the page statement ids, reading each task (by its id with row
 * when there is one) and its names, and passes it to out's row_fn.
 */
static int
page_walk(struct db *db, struct dbstmt *ids, struct dbstmt *row, const struct plan *p,
    struct names *lists, struct names *users, struct page_out *out)
{
	static const char list_sql[] = "SELECT name, owner_id FROM lists WHERE id = ?1";
	static const char user_sql[] = "SELECT username FROM users WHERE id = ?1";
	struct dbstmt *src;
	struct task t;
	int	 rc, rrc;

	while ((rc = db_step(ids)) == DB_ROW) {
		src = ids;
		if (row != NULL) {
			db_bind_i64(row, 1, db_col_i64(ids, 0));
			if ((rrc = db_step(row)) != DB_ROW) {
				/* the id was just listed from the same snapshot */
				rc = rrc == DB_DONE ? DB_RC_CORRUPT : rrc;
				break;
			}
			src = row;
		}
		t.id = db_col_i64(src, 0);
		t.list_id = db_col_i64(src, 1);
		t.name = db_col_text(src, 2);
		t.description = db_col_text(src, 3);
		t.assigned_to = db_col_i64(src, 4);
		t.complete_before = db_col_isnull(src, 5) ?
		    TIME_NULL : db_col_i64(src, 5);
		t.status = task_status_of(db_col_text(src, 6));
		t.created_at = db_col_i64(src, 7);
		t.updated_at = db_col_i64(src, 8);
		task_extras_unpack(p->extras ? db_col_str(src, 9) :
		    NULL, &t.rec, &t.reminders);
		t.rec_anchor = TIME_NULL;
		t.assignee_name = NULL;
		t.access = 0;
		t.member_count = 0;
		if (__builtin_expect(p->joined, 0)) {
			if ((rc = page_joined(src, p, &t, out)) != DB_ROW)
				break;
		} else if ((t.list_name = names_get(db, lists, list_sql, t.list_id,
		    &t.owner_id, &rc)) == NULL || (t.assigned_to > 0 &&
		    (t.assignee_name = names_get(db, users, user_sql, t.assigned_to,
		    NULL, &rc)) == NULL))
			break;
		out->row_fn(out->ctx, &t);
		if (row != NULL)
			db_reset(row);
	}
	return rc;
}

/*
 * The rows of q as planned by p, each passed to out.  A page walks the
 * index of its scope and order.  With few rows to skip, one statement
 * reads each task's row as it goes; past PAGE_DIRECT_SKIP rows, the ids
 * come from the index alone (a skipped row then costs no table read) and
 * each task is read by its id after: on SQLite one statement per row, on
 * PostgreSQL in the page's statement (page_sql's LATERAL).  On SQLite the
 * list's and assignee's names come from the page's few lookups rather than
 * a join per row (sr: the list's row the count read); on PostgreSQL the
 * page joins them (p->joined), and a folded one reads its count too
 * (p->fold).  (On SQLite, one statement joining the ids back would sort
 * them again and build a temporary table per page.)
 */
static enum dbrc
page_rows(struct db *db, const struct actor *who, const struct task_query *q,
    struct plan *p, const struct scope_row *sr, struct page_out *out)
{
	static const char row_sql[] = PAGE_COLUMNS " FROM tasks t WHERE t.id = ?1";
	static const char plain_sql[] = PAGE_PLAIN " FROM tasks t WHERE t.id = ?1";
	char	 sql[1536];
	struct names lists, users;
	struct dbstmt *ids, *row = NULL;
	unsigned key;
	int	 rc, once;

	/* the flag and the rows agree only within one snapshot; a folded
	 * page has not read the flag */
	p->extras = p->fold || sr->extras || !db->in_read;
	key = SQLK_PAGE | (unsigned)p->fold << 20 | (unsigned)p->extras << 19 |
	    (unsigned)p->direct << 18 | (unsigned)p->marked << 17 |
	    (unsigned)q->order << 12 | (unsigned)q->scope << 8 | p->f;
	lists.n = users.n = 0;
	lists.st = users.st = NULL;
	if ((ids = sql_stmt(db, key, page_sql(db, q, p, key, sql, sizeof(sql)),
	    &once)) == NULL)
		return DB_ERROR;
	if (!p->direct && !p->joined &&
	    (row = db_prep(db, p->extras ? row_sql : plain_sql)) == NULL) {
		rc = DB_RC_ERROR;
		goto out;
	}
	/* the scope's name when it was read in this snapshot */
	if (sr->name != NULL && !p->joined &&
	    (q->scope == TQ_LIST || q->scope == TQ_ASSIGNEE)) {
		struct names *c = q->scope == TQ_LIST ? &lists : &users;

		if ((c->e[0].name = strdup(sr->name)) != NULL) {
			c->e[0].id = q->scope_id;
			c->e[0].owner = sr->owner;
			c->n = 1;
		}
	}
	bind_query(ids, q, (p->f & F_FTS) && db_is_sqlite() ? p->match : NULL);
	db_bind_i64(ids, 8, q->limit);
	db_bind_i64(ids, 9, p->offset);
	if (p->marked) {
		db_bind_i64(ids, 11, p->m.key);
		db_bind_i64(ids, 12, p->m.id);
	}
	if (p->fold && q->scope == TQ_LIST) {
		db_bind_int(ids, 13, who->sees_all != 0);
		db_bind_i64(ids, 14, who->id);
	}
	rc = page_walk(db, ids, row, p, &lists, &users, out);
out:
	if (row != NULL)
		db_reset(row);
	names_free(&lists);
	names_free(&users);
	sql_stmt_end(ids, once);
	return db_rc(db, rc, "task page");
}

/*
 * On PostgreSQL, whether q's page may read its count with its rows
 * (PAGE_LIST_SEEN): unfiltered, of a list or an assignee, some rows asked
 * for; a list's page only where no mark is looked up (page_mark), which
 * must not walk a list before its visibility is checked.
 */
static int
page_folds(const struct task_query *q)
{
	return !db_is_sqlite() && query_filters(q) == 0 && q->limit > 0 &&
	    (q->scope == TQ_ASSIGNEE || (q->scope == TQ_LIST && q->offset < MARK_EVERY));
}

enum dbrc
tasks_page(struct db *db, struct task_cache *cache, const struct actor *who,
    const struct task_query *q, task_count_fn count_fn, task_row_fn row_fn,
    void *ctx, int64_t *count)
{
	struct page_out out = { count_fn, row_fn, ctx, count, 0 };
	struct scope_row sr;
	struct plan p;
	enum dbrc rc = DB_OK;
	int	 own_read, planned = 0, empty = 0;

	*count = 0;
	if (q->order < TO_CREATED_DESC || q->order > TO_UPDATED_DESC)
		return DB_INVALID;
	sr.name = q->scope == TQ_ASSIGNEE ? q->scope_name : NULL;
	sr.owner = 0;
	sr.extras = 1;
	/* the count, the marks' version and the rows in one snapshot: the
	 * caller's, or one opened here */
	own_read = !db->in_read && db_read_begin(db) == DB_OK && db->in_read;
	if (__builtin_expect(page_folds(q), 0)) {
		/* an unfiltered page's plan does not depend on its count */
		if ((rc = page_plan(db, cache, q, 0, &p)) == DB_OK)
			planned = 1;
		if (rc == DB_OK && p.direct) {
			p.fold = 1;
			rc = page_rows(db, who, q, &p, &sr, &out);
			if (rc != DB_OK || out.counted)
				goto done;
			/* no row (past the end, or a list not seen): counted below */
			empty = 1;
		}
	}
	if (rc == DB_OK)
		rc = page_count(db, cache != NULL ? &cache->plan : NULL, who, q, count, &sr);
	if (rc == DB_OK && count_fn != NULL)
		count_fn(ctx, *count);
	if (rc == DB_OK && !empty && q->limit > 0 && q->offset < *count &&
	    (planned || (rc = page_plan(db, cache, q, *count, &p)) == DB_OK))
		rc = page_rows(db, who, q, &p, &sr, &out);
done:
	if (own_read)
		db_read_end(db);
	return rc;
}

void
task_query_init(struct task_query *q, enum task_scope scope, int64_t scope_id)
{
	memset(q, 0, sizeof(*q));
	q->scope = scope;
	q->scope_id = scope_id;
	q->status = -1;
	q->due_before = TIME_NULL;
	q->due_after = TIME_NULL;
	q->order = TO_CREATED_DESC;
}

struct task_cache *
task_cache_new(void)
{
	return calloc(1, sizeof(struct task_cache));
}

void
task_cache_free(struct task_cache *c)
{
	if (c == NULL)
		return;
	page_marks_free(&c->marks);
	free(c);
}
