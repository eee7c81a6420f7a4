/* Unit tests: the rules of domain/lists and domain/tasks on a temporary, migrated database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "lists.h"
#include "notices.h"
#include "tap.h"
#include "unit_db.h"
#include "task_pages.h"
#include "task_search.h"
#include "tasks.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

static struct db db;
static struct arena a;
static struct task_cache *cache;

/* One integer from sql with one bound integer (or none when arg < 0). */
static int64_t
q1(const char *sql, int64_t arg)
{
	return unit_q1(db.h, sql, arg);
}

static int64_t
user(const char *name)
{
	int64_t	 id = 0;

	users_create(&db, name, "", "", 0, 0, &id);
	return id;
}

static struct task_input
named(const char *name)
{
	struct task_input in;

	memset(&in, 0, sizeof(in));
	in.set = TF_NAME;
	in.name = name;
	in.complete_before = TIME_NULL;
	return in;
}

static void
count_row(void *ctx, const struct task *t)
{
	int64_t	*ids = ctx;

	ids[++ids[0]] = t->id;
}

/* The count of page q, without its rows. */
static enum dbrc
page_count(const struct actor *who, struct task_query *q, int64_t *n)
{
	q->limit = 0;
	return tasks_page(&db, cache, who, q, NULL, count_row, NULL, n);
}

/* The rows of page q, limit from offset, appended to ids (count in ids[0]). */
static enum dbrc
page_rows(const struct actor *who, struct task_query *q, int64_t limit, int64_t offset,
    int64_t *ids)
{
	int64_t	 n;

	q->limit = limit;
	q->offset = offset;
	return tasks_page(&db, cache, who, q, NULL, count_row, ids, &n);
}

/* The SQL texts of the page statements run since the last reset (trace). */
static char	 ran[8192];

static int
trace_stmt(unsigned type, void *ctx, void *p, void *x)
{
	const char *sql = sqlite3_sql(p);

	(void)type;
	(void)ctx;
	(void)x;
	if (sql != NULL && strstr(sql, "FROM tasks") != NULL &&
	    strlen(ran) + strlen(sql) + 2 < sizeof(ran)) {
		strcat(ran, sql);
		strcat(ran, "\n");
	}
	return 0;
}

/* The tasks newer than the search index. */
#define TAIL_SQL "SELECT (SELECT max(id) FROM tasks) - indexed_to FROM task_search"
/* FTS5's check of the index against the tasks (all of them indexed). */
#define INTEGRITY() sqlite3_exec(db.h, "INSERT INTO tasks_fts (tasks_fts, rank)" \
	" VALUES ('integrity-check', 1)", NULL, NULL, NULL)

/* Whether a write's answer x is the task as stored (y, read back). */
static int
same_task(const char *what, const struct task *x, const struct task *y)
{
#define STR_EQ(p, q) ((p) == NULL ? (q) == NULL : (q) != NULL && strcmp((p), (q)) == 0)
	int	 same = x->id == y->id && x->list_id == y->list_id &&
	    x->owner_id == y->owner_id && STR_EQ(x->name, y->name) &&
	    STR_EQ(x->description, y->description) && STR_EQ(x->list_name, y->list_name) &&
	    x->assigned_to == y->assigned_to && STR_EQ(x->assignee_name, y->assignee_name) &&
	    x->complete_before == y->complete_before && x->status == y->status &&
	    x->created_at == y->created_at && x->updated_at == y->updated_at;
#undef STR_EQ

	if (!same)
		fprintf(stderr, "# %s: answer {%lld %s %s %lld %s %d %lld} stored"
		    " {%lld %s %s %lld %s %d %lld}\n", what, (long long)x->id,
		    x->name ? x->name : "(null)", x->description ? x->description : "(null)",
		    (long long)x->assigned_to, x->assignee_name ? x->assignee_name : "(null)",
		    x->status, (long long)x->updated_at, (long long)y->id,
		    y->name ? y->name : "(null)", y->description ? y->description : "(null)",
		    (long long)y->assigned_to, y->assignee_name ? y->assignee_name : "(null)",
		    y->status, (long long)y->updated_at);
	return same;
}

/*
 * Checks one search on the page of list lid (order -created_at): its count
 * and rows, read in pages of 7, are those of the plain instr() scan, and
 * it took the trigram index (fts 1) or the scan (fts 0).  Returns the count.
 */
static int64_t
search_agrees(const struct actor *who, int64_t lid, const char *text, int fts)
{
	struct task_query q;
	sqlite3_stmt *st;
	int64_t	 want[512], got[512], page[16], n = 0, count = -1, off;
	const char *key = search_key(&a, text);
	int	 same = 1, i;

	task_query_init(&q, TQ_LIST, lid);
	q.search = key;
	if (sqlite3_prepare_v2(db.h, "SELECT id FROM tasks WHERE list_id = ?1"
	    " AND instr(name_key, ?2) > 0 ORDER BY created_at DESC, id DESC", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, lid);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	while (n < 512 && sqlite3_step(st) == SQLITE_ROW)
		want[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	ran[0] = '\0';
	is_int(page_count(who, &q, &count), DB_OK, "count of '%s'", text);
	is_int(count, n, "'%s': the count is the scan's", text);
	for (off = 0, got[0] = 0; off <= n && off < 512 - 7; off += 7) {
		page[0] = 0;
		if (page_rows(who, &q, 7, off, page) != DB_OK)
			same = 0;
		for (i = 1; i <= page[0]; i++)
			got[++got[0]] = page[i];
	}
	if (got[0] != n)
		same = 0;
	for (i = 0; same && i < n; i++)
		same = got[i + 1] == want[i];
	ok(same, "'%s': the rows are the scan's, in order (%d)", text, (int)n);
	is_int(strstr(ran, ") c CROSS JOIN tasks t") != NULL, fts, "'%s': %s", text,
	    fts ? "from the trigram index" : "by the scan");
	return n;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX";
	struct actor alice, bob, carol, sys = { 0, 1 };
	struct task_input in;
	struct task t, t2;
	struct task_query q;
	enum rule why;
	int64_t	 al, bo, ca, l1, l2, id, id2, id3, n, ids[64];
	struct task_done done;
	int	 i;
	char	 name[32];

	if (unit_db_open(&db, path) < 0)
		return 1;
	ok((cache = task_cache_new()) != NULL, "page cache");
	sqlite3_trace_v2(db.h, SQLITE_TRACE_STMT, trace_stmt, NULL);
	al = user("alice");
	bo = user("bob");
	ca = user("carol");
	alice = (struct actor){ al, 0 };
	bob = (struct actor){ bo, 0 };
	carol = (struct actor){ ca, 0 };

	/* lists */
	is_int(lists_create(&db, al, "Home", &l1, &why), DB_OK, "list created");
	is_int(lists_create(&db, al, "Home", &id, &why), DB_INVALID, "same name refused");
	is_int(why, RULE_NAME_TAKEN, "... as taken");
	is_int(lists_create(&db, al, "", &id, &why), DB_INVALID, "empty name refused");
	is_int(why, RULE_BAD_VALUE, "... as a bad value");
	is_int(lists_create(&db, bo, "Home", &l2, &why), DB_OK, "another owner may reuse it");
	is_int(lists_get_visible(&db, &bob, l1, &a, &(struct list){ 0 }), DB_NOTFOUND,
	    "a stranger does not see the list");
	is_int(lists_get_visible(&db, &sys, l1, &a, &(struct list){ 0 }), DB_OK,
	    "sees_all does");

	/* texts are stored trimmed (every writer: API, admin pages, bot) */
	{
		char	 longname[NAME_BYTES + 8];
		int64_t	 lt, tt;

		is_int(lists_create(&db, al, " Home\t", &id, &why), DB_INVALID,
		    "a name is compared trimmed");
		is_int(why, RULE_NAME_TAKEN, "... as taken");
		is_int(lists_create(&db, al, "\xe3\x80\x80 \xc2\xa0", &id, &why), DB_INVALID,
		    "only whitespace");
		is_int(why, RULE_BAD_VALUE, "... as a bad value");
		is_int(lists_create(&db, al, "\xe2\x80\x83Trim me\n", &lt, &why), DB_OK,
		    "list created");
		is_int(q1("SELECT name = 'Trim me' AND name_key = 'trim me' FROM lists"
		    " WHERE id = ?", lt), 1, "stored and folded trimmed");
		memset(longname, 'x', NAME_MAX_CHARS + 2);
		longname[0] = longname[NAME_MAX_CHARS + 1] = ' ';
		longname[NAME_MAX_CHARS + 2] = '\0';
		ok(name_valid(longname), "200 characters between spaces are a valid name");
		is_int(lists_update_locked(&db, &alice, lt, q1("SELECT updated_at FROM lists"
		    " WHERE id = ?", lt), longname, &why), DB_OK, "renamed to them");
		is_int(q1("SELECT length(name) FROM lists WHERE id = ?", lt), NAME_MAX_CHARS,
		    "stored without the spaces");
		in = named("  Task  ");
		in.set |= TF_DESCRIPTION;
		in.description = "\n  two lines\n  of text \r\n";
		is_int(tasks_create(&db, &alice, lt, &in, &tt, &why, &a, &t), DB_OK,
		    "task created");
		is_str(t.name, "Task", "the answer's name trimmed");
		is_str(t.description, "two lines\n  of text", "the answer's description trimmed");
		is_int(tasks_get_visible(&db, &alice, tt, &a, &t2), DB_OK, "read back");
		ok(same_task("trimmed create", &t, &t2), "stored as answered");
		in = named("Task\xe2\x80\xa8");
		is_int(tasks_create(&db, &alice, lt, &in, &id, &why, NULL, NULL), DB_INVALID,
		    "the same name with a line separator");
		is_int(why, RULE_NAME_TAKEN, "... as taken");
		in = named(" Task 2 ");
		in.set |= TF_DESCRIPTION;
		in.description = " \t ";
		is_int(tasks_update_locked(&db, &alice, tt, t2.updated_at, &in, &why, &a, &t),
		    DB_OK, "update");
		is_str(t.name, "Task 2", "renamed trimmed");
		is_str(t.description, "", "a blank description is empty");
		is_int(tasks_get_visible(&db, &alice, tt, &a, &t2), DB_OK, "read back");
		ok(same_task("trimmed update", &t, &t2), "stored as answered");
		in = named(" ");
		is_int(tasks_update_locked(&db, &alice, tt, t2.updated_at, &in, &why, NULL, NULL),
		    DB_INVALID, "a blank name");
		is_int(why, RULE_BAD_VALUE, "... as a bad value");
		is_int(lists_delete(&db, &alice, lt), DB_OK, "cleaned up");
	}

	/* create: the status machine on save */
	in = named("Buy milk");
	in.set |= TF_ASSIGNED_TO;
	in.assigned_to = bo;
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why, NULL, NULL), DB_OK, "task created");
	is_int(tasks_get_visible(&db, &bob, id, &a, &t), DB_OK, "the assignee sees it");
	is_int(t.status, TS_IN_PROGRESS, "assigned + Pending -> In Progress");
	is_str(t.assignee_name, "bob", "assignee name");
	is_int(tasks_get_visible(&db, &carol, id, &a, &t2), DB_NOTFOUND, "a stranger does not");
	is_int(tasks_create(&db, &bob, l1, &in, &id2, &why, NULL, NULL), DB_NOTFOUND,
	    "the assignee cannot add to the owner's list");
	in = named("Buy milk");
	is_int(tasks_create(&db, &alice, l1, &in, &id2, &why, NULL, NULL), DB_INVALID, "name unique in list");
	is_int(why, RULE_NAME_TAKEN, "... as taken");
	in = named("Ghost");
	in.set |= TF_ASSIGNED_TO;
	in.assigned_to = 9999;
	is_int(tasks_create(&db, &alice, l1, &in, &id2, &why, NULL, NULL), DB_INVALID, "unknown assignee");
	is_int(why, RULE_BAD_ASSIGNEE, "... as a bad assignee");
	is_int(q1("SELECT count(*) FROM tasks", -1), 1, "refusals stored nothing");

	/* locking */
	in = named("Buy oat milk");
	is_int(tasks_update_locked(&db, &bob, id, t.updated_at - 1, &in, &why, NULL, NULL), DB_CONFLICT,
	    "stale updated_at");
	is_int(tasks_update_locked(&db, &bob, id, t.updated_at, &in, &why, NULL, NULL), DB_OK, "fresh one");
	is_int(tasks_get_visible(&db, &bob, id, &a, &t2), DB_OK, "read again");
	ok(t2.updated_at > t.updated_at, "updated_at moved on");
	is_str(t2.name, "Buy oat milk", "renamed");
	is_int(tasks_update_locked(&db, &bob, id, t.updated_at, &in, &why, NULL, NULL), DB_CONFLICT,
	    "the old value no longer wins");
	for (i = 0; i < 20; i++) {
		t = t2;
		in.set = 0;
		if (tasks_update_locked(&db, &alice, id, t.updated_at, &in, &why, NULL, NULL) != DB_OK ||
		    tasks_get_visible(&db, &alice, id, &a, &t2) != DB_OK ||
		    t2.updated_at <= t.updated_at)
			break;
	}
	is_int(i, 20, "updated_at strictly increases over 20 quick writes");
	is_int(tasks_update_locked(&db, &carol, id, t2.updated_at, &in, &why, NULL, NULL), DB_NOTFOUND,
	    "a stranger's update is not found");

	/* a write's answer is built from what it wrote: it must be the task
	 * as stored, field for field */
	{
		static const struct { const char *what; unsigned set; } step[] = {
			{ "rename", TF_NAME }, { "describe", TF_DESCRIPTION },
			{ "reassign", TF_ASSIGNED_TO }, { "unassign", TF_ASSIGNED_TO },
			{ "deadline", TF_DEADLINE }, { "no deadline", TF_DEADLINE },
			{ "complete", TF_STATUS }, { "reopen", TF_STATUS },
			{ "same name", TF_NAME }, { "nothing", 0 },
		};
		struct task w, st;
		int64_t	 wid, lid;

		memset(&w, 0, sizeof(w));
		in = named("Answer me");
		in.set |= TF_DESCRIPTION | TF_ASSIGNED_TO | TF_DEADLINE;
		in.description = "with \"all\" fields";
		in.assigned_to = bo;
		in.complete_before = now_us() + 86400000000LL;
		is_int(tasks_create(&db, &alice, l1, &in, &wid, &why, &a, &w), DB_OK,
		    "create with an answer");
		is_int(tasks_get_visible(&db, &sys, wid, &a, &st), DB_OK, "read back");
		ok(same_task("create, all fields", &w, &st), "create's answer is the stored task");
		is_int(w.status, TS_IN_PROGRESS, "... settled to In Progress");
		is_int(lists_create(&db, al, "Answers", &lid, &why), DB_OK, "second list");
		in = named("Bare");
		is_int(tasks_create(&db, &alice, lid, &in, &id2, &why, &a, &w), DB_OK,
		    "create with a name only");
		is_int(tasks_get_visible(&db, &sys, id2, &a, &st), DB_OK, "read back");
		ok(same_task("create, name only", &w, &st), "its answer too (defaults, other list)");

		/* each change alone, then none */
		for (i = 0; i < (int)(sizeof(step) / sizeof(step[0])); i++) {
			memset(&in, 0, sizeof(in));
			in.set = step[i].set;
			in.name = "Answer me again";
			in.description = "edited";
			in.assigned_to = i == 2 ? ca : 0;
			in.complete_before = i == 4 ? now_us() + 3600000000LL : TIME_NULL;
			in.status = i == 6 ? TS_COMPLETED : TS_PENDING;
			if (tasks_get_visible(&db, &sys, wid, &a, &st) != DB_OK ||
			    tasks_update_locked(&db, &alice, wid, st.updated_at, &in, &why,
			    &a, &w) != DB_OK || tasks_get_visible(&db, &sys, wid, &a, &st) != DB_OK ||
			    !same_task(step[i].what, &w, &st))
				break;
		}
		is_int(i, (int)(sizeof(step) / sizeof(step[0])),
		    "every update's answer is the stored task (stopped at the failing step)");
		is_int(st.assigned_to, 0, "the steps ran: unassigned");
		is_int(st.status, TS_PENDING, "... and reopened");
		is_str(st.name, "Answer me again", "... and renamed");
	}

	/* complete */
	is_int(tasks_complete(&db, &bob, id, &why, NULL), DB_OK, "complete from In Progress");
	t = t2;
	is_int(tasks_get_visible(&db, &bob, id, &a, &t2), DB_OK, "read");
	is_int(t2.status, TS_COMPLETED, "Completed");
	is_int(tasks_complete(&db, &bob, id, &why, NULL), DB_INVALID, "complete twice refused");
	is_int(why, RULE_NOT_COMPLETABLE, "... as not completable");
	is_int(tasks_get_visible(&db, &bob, id, &a, &t), DB_OK, "read");
	is_int(t.updated_at, t2.updated_at, "a refusal changes nothing");
	in = named("Pending one");
	is_int(tasks_create(&db, &alice, l1, &in, &id2, &why, NULL, NULL), DB_OK, "unassigned task");
	is_int(tasks_complete(&db, &alice, id2, &why, NULL), DB_INVALID, "Pending cannot be completed");

	/* recurring: the completion and the move commit or roll back together */
	in = named("Every week");
	in.set |= TF_RECURRENCE;
	in.rec = (struct recurrence){ 1, RU_WEEK, RF_DEADLINE, TIME_NULL };
	is_int(tasks_create(&db, &alice, l1, &in, &id3, &why, NULL, NULL), DB_INVALID,
	    "a rule without a deadline is refused");
	is_int(why, RULE_NEEDS_DEADLINE, "... as needing one");
	in.set |= TF_ASSIGNED_TO | TF_DEADLINE;
	in.assigned_to = bo;
	in.complete_before = now_us() + 3600000000LL;
	is_int(tasks_create(&db, &alice, l1, &in, &id3, &why, NULL, NULL), DB_OK, "recurring task");
	is_int(db_begin(&db), DB_OK, "a caller's transaction");
	is_int(tasks_complete(&db, &bob, id3, &why, &done), DB_OK, "completed in it");
	ok(done.recurring && done.next > in.complete_before, "moved on");
	is_int(q1("SELECT count(*) FROM task_completions WHERE task_id = ?", id3), 1, "recorded");
	db_rollback(&db);
	is_int(q1("SELECT count(*) FROM task_completions WHERE task_id = ?", id3), 0,
	    "rolled back: no completion");
	is_int(q1("SELECT complete_before FROM tasks WHERE id = ?", id3), in.complete_before,
	    "... and the deadline unmoved");
	is_int(tasks_complete(&db, &bob, id3, &why, &done), DB_OK, "completed");
	is_int(q1("SELECT complete_before FROM tasks WHERE id = ?", id3), done.next, "moved");
	is_int(tasks_get_visible(&db, &bob, id3, &a, &t), DB_OK, "read");
	ok(t.status == TS_IN_PROGRESS && t.rec.every == 1 && t.rec.unit == RU_WEEK,
	    "In Progress again, the rule kept");
	is_int(q1("SELECT completed_by FROM task_completions WHERE task_id = ?", id3), bo,
	    "by bob");

	/* delete */
	is_int(tasks_delete(&db, &bob, id), DB_FORBIDDEN, "the assignee may not delete");
	is_int(tasks_delete(&db, &carol, id), DB_NOTFOUND, "a stranger gets not found");
	is_int(tasks_delete(&db, &alice, id), DB_OK, "the owner deletes");
	is_int(q1("SELECT count(*) FROM events WHERE task_id = ? AND action = 'deleted'", id), 2,
	    "deleted: events for owner and assignee");

	/* notices: never to oneself */
	n = q1("SELECT count(*) FROM outbox", -1);
	is_int(notices_assignment(&db, al, id2, "x", 0, al, now_us()), DB_OK, "self-assign");
	is_int(q1("SELECT count(*) FROM outbox", -1), n, "no notice to oneself");
	is_int(notices_assignment(&db, al, id2, "x", bo, ca, now_us()), DB_OK, "reassign");
	is_int(q1("SELECT count(*) FROM outbox", -1), n + 2, "two notices");
	is_int(q1("SELECT count(*) FROM outbox WHERE user_id = ? AND text = "
	    "'Задача ''x'' больше не назначена вам'", bo), 1, "the previous assignee's text");

	/* a caller's transaction groups domain calls: rolled back together */
	n = q1("SELECT count(*) FROM tasks", -1);
	is_int(db_begin(&db), DB_OK, "begin");
	in = named("In a rolled-back tx");
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why, NULL, NULL), DB_OK, "create inside");
	db_rollback(&db);
	is_int(q1("SELECT count(*) FROM tasks", -1), n, "rolled back with the caller");

	/* the sweep, across several batches */
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "late %d", i);
		in = named(name);
		in.set |= TF_DEADLINE | TF_ASSIGNED_TO;
		in.complete_before = 1000000 + i;
		in.assigned_to = i % 2 ? bo : 0;
		if (tasks_create(&db, &bob, l2, &in, &id, &why, NULL, NULL) != DB_OK)
			break;
	}
	is_int(i, 300, "300 tasks with past deadlines");
	in = named("not yet");
	in.set |= TF_DEADLINE;
	in.complete_before = now_us() + 3600000000LL;
	is_int(tasks_create(&db, &bob, l2, &in, &id, &why, NULL, NULL), DB_OK, "a future one");
	is_int(tasks_mark_overdue(&db, now_us(), &n), DB_OK, "sweep");
	is_int(n, 300, "marked exactly the 300");
	is_int(q1("SELECT count(*) FROM tasks WHERE status = 'Overdue'", -1), 300, "stored");
	is_int(q1("SELECT count(*) FROM outbox WHERE text LIKE 'Вам назначена задача: late%'"
	    " AND user_id = ?", bo), 0, "bob assigning himself was not notified");
	is_int(q1("SELECT count(*) FROM outbox WHERE text LIKE '%просрочена!' AND user_id = ?",
	    bo), 150, "but the sweep has no actor: one overdue notice per assigned task");
	is_int(tasks_mark_overdue(&db, now_us(), &n), DB_OK, "sweep again");
	is_int(n, 0, "nothing left");

	/* pages */
	task_query_init(&q, TQ_LIST, l2);
	is_int(page_count(&alice, &q, &n), DB_NOTFOUND, "someone else's list page");
	is_int(page_count(&bob, &q, &n), DB_OK, "own list page");
	is_int(n, 301, "counter");
	q.status = TS_OVERDUE;
	is_int(page_count(&bob, &q, &n), DB_OK, "filtered count");
	is_int(n, 300, "overdue ones");
	q.search = "late 29";
	q.order = TO_CREATED;
	is_int(page_count(&bob, &q, &n), DB_OK, "search count");
	is_int(n, 11, "late 29, late 290..299");
	ids[0] = 0;
	is_int(page_rows(&bob, &q, 5, 1, ids), DB_OK, "rows");
	is_int(ids[0], 5, "five rows");
	ok(ids[1] < ids[2] && ids[4] < ids[5], "created_at ascending");
	task_query_init(&q, TQ_ASSIGNEE, bo);
	is_int(page_count(&bob, &q, &n), DB_OK, "assigned count");
	is_int(n, q1("SELECT count(*) FROM tasks WHERE assigned_to = ?", bo), "counter = real");

	/* search: the trigram index gives the scan's answers */
	{
		static const char *const odd[] = {
			"50% off", "50 percent", "snake_case", "snakeXcase",
			"say \"hi\" now", "it's quoted", "ärger im büro", "ÄRGER",
			"Купить МОЛОКО", "молоко и хлеб", "a\"\"b", "aaaaaa", "aaa aaa",
		};
		/* after the catch-up: found through the index (fts 1) or scanned */
		static const struct {
			const char	*text;
			int		 fts;
		} texts[] = {
			{ "item 12", 1 }, { "ITEM 1", 1 }, { "of work", 1 }, { "0% o", 1 },
			{ "e_c", 1 }, { "\"hi\"", 1 }, { "\"\"", 0 }, { "\"\"b", 1 },
			{ "ärger", 1 }, { "молоко", 1 }, { "item 123 of work", 1 },
			{ "item 123 of works", 1 },
			/* in 320 tasks, more than the list's 313: scanned */
			{ "tem", 0 }, { "zzz", 1 },
			{ "%", 0 }, { "_", 0 }, { "i", 0 }, { "12", 0 }, { "Ä", 0 },
		};
		int64_t	 l3, l4, ren, gone, ren_at;
		int	 cn;
		char	 plan[1024] = "";

		is_int(lists_create(&db, ca, "Search", &l3, &why), DB_OK, "search list");
		is_int(lists_create(&db, ca, "Small", &l4, &why), DB_OK, "a small one");
		for (i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "Item %03d of %s", i, i % 3 ? "home" : "work");
			in = named(name);
			if (tasks_create(&db, &carol, l3, &in, &id, &why, NULL, NULL) != DB_OK)
				break;
		}
		for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
			in = named(odd[k]);
			if (tasks_create(&db, &carol, l3, &in, &id, &why, NULL, NULL) != DB_OK)
				i = -1;
		}
		for (int k = 0; k < 20; k++) {
			snprintf(name, sizeof(name), "item %d small", k);
			in = named(name);
			if (tasks_create(&db, &carol, l4, &in, &id, &why, NULL, NULL) != DB_OK)
				i = -1;
		}
		is_int(i, 300, "333 tasks to search");
		/* none indexed yet: the tail alone is more than the list holds */
		search_agrees(&carol, l3, "item 12", 0);
		search_agrees(&carol, l3, "ärger", 0);
		is_int(task_search_catch_up(&db, 100000, &cn), DB_OK, "the index catches up");
		is_int(cn, q1("SELECT count(*) FROM tasks", -1), "with every task");
		is_int(q1(TAIL_SQL, -1), 0, "no tail left");
		is_int(task_search_catch_up(&db, 100000, &cn), DB_OK, "again");
		is_int(cn, 0, "nothing to add");
		for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
			search_agrees(&carol, l3, texts[k].text, texts[k].fts);
		is_int(search_agrees(&carol, l3, "ÄRGER", 1), 2, "ÄRGER finds both");
		is_int(search_agrees(&carol, l3, "aaaaa", 1), 1, "a trigram repeated");
		/* found in more tasks than the small list holds: its scan is cheaper */
		is_int(search_agrees(&carol, l4, "item", 0), 20, "a common text scans the small list");
		search_agrees(&carol, l4, "item 7 s", 1);
		/* the statements of an indexed search are driven by tasks_fts,
		 * with no scan of tasks */
		search_agrees(&carol, l3, "of work", 1);
		for (char *line = strtok(ran, "\n"), *seen = NULL; line != NULL;
		    line = strtok(NULL, "\n")) {
			if (strstr(line, "CROSS JOIN") == NULL ||
			    (seen != NULL && strcmp(seen, line) == 0))
				continue;
			seen = line;
			unit_plan(db.h, line, plan, sizeof(plan));
			ok(strstr(plan, "SCAN tasks_fts VIRTUAL TABLE") != NULL &&
			    strstr(plan, "SCAN t|") == NULL && strstr(plan, "SCAN t ") == NULL,
			    "plan: %s", plan);
		}

		/* renames and deletes keep the index in step */
		ren = q1("SELECT id FROM tasks WHERE name = 'Item 124 of home'", -1);
		ren_at = q1("SELECT updated_at FROM tasks WHERE id = ?", ren);
		in = named("Renamed thing");
		is_int(tasks_update_locked(&db, &carol, ren, ren_at, &in, &why, NULL, NULL), DB_OK, "rename");
		is_int(search_agrees(&carol, l3, "item 124", 1), 0, "the old name is gone");
		is_int(search_agrees(&carol, l3, "renamed th", 1), 1, "the new one is found");
		gone = q1("SELECT id FROM tasks WHERE name = 'Item 125 of home'", -1);
		is_int(tasks_delete(&db, &carol, gone), DB_OK, "delete");
		is_int(search_agrees(&carol, l3, "item 125", 1), 0, "a deleted task is gone");
		is_int(INTEGRITY(), SQLITE_OK, "the index matches the tasks");
		/* a new task is in the tail, searched as well, until the catch-up */
		in = named("Item 125 of home");
		is_int(tasks_create(&db, &carol, l3, &in, &id, &why, NULL, NULL), DB_OK, "the name again");
		is_int(q1(TAIL_SQL, -1), 1, "a tail of one");
		is_int(search_agrees(&carol, l3, "item 125", 1), 1, "found in the tail");
		ren_at = q1("SELECT updated_at FROM tasks WHERE id = ?", id);
		in = named("Tail renamed");
		is_int(tasks_update_locked(&db, &carol, id, ren_at, &in, &why, NULL, NULL), DB_OK,
		    "rename in the tail");
		is_int(search_agrees(&carol, l3, "item 125", 1), 0, "old name gone");
		is_int(search_agrees(&carol, l3, "tail ren", 1), 1, "new name found");
		is_int(task_search_catch_up(&db, 100000, &cn), DB_OK, "catch up");
		is_int(cn, 1, "one added");
		is_int(search_agrees(&carol, l3, "tail ren", 1), 1, "found in the index");
		is_int(INTEGRITY(), SQLITE_OK, "the index matches the tasks");
		/* the highest task deleted, its id does not come back (sql/010):
		 * the next task lands in the tail */
		is_int(tasks_delete(&db, &carol, id), DB_OK, "delete the highest");
		id2 = id;
		in = named("Fresh id");
		is_int(tasks_create(&db, &carol, l3, &in, &id, &why, NULL, NULL), DB_OK, "create");
		is_int(id, id2 + 1, "the id is not reused");
		is_int(q1(TAIL_SQL, -1), 1, "in the tail");
		is_int(search_agrees(&carol, l3, "fresh", 1), 1, "found");
		is_int(search_agrees(&carol, l3, "tail ren", 1), 0, "the deleted one is not");
		/* catch-up in batches (then the index holds every task again) */
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "batch %d", i);
			in = named(name);
			tasks_create(&db, &carol, l3, &in, &id, &why, NULL, NULL);
		}
		is_int(task_search_catch_up(&db, 2, &cn), DB_OK, "a batch of 2");
		is_int(cn, 2, "2 added");
		is_int(q1(TAIL_SQL, -1), 1, "1 left");
		is_int(task_search_catch_up(&db, 2, &cn), DB_OK, "the next batch");
		is_int(cn, 1, "the last one");
		is_int(INTEGRITY(), SQLITE_OK, "the index matches the tasks");
		is_int(lists_delete(&db, &carol, l4), DB_OK, "a list delete");
		is_int(INTEGRITY(), SQLITE_OK, "the index still matches");
		/* and the check would see one out of step */
		sqlite3_exec(db.h, "DROP TRIGGER tasks_fts_rename;"
		    " UPDATE tasks SET name_key = 'out of step' WHERE id = (SELECT max(id) FROM tasks)",
		    NULL, NULL, NULL);
		ok(INTEGRITY() != SQLITE_OK, "integrity-check notices a stale index");
	}

	arena_free(&a);
	unit_db_remove(&db, path);
	return tap_done();
}
