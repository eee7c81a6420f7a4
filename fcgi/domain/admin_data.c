/* admin_data: the admin pages' queries. */
#include <string.h>

#include "admin_data.h"
#include "arena.h"
#include "get1.h"
#include "lists.h"
#include "task_recur.h"
#include "task_search.h"
#include "timeutil.h"
#include "username.h"

/* Reads a single integer from a one-row query with no or one time parameter. */
static enum dbrc
count_one(struct db *db, const char *sql, int64_t now, int64_t *out)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	if (db_bind_count(st) > 0)
		db_bind_i64(st, 1, now);
	rc = db_step(st);
	if (rc == DB_ROW)
		*out = db_col_i64(st, 0);
	db_done(st, rc);
	return rc == DB_ROW ? DB_OK : db_rc(db, rc, "admin count");
}

enum dbrc
admq_counts(struct db *db, int64_t now, struct admq_counts *c)
{
	static const char users_sql[] = "SELECT count(*), coalesce(sum(is_staff), 0),"
	    " coalesce(sum(is_active), 0), count(telegram_id) FROM users";
	static const char status_sql[] = "SELECT status, count(*) FROM tasks GROUP BY status";
	static const char lists_sql[] = "SELECT count(*) FROM lists";
	static const char due_sql[] = "SELECT count(*) FROM tasks WHERE"
	    " complete_before IS NOT NULL AND complete_before < ?"
	    " AND status <> 'Completed'";
	struct dbstmt *st;
	enum dbrc drc;
	int	 rc;

	memset(c, 0, sizeof(*c));
	if ((st = db_prep(db, users_sql)) == NULL)
		return DB_ERROR;
	if ((rc = db_step(st)) == DB_ROW) {
		c->users = db_col_i64(st, 0);
		c->staff = db_col_i64(st, 1);
		c->active = db_col_i64(st, 2);
		c->linked = db_col_i64(st, 3);
	}
	db_done(st, rc);
	if (rc != DB_ROW)
		return db_rc(db, rc, "admin count users");
	if ((st = db_prep(db, status_sql)) == NULL)
		return DB_ERROR;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *s = db_col_text(st, 0);
		int64_t	 k = db_col_i64(st, 1);

		c->tasks += k;
		if (strcmp(s, "Pending") == 0)
			c->pending = k;
		else if (strcmp(s, "In Progress") == 0)
			c->in_progress = k;
		else if (strcmp(s, "Completed") == 0)
			c->completed = k;
		else if (strcmp(s, "Overdue") == 0)
			c->overdue = k;
	}
	db_done(st, rc);
	if (rc != DB_DONE)
		return db_rc(db, rc, "admin count tasks");
	if ((drc = count_one(db, lists_sql, 0, &c->lists)) != DB_OK)
		return drc;
	return count_one(db, due_sql, now, &c->past_due);
}

/* Reads one row of an admin page into the element at p (strings in a); -1: no memory. */
typedef int (*row_reader)(struct dbstmt *, struct arena *, void *p);

/*
 * Steps st, its parameters bound, for up to limit rows into rows (limit
 * elements of size bytes), each read by fn (strings in a); finishes st.
 */
static enum dbrc
page_fetch(struct db *db, struct dbstmt *st, struct arena *a, int64_t limit, void *rows,
    size_t size, row_reader fn, size_t *n, const char *what)
{
	char	*p = rows;
	int	 rc = DB_DONE;

	*n = 0;
	while ((int64_t)*n < limit && (rc = db_step(st)) == DB_ROW) {
		if (fn(st, a, p + *n * size) < 0) {
			db_done(st, rc);
			return DB_ERROR;
		}
		(*n)++;
	}
	if ((int64_t)*n < limit && rc != DB_DONE) {
		db_done(st, rc);
		return db_rc(db, rc, what);
	}
	db_done(st, rc);
	return DB_OK;
}

/*
 * Reads up to limit rows of sql (its one parameter: limit), size bytes
 * each, with fn into *out (strings and rows in a).
 */
static enum dbrc
limit_fetch(struct db *db, const char *sql, struct arena *a, size_t limit, size_t size,
    row_reader fn, void **out, size_t *n, const char *what)
{
	struct dbstmt *st;
	void	*rows;
	enum dbrc rc;

	*n = 0;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	if ((rows = arena_alloc(a, (limit ? limit : 1) * size)) == NULL) {
		db_done(st, 0);
		return DB_ERROR;
	}
	db_bind_i64(st, 1, (int64_t)limit);
	if ((rc = page_fetch(db, st, a, (int64_t)limit, rows, size, fn, n, what)) == DB_OK)
		*out = rows;
	return rc;
}

/* Fills one change of admq_recent. */
static int
change_row(struct dbstmt *st, struct arena *a, void *p)
{
	struct admq_change *c = p;

	c->kind = (enum admq_kind)db_col_int(st, 0);
	c->deleted = db_col_int(st, 1);
	c->id = db_col_i64(st, 2);
	c->name = arena_strdup(a, db_col_text(st, 3));
	c->where = arena_strdup(a, db_col_text(st, 4));
	c->updated_at = db_col_i64(st, 5);
	return c->name && c->where ? 0 : -1;
}

enum dbrc
admq_recent(struct db *db, struct arena *a, size_t limit,
    struct admq_change **out, size_t *n)
{
	static const char sql[] =
	    "SELECT 1, 0, t.id, t.name, l.name, t.updated_at FROM tasks t"
	    " JOIN lists l ON l.id = t.list_id"
	    " UNION ALL"
	    " SELECT 0, 0, l.id, l.name, u.username, l.updated_at FROM lists l"
	    " JOIN users u ON u.id = l.owner_id"
	    " UNION ALL"
	    " SELECT CASE kind WHEN 'task' THEN 1 WHEN 'list' THEN 0 ELSE 2 END, 1,"
	    " object_id, name, place, deleted_at FROM deletions"
	    " ORDER BY 6 DESC, 3 DESC LIMIT ?";
	void	*rows = NULL;
	enum dbrc rc;

	rc = limit_fetch(db, sql, a, limit, sizeof(**out), change_row, &rows, n,
	    "admin recent");
	*out = rows;
	return rc;
}

/* Runs a count statement with the text parameter 1 (NULL: no filter). */
static enum dbrc
count_q(struct db *db, const char *sql, const char *q, int64_t *count)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, q);
	rc = db_step(st);
	if (rc == DB_ROW)
		*count = db_col_i64(st, 0);
	db_done(st, rc);
	return rc == DB_ROW ? DB_OK : db_rc(db, rc, "admin count");
}

/*
 * An admin page: counts the rows of count_sql (its parameter 1: key, NULL
 * for no filter) into *count, then reads up to limit rows of sql (?1 key,
 * ?2 limit, ?3 offset), size bytes each, with fn into *out (all in a).
 */
static enum dbrc
keyed_page(struct db *db, struct arena *a, const char *count_sql, const char *sql,
    const char *key, int64_t limit, int64_t offset, size_t size, row_reader fn,
    void **out, size_t *n, int64_t *count, const char *what)
{
	struct dbstmt *st;
	enum dbrc drc;

	if ((drc = count_q(db, count_sql, key, count)) != DB_OK)
		return drc;
	if ((*out = arena_alloc(a, (size_t)(limit > 0 ? limit : 1) * size)) == NULL)
		return DB_ERROR;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, key);
	db_bind_i64(st, 2, limit);
	db_bind_i64(st, 3, offset);
	return page_fetch(db, st, a, limit, *out, size, fn, n, what);
}

/*
 * The admin pages' search: SQLite's text, and PostgreSQL's for a search
 * (a key), which its trigram indexes serve (sql/pg/029; the email folded
 * as SQLite's lower() folds it, ASCII only).  Each page's texts come in
 * pairs {SQLite's, PostgreSQL's searching}: searched() picks.
 */
#define USERS_WHERE " FROM users WHERE (?1 IS NULL OR instr(username_key, ?1) > 0" \
	" OR instr(lower(email), ?1) > 0)"
#define USERS_WHERE_PG " FROM users WHERE (" SEARCH_PG_CONTAINS("username_key", "?1") \
	" OR " SEARCH_PG_CONTAINS("lower(email COLLATE \"C\")", "?1") ")"
#define USERS_SQL_W(w, o) "SELECT id, username, email, is_staff, is_superuser," \
	" is_active, telegram_id, date_joined, last_login" w \
	" ORDER BY " o " LIMIT ?2 OFFSET ?3"
#define USERS_SQL(o) { USERS_SQL_W(USERS_WHERE, o), USERS_SQL_W(USERS_WHERE_PG, o) }

/* Of a pair {SQLite's, PostgreSQL's searching}: the text for key (NULL: no search). */
static const char *
searched(const char *const texts[2], const char *key)
{
	return key == NULL ? texts[0] : DB_SQL(texts[0], texts[1]);
}

/* Reads the one row of sql (its parameter: id) into p with fn; DB_NOTFOUND: none. */
static enum dbrc
row_get(struct db *db, const char *sql, int64_t id, struct arena *a, row_reader fn,
    void *p, const char *what)
{
	struct dbstmt *st;
	enum dbrc rc;
	int	 bad;

	if ((rc = db_get1(db, sql, id, NULL, what, &st)) != DB_OK)
		return rc;
	bad = fn(st, a, p) < 0;
	db_done(st, DB_ROW);
	return bad ? DB_ERROR : DB_OK;
}

/* Fills one user row from the USERS_SQL columns. */
static int
user_row(struct dbstmt *st, struct arena *a, void *p)
{
	struct user *u = p;

	memset(u, 0, sizeof(*u));
	u->id = db_col_i64(st, 0);
	u->username = arena_strdup(a, db_col_text(st, 1));
	u->email = arena_strdup(a, db_col_text(st, 2));
	u->password = "";
	u->is_staff = db_col_int(st, 3);
	u->is_superuser = db_col_int(st, 4);
	u->is_active = db_col_int(st, 5);
	u->telegram_id = db_col_i64(st, 6);
	u->date_joined = db_col_i64(st, 7);
	u->last_login = db_col_isnull(st, 8) ?
	    TIME_NULL : db_col_i64(st, 8);
	return u->username && u->email ? 0 : -1;
}

enum dbrc
admq_users(struct db *db, struct arena *a, const char *q,
    enum admq_user_order ordering,
    int64_t limit, int64_t offset, struct user **rows, size_t *n, int64_t *count)
{
	static const char *const sqls[][2] = {
		USERS_SQL("username_key, id"), USERS_SQL("username_key DESC, id DESC"),
		USERS_SQL("email, id"), USERS_SQL("email DESC, id DESC"),
		USERS_SQL("date_joined, id"), USERS_SQL("date_joined DESC, id DESC"),
		USERS_SQL("last_login NULLS FIRST, id"),
		USERS_SQL("last_login DESC NULLS LAST, id DESC"),
	};
	static const char *const count_sql[2] = {
		"SELECT count(*)" USERS_WHERE, "SELECT count(*)" USERS_WHERE_PG
	};
	const char *key = NULL;
	char	 folded[USERNAME_KEY_BUF];
	void	*p = NULL;
	enum dbrc drc;

	*n = 0;
	_Static_assert(sizeof(sqls) / sizeof(sqls[0]) == AU_LOGIN_DESC + 1,
	    "one query per ordering");
	if ((int)ordering < 0 || (int)ordering >= (int)(sizeof(sqls) / sizeof(sqls[0])))
		ordering = AU_DEFAULT;
	if (q != NULL) {
		if (username_key(q, folded, sizeof(folded)) < 0)
			return DB_INVALID;
		key = folded;
	}
	drc = keyed_page(db, a, searched(count_sql, key), searched(sqls[ordering], key), key,
	    limit, offset, sizeof(**rows), user_row, &p, n, count, "admin users");
	*rows = p;
	return drc;
}

enum dbrc
admq_user_update(struct db *db, int64_t id, const char *email, int is_staff,
    int is_active)
{
	static const char sql[] =
	    "UPDATE users SET email = ?, is_staff = ?, is_active = ? WHERE id = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, email);
	db_bind_int(st, 2, is_staff != 0);
	db_bind_int(st, 3, is_active != 0);
	db_bind_i64(st, 4, id);
	rc = db_done(st, db_step(st));
	if (rc != DB_DONE)
		return db_rc(db, rc, "admin user update");
	return db_changes(db) ? DB_OK : DB_NOTFOUND;
}

/* Fills one (id, label) choice. */
static int
choice_row(struct dbstmt *st, struct arena *a, void *p)
{
	struct admq_choice *c = p;

	c->id = db_col_i64(st, 0);
	c->label = arena_strdup(a, db_col_text(st, 1));
	return c->label ? 0 : -1;
}

/* Reads (id, label) rows of a statement with one limit parameter. */
static enum dbrc
choices(struct db *db, const char *sql, struct arena *a, size_t limit,
    struct admq_choice **out, size_t *n)
{
	void	*rows = NULL;
	enum dbrc rc;

	rc = limit_fetch(db, sql, a, limit, sizeof(**out), choice_row, &rows, n,
	    "admin choices");
	*out = rows;
	return rc;
}

enum dbrc
admq_user_choices(struct db *db, struct arena *a, size_t limit,
    struct admq_choice **out, size_t *n)
{
	static const char sql[] = "SELECT id, username FROM users WHERE is_active = 1"
	    " ORDER BY username_key LIMIT ?";

	return choices(db, sql, a, limit, out, n);
}

enum dbrc
admq_list_choices(struct db *db, struct arena *a, size_t limit,
    struct admq_choice **out, size_t *n)
{
	static const char sql[] = "SELECT l.id, l.name || ' (' || u.username || ')'"
	    " FROM lists l JOIN users u ON u.id = l.owner_id"
	    " ORDER BY l.name_key, l.id LIMIT ?";

	return choices(db, sql, a, limit, out, n);
}

#define LIST_COLS "SELECT l.id, l.owner_id, l.name, u.username, l.created_at," \
	" l.updated_at, l.task_count," \
	" (SELECT group_concat(name, ', ') FROM (SELECT t.name FROM tasks t" \
	" WHERE t.list_id = l.id ORDER BY t.created_at, t.id LIMIT 3) AS f)" \
	" FROM lists l JOIN users u ON u.id = l.owner_id"
#define LISTS_WHERE " WHERE (?1 IS NULL OR instr(l.name_key, ?1) > 0)"
#define LISTS_WHERE_PG " WHERE " SEARCH_PG_CONTAINS("l.name_key", "?1")
#define LISTS_SQL_W(w, o) LIST_COLS w " ORDER BY " o " LIMIT ?2 OFFSET ?3"
#define LISTS_SQL(o) { LISTS_SQL_W(LISTS_WHERE, o), LISTS_SQL_W(LISTS_WHERE_PG, o) }

/* Fills one list row from the LIST_COLS columns. */
static int
list_row(struct dbstmt *st, struct arena *a, void *p)
{
	struct admq_list *l = p;

	l->id = db_col_i64(st, 0);
	l->owner_id = db_col_i64(st, 1);
	l->name = arena_strdup(a, db_col_text(st, 2));
	l->owner = arena_strdup(a, db_col_text(st, 3));
	l->created_at = db_col_i64(st, 4);
	l->updated_at = db_col_i64(st, 5);
	l->ntasks = db_col_i64(st, 6);
	l->first = arena_strdup(a, db_col_text(st, 7));
	return l->name && l->owner && l->first ? 0 : -1;
}

enum dbrc
admq_lists(struct db *db, struct arena *a, const char *q,
    enum admq_list_order ordering,
    int64_t limit, int64_t offset, struct admq_list **rows, size_t *n,
    int64_t *count)
{
	static const char *const sqls[][2] = {
		LISTS_SQL("l.name_key, l.id"), LISTS_SQL("l.name_key DESC, l.id DESC"),
		LISTS_SQL("u.username_key, l.id"), LISTS_SQL("u.username_key DESC, l.id DESC"),
		LISTS_SQL("7, l.id"), LISTS_SQL("7 DESC, l.id DESC"),
		LISTS_SQL("l.updated_at, l.id"), LISTS_SQL("l.updated_at DESC, l.id DESC"),
	};
	static const char *const count_sql[2] = {
		"SELECT count(*) FROM lists l" LISTS_WHERE,
		"SELECT count(*) FROM lists l" LISTS_WHERE_PG
	};
	const char *key = NULL;
	void	*p = NULL;
	enum dbrc drc;

	*n = 0;
	_Static_assert(sizeof(sqls) / sizeof(sqls[0]) == AL_UPDATED_DESC + 1,
	    "one query per ordering");
	if ((int)ordering < 0 || (int)ordering >= (int)(sizeof(sqls) / sizeof(sqls[0])))
		ordering = AL_DEFAULT;
	if (q != NULL && (key = search_key(a, q)) == NULL)
		return DB_INVALID;
	drc = keyed_page(db, a, searched(count_sql, key), searched(sqls[ordering], key), key,
	    limit, offset, sizeof(**rows), list_row, &p, n, count, "admin lists");
	*rows = p;
	return drc;
}

enum dbrc
admq_list_get(struct db *db, struct arena *a, int64_t id, struct admq_list *l)
{
	static const char sql[] = LIST_COLS " WHERE l.id = ?";

	return row_get(db, sql, id, a, list_row, l, "admin list");
}

#define TASK_COLS "SELECT t.id, t.list_id, t.assigned_to, t.complete_before," \
	" t.created_at, t.updated_at, t.name, t.description, t.status, l.name," \
	" o.username, a.username, t.rec_every, t.rec_unit, t.rec_from, t.rec_until," \
	" t.reminders" \
	" FROM tasks t JOIN lists l ON l.id = t.list_id" \
	" JOIN users o ON o.id = l.owner_id LEFT JOIN users a ON a.id = t.assigned_to"
#define TASKS_FILTER " AND (?2 IS NULL OR t.status = ?2) AND (?3 = 0 OR t.list_id = ?3)" \
	" AND (?4 = 0 OR (?4 = -1 AND t.assigned_to IS NULL) OR t.assigned_to = ?4)"
#define TASKS_WHERE " WHERE (?1 IS NULL OR instr(t.name_key, ?1) > 0)" TASKS_FILTER
#define TASKS_WHERE_PG " WHERE " SEARCH_PG_CONTAINS("t.name_key", "?1") TASKS_FILTER
/* the page's ids come first, so skipped rows are never read in full */
#define TASKS_SQL_W(w, o) TASK_COLS " WHERE t.id IN (SELECT t.id FROM tasks t" \
	" JOIN lists l ON l.id = t.list_id LEFT JOIN users a ON a.id = t.assigned_to" \
	w " ORDER BY " o " LIMIT ?5 OFFSET ?6) ORDER BY " o
#define TASKS_SQL(o) { TASKS_SQL_W(TASKS_WHERE, o), TASKS_SQL_W(TASKS_WHERE_PG, o) }

/* Fills one task row from the TASK_COLS columns. */
static int
task_row(struct dbstmt *st, struct arena *a, void *p)
{
	struct admq_task *t = p;

	t->id = db_col_i64(st, 0);
	t->list_id = db_col_i64(st, 1);
	t->assigned_to = db_col_i64(st, 2);
	t->complete_before = db_col_isnull(st, 3) ?
	    TIME_NULL : db_col_i64(st, 3);
	t->created_at = db_col_i64(st, 4);
	t->updated_at = db_col_i64(st, 5);
	t->name = arena_strdup(a, db_col_text(st, 6));
	t->description = arena_strdup(a, db_col_text(st, 7));
	t->status = arena_strdup(a, db_col_text(st, 8));
	t->list_name = arena_strdup(a, db_col_text(st, 9));
	t->owner = arena_strdup(a, db_col_text(st, 10));
	t->assignee = db_col_isnull(st, 11) ? NULL :
	    arena_strdup(a, db_col_text(st, 11));
	task_rec_read(st, 12, &t->rec);
	t->reminders = db_col_isnull(st, 16) ? NULL :
	    arena_strdup(a, db_col_text(st, 16));
	return t->name && t->description && t->status && t->list_name &&
	    t->owner && (t->assignee || t->assigned_to == 0) &&
	    (t->reminders || db_col_isnull(st, 16)) ? 0 : -1;
}

/* Binds the task filter as parameters 1-4. */
static void
bind_filter(struct dbstmt *st, const struct admq_task_filter *f, const char *q)
{
	db_bind_text(st, 1, q);
	db_bind_text(st, 2, f->status);
	db_bind_i64(st, 3, f->list_id);
	db_bind_i64(st, 4, f->assignee);
}

enum dbrc
admq_tasks(struct db *db, struct arena *a, const struct admq_task_filter *f,
    enum admq_task_order ordering, int64_t limit, int64_t offset,
    struct admq_task **rows,
    size_t *n, int64_t *count)
{
	static const char *const sqls[][2] = {
		TASKS_SQL("t.id"), TASKS_SQL("t.id DESC"),
		TASKS_SQL("t.name_key, t.id"), TASKS_SQL("t.name_key DESC, t.id DESC"),
		TASKS_SQL("l.name_key, t.id"), TASKS_SQL("l.name_key DESC, t.id DESC"),
		/* tasks without an assignee or a deadline come last either way */
		TASKS_SQL("a.username_key IS NULL, a.username_key, t.id"),
		TASKS_SQL("a.username_key IS NULL, a.username_key DESC, t.id DESC"),
		TASKS_SQL("t.complete_before IS NULL, t.complete_before, t.id"),
		TASKS_SQL("t.complete_before IS NULL, t.complete_before DESC, t.id DESC"),
		TASKS_SQL("t.status, t.id"), TASKS_SQL("t.status DESC, t.id DESC"),
		TASKS_SQL("t.updated_at, t.id"), TASKS_SQL("t.updated_at DESC, t.id DESC"),
	};
	static const char *const count_sql[2] = {
		"SELECT count(*) FROM tasks t" TASKS_WHERE,
		"SELECT count(*) FROM tasks t" TASKS_WHERE_PG
	};
	const char *key = NULL;
	struct dbstmt *st;
	int	 rc;

	if (f->q != NULL && (key = search_key(a, f->q)) == NULL)
		return DB_INVALID;
	*n = 0;
	_Static_assert(sizeof(sqls) / sizeof(sqls[0]) == AT_UPDATED_DESC + 1,
	    "one query per ordering");
	if ((int)ordering < 0 || (int)ordering >= (int)(sizeof(sqls) / sizeof(sqls[0])))
		ordering = AT_DEFAULT;
	if ((st = db_prep(db, searched(count_sql, key))) == NULL)
		return DB_ERROR;
	bind_filter(st, f, key);
	if ((rc = db_step(st)) == DB_ROW)
		*count = db_col_i64(st, 0);
	db_done(st, rc);
	if (rc != DB_ROW)
		return db_rc(db, rc, "admin count tasks");
	if ((*rows = arena_alloc(a, (size_t)(limit > 0 ? limit : 1) * sizeof(**rows))) == NULL)
		return DB_ERROR;
	if ((st = db_prep(db, searched(sqls[ordering], key))) == NULL)
		return DB_ERROR;
	bind_filter(st, f, key);
	db_bind_i64(st, 5, limit);
	db_bind_i64(st, 6, offset);
	return page_fetch(db, st, a, limit, *rows, sizeof(**rows), task_row, n,
	    "admin tasks");
}

enum dbrc
admq_task_get(struct db *db, struct arena *a, int64_t id, struct admq_task *t)
{
	static const char sql[] = TASK_COLS " WHERE t.id = ?";

	return row_get(db, sql, id, a, task_row, t, "admin task");
}
