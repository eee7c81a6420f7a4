/* members: the members of shared lists and the rules of each role. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "get1.h"
#include "members.h"
#include "task_pages.h"
#include "tasks.h"
#include "timeutil.h"
#include "tx.h"
#include "users.h"
#include "webhooks.h"

const char *const list_role_names[] = { "", "viewer", "editor", "owner", NULL };

enum dbrc
list_role_of(struct db *db, const struct actor *who, int64_t list_id,
    enum list_role *role)
{
	static const char sql[] =
	    "SELECT " LIST_ROLE_SQL("l", "?2", "?3") " FROM lists l WHERE l.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;

	*role = ROLE_NONE;
	if ((rc = db_get1(db, sql, list_id, who, "list role", &st)) != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	*role = (enum list_role)sqlite3_column_int(st, 0);
	db_done(st, SQLITE_ROW);
	return DB_OK;
}

enum dbrc
task_access_of(struct db *db, const struct actor *who, int64_t task_id,
    enum task_access *acc)
{
	static const char sql[] =
	    "SELECT " LIST_ROLE_SQL("l", "?2", "?3") ", t.assigned_to = ?3"
	    " FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;

	*acc = TA_NONE;
	if ((rc = db_get1(db, sql, task_id, who, "task access", &st)) != DB_OK)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	*acc = task_access_for((enum list_role)sqlite3_column_int(st, 0),
	    sqlite3_column_int(st, 1));
	db_done(st, SQLITE_ROW);
	return DB_OK;
}

enum dbrc
members_task_event(struct db *db, int64_t task_id, int64_t list_id,
    const char *action, int64_t skip1, int64_t skip2, int64_t now)
{
	static const char sql[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at)"
	    " SELECT user_id, 'task_updated', ?1, ?2, ?3 FROM list_members"
	    " WHERE list_id = ?4 AND user_id NOT IN (?5, ?6)";
	sqlite3_stmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, action);
	sqlite3_bind_int64(st, 2, task_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, list_id);
	sqlite3_bind_int64(st, 5, skip1);
	sqlite3_bind_int64(st, 6, skip2);
	return db_rc(db, db_done(st, sqlite3_step(st)), "member events");
}

/* DB_OK when the actor owns the list, DB_FORBIDDEN when a member, else DB_NOTFOUND. */
static enum dbrc
owner_only(struct db *db, const struct actor *who, int64_t list_id, int64_t *owner)
{
	static const char sql[] =
	    "SELECT " LIST_ROLE_SQL("l", "?2", "?3") ", l.owner_id FROM lists l WHERE l.id = ?1";
	sqlite3_stmt *st;
	enum list_role role;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, list_id, who, "list owner", &st)) != DB_OK)
		return rc;
	role = (enum list_role)sqlite3_column_int(st, 0);
	*owner = sqlite3_column_int64(st, 1);
	db_done(st, SQLITE_ROW);
	if (role == ROLE_OWNER)
		return DB_OK;
	return role == ROLE_NONE ? DB_NOTFOUND : DB_FORBIDDEN;
}

#define MEMBER_COLUMNS \
	"SELECT m.user_id, u.username, m.role, m.added_at FROM list_members m" \
	" JOIN users u ON u.id = m.user_id"

/* Fills m from a MEMBER_COLUMNS row; strings point into the statement. */
static void
member_from_row(sqlite3_stmt *st, struct member *m)
{
	m->user_id = sqlite3_column_int64(st, 0);
	m->username = db_col_text(st, 1);
	m->role = strcmp(db_col_text(st, 2), "editor") == 0 ? ROLE_EDITOR : ROLE_VIEWER;
	m->added_at = sqlite3_column_int64(st, 3);
}

enum dbrc
members_list(struct db *db, const struct actor *who, int64_t list_id,
    member_row_fn fn, void *ctx)
{
	static const char sql[] = MEMBER_COLUMNS
	    " WHERE m.list_id = ?1 ORDER BY m.added_at, m.user_id";
	enum list_role role;
	struct member m;
	sqlite3_stmt *st = NULL;
	enum dbrc rc;
	int	 src, own_read;

	/* the role and the rows in one snapshot: the caller's, or one opened here */
	own_read = !db->in_read && !db->in_tx && db_read_begin(db) == DB_OK && db->in_read;
	if ((rc = list_role_of(db, who, list_id, &role)) == DB_OK && role == ROLE_NONE)
		rc = DB_NOTFOUND;
	if (rc == DB_OK && (st = db_prep(db, sql)) == NULL)
		rc = DB_ERROR;
	if (rc == DB_OK) {
		sqlite3_bind_int64(st, 1, list_id);
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			member_from_row(st, &m);
			fn(ctx, &m);
		}
		rc = db_rc(db, db_done(st, src), "members");
	}
	if (own_read)
		db_read_end(db);
	return rc;
}

/* Reads member user_id of list_id into out (strings in the arena); DB_NOTFOUND if none. */
static enum dbrc
member_get(struct db *db, int64_t list_id, int64_t user_id, struct arena *a,
    struct member *out)
{
	static const char sql[] = MEMBER_COLUMNS " WHERE m.list_id = ?1 AND m.user_id = ?2";
	sqlite3_stmt *st;
	int	 rc;

	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		member_from_row(st, out);
		if ((out->username = arena_strdup(a, out->username)) == NULL)
			rc = SQLITE_NOMEM;
	}
	rc = db_done(st, rc);
	if (rc == SQLITE_ROW)
		return DB_OK;
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "member get");
}

/* The id of the active user user_id, or of username when not NULL; 0 when none. */
static enum dbrc
member_user(struct db *db, int64_t user_id, const char *username, struct arena *a,
    int64_t *id)
{
	struct user u;
	enum dbrc rc;

	*id = 0;
	if (username != NULL)
		rc = users_find_by_name(db, username, a, &u);
	else
		rc = users_get(db, user_id, a, &u);
	if (rc == DB_NOTFOUND)
		return DB_OK;
	if (rc == DB_OK && u.is_active)
		*id = u.id;
	return rc;
}

enum dbrc
members_add(struct db *db, const struct actor *who, int64_t list_id,
    int64_t user_id, const char *username, enum list_role role,
    enum member_rule *why, struct arena *a, struct member *out)
{
	static const char sql[] =
	    "INSERT INTO list_members (list_id, user_id, role, added_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	int64_t	 owner, uid;
	enum dbrc rc;
	int	 own;

	*why = MR_OK;
	if (role != ROLE_VIEWER && role != ROLE_EDITOR)
		return DB_ERROR;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = owner_only(db, who, list_id, &owner)) != DB_OK ||
	    (rc = member_user(db, user_id, username, a, &uid)) != DB_OK)
		goto out;
	*why = uid == 0 ? MR_NO_USER : uid == owner ? MR_IS_OWNER : MR_OK;
	if (*why != MR_OK) {
		rc = DB_INVALID;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int64(st, 2, uid);
	db_bind_text(st, 3, list_role_names[role]);
	sqlite3_bind_int64(st, 4, now_us());
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "member insert");
	if (rc == DB_CONFLICT) {
		*why = MR_ALREADY;
		rc = DB_INVALID;
	}
	if (rc == DB_OK)
		rc = member_get(db, list_id, uid, a, out);
out:
	return tx_close(db, own, rc);
}

enum dbrc
members_set_role(struct db *db, const struct actor *who, int64_t list_id,
    int64_t user_id, enum list_role role, struct arena *a, struct member *out)
{
	static const char sql[] =
	    "UPDATE list_members SET role = ?3 WHERE list_id = ?1 AND user_id = ?2";
	sqlite3_stmt *st;
	int64_t	 owner;
	enum dbrc rc;
	int	 own;

	if (role != ROLE_VIEWER && role != ROLE_EDITOR)
		return DB_ERROR;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = owner_only(db, who, list_id, &owner)) != DB_OK)
		goto out;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int64(st, 2, user_id);
	db_bind_text(st, 3, list_role_names[role]);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "member role");
	if (rc == DB_OK && sqlite3_changes(db->h) != 1)
		rc = DB_NOTFOUND;
	if (rc == DB_OK)
		rc = member_get(db, list_id, user_id, a, out);
out:
	return tx_close(db, own, rc);
}

/*
 * What a removed member no longer gets of the list's tasks (but of those
 * assigned to them): their events, their notices not sent yet (ended
 * as skipped, status 3) and their webhooks' deliveries not sent yet.
 */
static enum dbrc
forget_member(struct db *db, int64_t list_id, int64_t user_id)
{
	static const char events_sql[] =
	    "DELETE FROM events WHERE user_id = ?1 AND task_id IN"
	    " (SELECT id FROM tasks WHERE list_id = ?2 AND assigned_to IS DISTINCT FROM ?1)";
	static const char outbox_sql[] =
	    "UPDATE outbox SET status = 3, finished_at = ?3,"
	    " last_error = 'no longer a member of the list'"
	    " WHERE status = 0 AND user_id = ?1 AND task_id IN"
	    " (SELECT id FROM tasks WHERE list_id = ?2 AND assigned_to IS DISTINCT FROM ?1)";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((st = db_prep(db, events_sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, list_id);
	if ((rc = db_rc(db, db_done(st, sqlite3_step(st)), "member events")) != DB_OK)
		return rc;
	if ((st = db_prep(db, outbox_sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, list_id);
	sqlite3_bind_int64(st, 3, now_us());
	if ((rc = db_rc(db, db_done(st, sqlite3_step(st)), "member notices")) != DB_OK)
		return rc;
	return webhooks_forget(db, list_id, user_id, now_us());
}

enum dbrc
members_remove(struct db *db, const struct actor *who, int64_t list_id,
    int64_t user_id)
{
	static const char sql[] = "DELETE FROM list_members WHERE list_id = ?1 AND user_id = ?2";
	sqlite3_stmt *st;
	int64_t	 owner;
	enum dbrc rc;
	int	 own;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	rc = owner_only(db, who, list_id, &owner);
	/* a member may leave */
	if (rc == DB_FORBIDDEN && user_id == who->id)
		rc = DB_OK;
	if (rc != DB_OK)
		goto out;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, list_id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "member delete");
	if (rc == DB_OK && sqlite3_changes(db->h) != 1)
		rc = DB_NOTFOUND;
	if (rc == DB_OK)
		rc = forget_member(db, list_id, user_id);
out:
	return tx_close(db, own, rc);
}

/*
 * The newest ?2 tasks of each list shared with ?1 not assigned to ?1 (by
 * tasks_list_created), newest first: the merge sorts at most ?2 a list, not
 * every task of those lists.
 */
const char members_shared_sql[] =
    "SELECT t.id, t.list_id, t.name, t.description, t.assigned_to,"
    " t.complete_before, t.status, t.created_at, t.updated_at, m.role,"
    " l.owner_id, l.name, l.member_count, u.username FROM list_members m"
    " JOIN lists l ON l.id = m.list_id"
    " JOIN tasks t ON t.id IN (SELECT x.id FROM tasks x"
    " WHERE x.list_id = m.list_id AND x.assigned_to IS DISTINCT FROM ?1"
    " ORDER BY x.created_at DESC, x.id DESC LIMIT ?2)"
    " LEFT JOIN users u ON u.id = t.assigned_to"
    " WHERE m.user_id = ?1 ORDER BY t.created_at DESC, t.id DESC LIMIT ?2";

enum dbrc
members_shared_tasks(struct db *db, int64_t uid, int64_t limit,
    void (*count_fn)(void *ctx, int64_t count),
    void (*fn)(void *ctx, const struct task *), void *ctx, int64_t *count)
{
	static const char count_sql[] = "SELECT count(*) FROM list_members m"
	    " JOIN tasks t ON t.list_id = m.list_id"
	    " WHERE m.user_id = ?1 AND t.assigned_to IS DISTINCT FROM ?1";
	sqlite3_stmt *st;
	struct task t;
	enum dbrc rc;
	int	 src, own_read;

	*count = 0;
	own_read = !db->in_read && !db->in_tx && db_read_begin(db) == DB_OK && db->in_read;
	if ((rc = task_counter(db, count_sql, uid, count)) == DB_NOTFOUND)
		rc = DB_OK;
	if (rc == DB_OK && count_fn != NULL)
		count_fn(ctx, *count);
	if (rc != DB_OK || *count == 0 || limit <= 0)
		goto out;
	if ((st = db_prep(db, members_shared_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, limit);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		t.id = sqlite3_column_int64(st, 0);
		t.list_id = sqlite3_column_int64(st, 1);
		t.name = db_col_text(st, 2);
		t.description = db_col_text(st, 3);
		t.assigned_to = sqlite3_column_int64(st, 4);
		t.complete_before = sqlite3_column_type(st, 5) == SQLITE_NULL ? TIME_NULL :
		    sqlite3_column_int64(st, 5);
		t.status = task_status_of(db_col_text(st, 6));
		t.created_at = sqlite3_column_int64(st, 7);
		t.updated_at = sqlite3_column_int64(st, 8);
		t.access = task_access_for(strcmp(db_col_text(st, 9), "editor") == 0 ?
		    ROLE_EDITOR : ROLE_VIEWER, 0);
		t.owner_id = sqlite3_column_int64(st, 10);
		t.list_name = db_col_text(st, 11);
		t.member_count = sqlite3_column_int64(st, 12);
		t.assignee_name = sqlite3_column_type(st, 13) == SQLITE_NULL ? NULL :
		    db_col_text(st, 13);
		fn(ctx, &t);
	}
	rc = db_rc(db, db_done(st, src), "shared tasks");
out:
	if (own_read)
		db_read_end(db);
	return rc;
}
