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
	sqlite3_stmt *st;
	int64_t	 v = -1;

	if (sqlite3_prepare_v2(db.h, "SELECT member_count FROM lists WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return -2;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
count_row(void *ctx, const struct member *m)
{
	(void)m;
	(*(int *)ctx)++;
}

int
main(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX", err[256];
	struct actor own, ed, vi, as, st, staff = { 0, 1 };
	struct task_input in;
	struct member m;
	enum member_rule why;
	enum rule rwhy;
	int64_t	 lid, tid, id;
	FILE	*devnull = fopen("/dev/null", "w");
	int	 fd, n;

	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	ok(db_open(&db, path, DB_OPEN_CREATE, err, sizeof(err)) == 0, "open %s", err);
	username_sql_register(&db);
	ok(db_migrate(&db, devnull) == 0, "migrate");
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
	db_close(&db);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	fclose(devnull);
	return tap_done();
}
