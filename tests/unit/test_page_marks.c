/*
 * Unit tests: the page marks of deep task pages (domain/page_marks.h) stay
 * true across inserts, deletes, moves and created_at changes, made by this
 * connection or by another one (the version triggers of sql/008 and 011).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "lists.h"
#include "tap.h"
#include "unit_db.h"
#include "task_pages.h"
#include "tasks.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

#define NTASKS	300

static struct db db, other;
static struct task_cache *cache;

static void
add_row(void *ctx, const struct task *t)
{
	int64_t	*ids = ctx;

	ids[++ids[0]] = t->id;
}

/* The order of tasks_page's calls: the count once, before any row. */
struct calls {
	int	 heads, rows, rows_before_head;
	int64_t	 count;
};

static void
call_head(void *ctx, int64_t count)
{
	struct calls *c = ctx;

	c->heads++;
	c->count = count;
	c->rows_before_head = c->rows;
}

static void
call_row(void *ctx, const struct task *t)
{
	struct calls *c = ctx;

	(void)t;
	c->rows++;
}

/*
 * Whether the page of scope (a list or an assignee) at offset, limit rows,
 * in order, is the one plain SQL reads from the same database.
 */
static int
page_agrees(enum task_scope scope, int64_t scope_id, enum task_order order,
    int64_t offset, int64_t limit)
{
	static const char *const sql[2][2] = {
		{ "SELECT id FROM tasks WHERE list_id = ?1 ORDER BY created_at DESC, id DESC"
		  " LIMIT ?2 OFFSET ?3",
		  "SELECT id FROM tasks WHERE list_id = ?1 ORDER BY created_at, id"
		  " LIMIT ?2 OFFSET ?3" },
		{ "SELECT id FROM tasks WHERE assigned_to = ?1 ORDER BY created_at DESC, id DESC"
		  " LIMIT ?2 OFFSET ?3",
		  "SELECT id FROM tasks WHERE assigned_to = ?1 ORDER BY created_at, id"
		  " LIMIT ?2 OFFSET ?3" },
	};
	struct actor sys = { 0, 1 };
	struct task_query q;
	sqlite3_stmt *st;
	int64_t	 got[64], want[64], n = 0, count;
	int	 i, same;

	if (sqlite3_prepare_v2(db.h, sql[scope == TQ_ASSIGNEE][order == TO_CREATED], -1,
	    &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, scope_id);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	while (n < 63 && sqlite3_step(st) == SQLITE_ROW)
		want[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	task_query_init(&q, scope, scope_id);
	q.order = order;
	q.limit = limit;
	q.offset = offset;
	got[0] = 0;
	if (tasks_page(&db, cache, &sys, &q, NULL, add_row, got, &count) != DB_OK)
		return 0;
	same = got[0] == n && n > 0;
	for (i = 0; same && i < n; i++)
		same = got[i + 1] == want[i];
	if (!same)
		fprintf(stderr, "# offset %lld: %lld rows, %lld wanted, first %lld vs %lld\n",
		    (long long)offset, (long long)got[0], (long long)n,
		    (long long)(got[0] ? got[1] : 0), (long long)(n ? want[0] : 0));
	return same;
}

/* The marks the cache holds for every scope together. */
static int
marks_held(void)
{
	int	 i, n = 0;

	for (i = 0; i < MARK_SETS; i++)
		n += cache->marks.sets[i].used ? cache->marks.sets[i].n : 0;
	return n;
}

/* Every deep page of list lid and of assignee uid, both orders, agrees. */
static int
all_agree(int64_t lid, int64_t uid)
{
	static const int64_t offsets[] = { 0, 64, 65, 127, 130, 200, 255, 256, 270 };
	size_t	 i;
	int	 same = 1, o;

	for (o = 0; o < 2; o++)
		for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
			same &= page_agrees(TQ_LIST, lid, o ? TO_CREATED : TO_CREATED_DESC,
			    offsets[i], 10);
			same &= page_agrees(TQ_ASSIGNEE, uid, o ? TO_CREATED : TO_CREATED_DESC,
			    offsets[i] / 2, 10);
		}
	return same;
}

static int
run(struct db *d, const char *sql, int64_t a)
{
	sqlite3_stmt *st;
	int	 rc;

	if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-marks-XXXXXX", err[256], name[32];
	struct actor owner;
	struct task_input in;
	enum rule why;
	int64_t	 uid, bob, lid, id, first = 0, last = 0;
	int	 i;

	if (unit_db_open(&db, path) < 0)
		return 1;
	ok(db_open(&other, path, 0, err, sizeof(err)) == 0, "another connection %s", err);
	username_sql_register(&other);
	ok((cache = task_cache_new()) != NULL, "page cache");
	users_create(&db, "alice", "", "", 0, 0, &uid);
	users_create(&db, "bob", "", "", 0, 0, &bob);
	owner = (struct actor){ uid, 0 };
	is_int(lists_create(&db, uid, "Deep", &lid, &why), DB_OK, "list");
	memset(&in, 0, sizeof(in));
	in.set = TF_NAME | TF_ASSIGNED_TO;
	in.name = name;
	in.complete_before = TIME_NULL;
	for (i = 0; i < NTASKS; i++) {
		snprintf(name, sizeof(name), "task %d", i);
		/* every other task assigned to alice, the rest to bob */
		in.assigned_to = i % 2 ? bob : uid;
		if (tasks_create(&db, &owner, lid, &in, &id, &why, NULL, NULL) != DB_OK)
			break;
		if (first == 0)
			first = id;
		last = id;
	}
	is_int(i, NTASKS, "tasks created");

	{
		struct actor sys = { 0, 1 };
		struct calls c = { 0, 0, -1, 0 };
		struct task_query q, before;
		int64_t	 count = 0;

		task_query_init(&q, TQ_LIST, lid);
		q.limit = 5;
		q.offset = 200;
		before = q;
		is_int(tasks_page(&db, cache, &sys, &q, call_head, call_row, &c, &count),
		    DB_OK, "a page");
		ok(c.heads == 1 && c.rows_before_head == 0 && c.count == NTASKS,
		    "the count comes once, before the rows");
		is_int(count, NTASKS, "and as *count");
		is_int(c.rows, 5, "then the rows");
		ok(q.limit == before.limit && q.offset == before.offset &&
		    q.scope_name == before.scope_name && q.order == before.order &&
		    q.status == before.status, "the query is left as it was");
		q.offset = NTASKS;
		c.heads = c.rows = 0;
		is_int(tasks_page(&db, cache, &sys, &q, call_head, call_row, &c, &count),
		    DB_OK, "a page past the end");
		ok(c.heads == 1 && c.rows == 0, "has its count and no rows");
		q.order = (enum task_order)99;
		c.heads = 0;
		is_int(tasks_page(&db, cache, &sys, &q, call_head, call_row, &c, &count),
		    DB_INVALID, "an unknown order is refused");
		is_int(c.heads, 0, "before anything is called");
	}
	ok(all_agree(lid, uid), "deep pages agree with the scan");
	ok(marks_held() >= 4, "and came from marks (%d held)", marks_held());

	/* this connection's writes */
	snprintf(name, sizeof(name), "newest");
	in.assigned_to = uid;
	is_int(tasks_create(&db, &owner, lid, &in, &id, &why, NULL, NULL), DB_OK, "insert");
	ok(all_agree(lid, uid), "after an insert");
	is_int(tasks_delete(&db, &owner, first + 10), DB_OK, "delete");
	ok(all_agree(lid, uid), "after a delete");

	/* another connection's writes: the marks this one holds must not serve */
	snprintf(name, sizeof(name), "from elsewhere");
	is_int(tasks_create(&other, &owner, lid, &in, &id, &why, NULL, NULL), DB_OK,
	    "insert by another connection");
	ok(all_agree(lid, uid), "after its insert");
	is_int(tasks_delete(&other, &owner, first + 20), DB_OK, "delete by another connection");
	ok(all_agree(lid, uid), "after its delete");
	is_int(run(&other, "UPDATE tasks SET created_at = 1 WHERE id = ?1", last - 5), 0,
	    "created_at moved by another connection");
	ok(all_agree(lid, uid), "after the move in the order");
	is_int(run(&other, "UPDATE tasks SET assigned_to = NULL WHERE id = ?1", first + 30), 0,
	    "unassigned by another connection");
	ok(all_agree(lid, uid), "after the assignee's change");
	ok(marks_held() >= 4, "marks are held again (%d)", marks_held());

	task_cache_free(cache);
	db_close(&other);
	unit_db_remove(&db, path);
	return tap_done();
}
