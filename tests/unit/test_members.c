/* Unit tests: the rules of shared lists (domain/members) on a temporary, migrated database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "lists.h"
#include "members.h"
#include "tap.h"
#include "unit_db.h"
#include "tasks.h"
#include "timeutil.h"
#include "username.h"
#include "users.h"

static struct db db;
static struct arena a;

static int64_t
user(const char *name)
{
	int64_t	 id = 0;

	users_create(&db, name, "", "", 0, 0, &id);
	return id;
}

/* The role of who on list id, or -1 on a storage error. */
static int
role(const struct actor *who, int64_t id)
{
	enum list_role r;

	return list_role_of(&db, who, id, &r) == DB_OK ? (int)r : -1;
}

/* The access of who to task id, or -1 on a storage error. */
static int
access_of(const struct actor *who, int64_t id)
{
	enum task_access acc;

	return task_access_of(&db, who, id, &acc) == DB_OK ? (int)acc : -1;
}

/* lists.member_count of list id (-1 when missing). */
static int64_t
q1_member_count(int64_t id)
{
	return unit_q1(db.h, "SELECT member_count FROM lists WHERE id = ?", id);
}

static void
count_row(void *ctx, const struct member *m)
{
	(void)m;
	(*(int *)ctx)++;
}

/* A task of members_shared_tasks, as the test compares them. */
struct seen {
	int64_t	 id[64];
	char	 line[64][160];
	int	 n;
};

static void
seen_row(void *ctx, const struct task *t)
{
	struct seen *s = ctx;

	if (s->n == 64)
		return;
	s->id[s->n] = t->id;
	snprintf(s->line[s->n], sizeof(s->line[0]), "%lld %lld %s %d %lld %s %lld %s",
	    (long long)t->id, (long long)t->list_id, t->name, (int)t->access,
	    (long long)t->owner_id, t->list_name, (long long)t->member_count,
	    t->assignee_name != NULL ? t->assignee_name : "-");
	s->n++;
}

/*
 * What members_shared_tasks answered before it read a bounded page: every
 * shared task sorted, then the first limit (the reference of the test).
 */
static int
shared_reference(int64_t uid, int64_t limit, struct seen *s)
{
	static const char sql[] =
	    "SELECT t.id, t.list_id, t.name, m.role, l.owner_id, l.name, l.member_count,"
	    " u.username FROM list_members m"
	    " JOIN tasks t ON t.list_id = m.list_id JOIN lists l ON l.id = m.list_id"
	    " LEFT JOIN users u ON u.id = t.assigned_to"
	    " WHERE m.user_id = ?1 AND t.assigned_to IS NOT ?1"
	    " ORDER BY t.created_at DESC, t.id DESC LIMIT ?2";
	sqlite3_stmt *st;

	s->n = 0;
	if (sqlite3_prepare_v2(db.h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, limit);
	while (sqlite3_step(st) == SQLITE_ROW && s->n < 64) {
		s->id[s->n] = sqlite3_column_int64(st, 0);
		snprintf(s->line[s->n], sizeof(s->line[0]), "%lld %lld %s %d %lld %s %lld %s",
		    (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (int)task_access_for(strcmp((const char *)sqlite3_column_text(st, 3),
		    "editor") == 0 ? ROLE_EDITOR : ROLE_VIEWER, 0),
		    (long long)sqlite3_column_int64(st, 4), (const char *)sqlite3_column_text(st, 5),
		    (long long)sqlite3_column_int64(st, 6), sqlite3_column_type(st, 7) == SQLITE_NULL ?
		    "-" : (const char *)sqlite3_column_text(st, 7));
		s->n++;
	}
	sqlite3_finalize(st);
	return s->n;
}

/* The virtual machine steps of the cached statement sql since the last call (reset). */
static int
vm_steps(const char *sql)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(db.h, st)) != NULL)
		if (strcmp(sqlite3_sql(st), sql) == 0)
			return sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	return -1;
}

/* Creates n tasks named prefix 0.. in list lid by who, assigned to assignee (0: none). */
static int
make_tasks(const struct actor *who, int64_t lid, const char *prefix, int n, int64_t assignee)
{
	struct task_input in;
	enum rule why;
	char	 name[64];
	int64_t	 id;
	int	 i, bad = 0;

	db_begin(&db);
	for (i = 0; i < n; i++) {
		memset(&in, 0, sizeof(in));
		snprintf(name, sizeof(name), "%s %d", prefix, i);
		in.set = TF_NAME | (assignee > 0 ? TF_ASSIGNED_TO : 0);
		in.name = name;
		in.assigned_to = assignee;
		in.complete_before = TIME_NULL;
		bad += tasks_create(&db, who, lid, &in, &id, &why, NULL, NULL) != DB_OK;
	}
	db_commit(&db);
	return bad;
}

/* The bot's page of shared tasks: the same answer as sorting them all, from a bounded read. */
static void
shared_tasks_page(const struct actor *own, const struct actor *ed)
{
	static const int64_t limits[] = { 1, 3, 7, 20, 64 };
	struct actor rd = { user("reader"), 0 }, o2 = { user("owner2"), 0 };
	struct member m;
	enum member_rule why;
	enum rule rwhy;
	struct seen got, want;
	int64_t	 l1, l2, l3, l4, count;
	char	 plan[1024];
	sqlite3_stmt *st;
	size_t	 k;
	int	 i, same, before, after;

	lists_create(&db, own->id, "Shared one", &l1, &rwhy);
	lists_create(&db, o2.id, "Shared two", &l2, &rwhy);
	lists_create(&db, o2.id, "Shared empty", &l3, &rwhy);
	lists_create(&db, o2.id, "Not shared", &l4, &rwhy);
	members_add(&db, own, l1, rd.id, NULL, ROLE_VIEWER, &why, &a, &m);
	members_add(&db, &o2, l2, rd.id, NULL, ROLE_EDITOR, &why, &a, &m);
	members_add(&db, &o2, l2, ed->id, NULL, ROLE_VIEWER, &why, &a, &m);
	members_add(&db, &o2, l3, rd.id, NULL, ROLE_VIEWER, &why, &a, &m);
	is_int(make_tasks(own, l1, "one", 30, 0) + make_tasks(own, l1, "mine", 6, rd.id) +
	    make_tasks(own, l1, "eds", 4, ed->id) + make_tasks(&o2, l2, "two", 9, 0) +
	    make_tasks(&o2, l2, "also mine", 3, rd.id) + make_tasks(&o2, l4, "hidden", 5, 0), 0,
	    "shared lists and their tasks");
	/* creation times with many ties across the lists: the order falls back to the id */
	sqlite3_exec(db.h, "UPDATE tasks SET created_at = (id * 7919) % 13", NULL, NULL, NULL);
	for (k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
		memset(&got, 0, sizeof(got));
		is_int(members_shared_tasks(&db, rd.id, limits[k], NULL, seen_row, &got, &count),
		    DB_OK, "shared tasks, limit %lld", (long long)limits[k]);
		is_int(count, 43, "... counted: 30 + 4 of list one, 9 of list two");
		shared_reference(rd.id, limits[k], &want);
		same = got.n == want.n;
		for (i = 0; same && i < got.n; i++)
			if (strcmp(got.line[i], want.line[i]) != 0) {
				printf("# row %d: %s, not %s\n", i, got.line[i], want.line[i]);
				same = 0;
			}
		ok(same && got.n == (limits[k] < 43 ? limits[k] : 43),
		    "... the same %d rows in the same order as sorting them all", want.n);
	}

	/* the page reads each list through tasks_list_created, at most limit rows a list */
	plan[0] = '\0';
	snprintf(plan, sizeof(plan), "EXPLAIN QUERY PLAN ");
	if (sqlite3_prepare_v2(db.h, strcat(plan, members_shared_sql), -1, &st, NULL) == SQLITE_OK) {
		plan[0] = '\0';
		while (sqlite3_step(st) == SQLITE_ROW)
			snprintf(plan + strlen(plan), sizeof(plan) - strlen(plan), "%d:%s|",
			    sqlite3_column_int(st, 1), (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
	}
	ok(strstr(plan, "SEARCH x USING INDEX tasks_list_created (list_id=?)") != NULL &&
	    strstr(plan, "SCAN") == NULL && strstr(plan, "SEARCH t USING INDEX") == NULL,
	    "plan: tasks only by the per-list subquery: %s", plan);
	{
		/* the one sort is the merge of those pages, at the top of the plan */
		const char *tb = strstr(plan, "USE TEMP B-TREE");

		ok(tb == NULL || (tb > plan + 2 && strncmp(tb - 2, "0:", 2) == 0 &&
		    strstr(tb + 1, "USE TEMP B-TREE") == NULL),
		    "plan: no sort inside the per-list read");
	}
	/* and its work does not grow with the lists: 500 more tasks, the same steps */
	memset(&got, 0, sizeof(got));
	vm_steps(members_shared_sql);
	members_shared_tasks(&db, rd.id, 20, NULL, seen_row, &got, &count);
	before = vm_steps(members_shared_sql);
	is_int(make_tasks(own, l1, "more", 500, 0), 0, "500 more tasks in list one");
	memset(&got, 0, sizeof(got));
	members_shared_tasks(&db, rd.id, 20, NULL, seen_row, &got, &count);
	after = vm_steps(members_shared_sql);
	is_int(count, 543, "... counted");
	ok(before > 0 && after <= before + before / 4,
	    "the page's work stays bounded (%d steps before, %d after)", before, after);
	shared_reference(rd.id, 20, &want);
	ok(got.n == 20 && want.n == 20 && memcmp(got.id, want.id, sizeof(got.id[0]) * 20) == 0,
	    "... and its answer is still the reference's");
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX";
	struct actor own, ed, vi, as, st, staff = { 0, 1 };
	struct task_input in;
	struct member m;
	enum member_rule why;
	enum rule rwhy;
	int64_t	 lid, tid, id;
	int	 n;

	if (unit_db_open(&db, path) < 0)
		return 1;
	own = (struct actor){ user("owner"), 0 };
	ed = (struct actor){ user("editor"), 0 };
	vi = (struct actor){ user("viewer"), 0 };
	as = (struct actor){ user("assignee"), 0 };
	st = (struct actor){ user("stranger"), 0 };

	/* the one rule of tasks */
	is_int(task_access_for(ROLE_OWNER, 0), TA_EDIT, "owner edits");
	is_int(task_access_for(ROLE_EDITOR, 0), TA_EDIT, "editor edits");
	is_int(task_access_for(ROLE_VIEWER, 0), TA_READ, "viewer reads");
	is_int(task_access_for(ROLE_VIEWER, 1), TA_WORK, "a viewer who is the assignee works on it");
	is_int(task_access_for(ROLE_NONE, 1), TA_WORK, "the assignee works on it");
	is_int(task_access_for(ROLE_NONE, 0), TA_NONE, "anyone else: nothing");

	is_int(lists_create(&db, own.id, "Team", &lid, &rwhy), DB_OK, "list");
	memset(&in, 0, sizeof(in));
	in.set = TF_NAME | TF_ASSIGNED_TO;
	in.name = "Job";
	in.assigned_to = as.id;
	in.complete_before = TIME_NULL;
	is_int(tasks_create(&db, &own, lid, &in, &tid, &rwhy, NULL, NULL), DB_OK, "task");

	is_int(members_add(&db, &own, lid, ed.id, NULL, ROLE_EDITOR, &why, &a, &m), DB_OK,
	    "editor added by id");
	is_str(m.username, "editor", "... named");
	is_int(members_add(&db, &own, lid, 0, "VIEWER", ROLE_VIEWER, &why, &a, &m), DB_OK,
	    "viewer added by username (its key: case-folded)");
	is_int(members_add(&db, &own, lid, 0, "viewer", ROLE_EDITOR, &why, &a, &m), DB_INVALID,
	    "twice");
	is_int(why, MR_ALREADY, "... already a member");
	is_int(members_add(&db, &own, lid, own.id, NULL, ROLE_VIEWER, &why, &a, &m), DB_INVALID,
	    "the owner");
	is_int(why, MR_IS_OWNER, "... is the owner");
	is_int(members_add(&db, &own, lid, 0, "nobody", ROLE_VIEWER, &why, &a, &m), DB_INVALID,
	    "unknown");
	is_int(why, MR_NO_USER, "... no user");
	is_int(members_add(&db, &ed, lid, st.id, NULL, ROLE_VIEWER, &why, &a, &m), DB_FORBIDDEN,
	    "an editor may not add");
	is_int(members_add(&db, &st, lid, st.id, NULL, ROLE_VIEWER, &why, &a, &m), DB_NOTFOUND,
	    "a stranger does not see the list");

	is_int(role(&own, lid), ROLE_OWNER, "owner");
	is_int(role(&ed, lid), ROLE_EDITOR, "editor");
	is_int(role(&vi, lid), ROLE_VIEWER, "viewer");
	is_int(role(&as, lid), ROLE_NONE, "the assignee does not see the list");
	is_int(role(&st, lid), ROLE_NONE, "stranger");
	is_int(role(&staff, lid), ROLE_OWNER, "sees_all acts as the owner");
	is_int(role(&own, lid + 1000), ROLE_NONE, "no such list");
	is_int(access_of(&ed, tid), TA_EDIT, "editor's task");
	is_int(access_of(&vi, tid), TA_READ, "viewer's task");
	is_int(access_of(&as, tid), TA_WORK, "assignee's task");
	is_int(access_of(&st, tid), TA_NONE, "stranger's task");
	is_int((int)q1_member_count(lid), 2, "member_count kept by the triggers");

	n = 0;
	is_int(members_list(&db, &vi, lid, count_row, &n), DB_OK, "a viewer lists members");
	is_int(n, 2, "... both");
	is_int(members_list(&db, &as, lid, count_row, &n), DB_NOTFOUND, "the assignee may not");

	/* the writers obey the roles */
	is_int(tasks_delete(&db, &vi, tid), DB_FORBIDDEN, "a viewer may not delete");
	is_int(tasks_delete(&db, &as, tid), DB_FORBIDDEN, "nor the assignee");
	in.set = TF_NAME;
	in.name = "By the viewer";
	is_int(tasks_create(&db, &vi, lid, &in, &id, &rwhy, NULL, NULL), DB_FORBIDDEN,
	    "a viewer may not create");
	in.name = "By the editor";
	is_int(tasks_create(&db, &ed, lid, &in, &id, &rwhy, NULL, NULL), DB_OK,
	    "an editor creates");
	is_int(tasks_delete(&db, &ed, id), DB_OK, "and deletes");
	is_int(lists_update_locked(&db, &ed, lid, 0, "Renamed", &rwhy), DB_FORBIDDEN,
	    "an editor may not rename");
	is_int(lists_delete(&db, &vi, lid), DB_FORBIDDEN, "a viewer may not delete the list");

	shared_tasks_page(&own, &ed);

	/* roles change and go at once */
	is_int(members_set_role(&db, &own, lid, vi.id, ROLE_EDITOR, &a, &m), DB_OK, "promoted");
	is_int(role(&vi, lid), ROLE_EDITOR, "... at once");
	is_int(members_set_role(&db, &own, lid, st.id, ROLE_EDITOR, &a, &m), DB_NOTFOUND,
	    "not a member");
	is_int(members_remove(&db, &ed, lid, vi.id), DB_FORBIDDEN, "a member removes another");
	is_int(members_remove(&db, &vi, lid, vi.id), DB_OK, "a member leaves");
	is_int(role(&vi, lid), ROLE_NONE, "... and sees nothing");
	is_int(members_remove(&db, &own, lid, ed.id), DB_OK, "the owner removes");
	is_int(access_of(&ed, tid), TA_NONE, "... and the task is gone for them");
	is_int((int)q1_member_count(lid), 0, "member_count back to 0");

	arena_free(&a);
	unit_db_remove(&db, path);
	return tap_done();
}
