/* lists: task lists, their visibility, locking and pages. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "get1.h"
#include "lists.h"
#include "members.h"
#include "notices.h"
#include "task_pages.h"
#include "timeutil.h"
#include "tx.h"
#include "users.h"
#include "utf8.h"
#include "webhooks.h"

/* Where the trimmed name starts and its length; 0 when it is not a valid name. */
static int
name_span(const char *name, const char **start, size_t *len)
{
	size_t	 n;

	if (name == NULL || !utf8_valid(name, n = strlen(name)))
		return 0;
	*start = utf8_strip(name, n, len);
	return *len > 0 && *len < NAME_BYTES && utf8_len(*start, *len) <= NAME_MAX_CHARS;
}

int
name_valid(const char *name)
{
	const char *s;
	size_t	 n;

	return name_span(name, &s, &n);
}

int
name_clean(const char *name, char *out)
{
	const char *s;
	size_t	 n;

	if (!name_span(name, &s, &n))
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

char *
search_key(struct arena *a, const char *s)
{
	size_t	 n = strlen(s), cap = n * 3 + 8;
	char	*out;

	if (!utf8_valid(s, n) || (out = arena_alloc(a, cap)) == NULL)
		return NULL;
	if (users_fold(s, out, cap) < 0)
		return NULL;
	return out;
}

/* Folds a name into a buffer of at least NAME_MAX_CHARS * 12 bytes. */
static int
fold_name(const char *name, char *key, size_t keylen)
{
	return users_fold(name, key, keylen);
}

enum dbrc
lists_create(struct db *db, int64_t owner_id, const char *name, int64_t *id,
    enum rule *why)
{
	static const char sql[] =
	    "INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	char	 key[NAME_MAX_CHARS * 12], nm[NAME_BYTES];
	int64_t	 now = now_us();
	enum dbrc rc;
	int	 own;

	*why = RULE_OK;
	if (name_clean(name, nm) < 0 || fold_name(nm, key, sizeof(key)) < 0) {
		*why = RULE_BAD_VALUE;
		return DB_INVALID;
	}
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, owner_id);
	db_bind_text(st, 2, nm);
	db_bind_text(st, 3, key);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "list insert");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	}
	if (rc == DB_OK) {
		*id = sqlite3_last_insert_rowid(db->h);
		rc = webhooks_list(db, *id, HOOK_LIST_CREATED, owner_id);
	}
out:
	return tx_close(db, own, rc);
}

/*
 * Fills l from a row of id, owner_id, name, username, task_count,
 * created_at, updated_at, member_count and the reader's role.
 */
static void
list_from_row(sqlite3_stmt *st, struct list *l)
{
	l->id = sqlite3_column_int64(st, 0);
	l->owner_id = sqlite3_column_int64(st, 1);
	l->name = db_col_text(st, 2);
	l->owner_username = db_col_text(st, 3);
	l->task_count = sqlite3_column_int64(st, 4);
	l->created_at = sqlite3_column_int64(st, 5);
	l->updated_at = sqlite3_column_int64(st, 6);
	l->member_count = sqlite3_column_int64(st, 7);
	l->role = sqlite3_column_int(st, 8);
}

/* The columns of list_from_row, with role the SQL of the reader's role. */
#define LIST_COLUMNS(role) \
	"SELECT l.id, l.owner_id, l.name, u.username, l.task_count," \
	" l.created_at, l.updated_at, l.member_count, " role \
	" FROM lists l JOIN users u ON u.id = l.owner_id"

enum dbrc
lists_get_visible(struct db *db, const struct actor *who, int64_t id,
    struct arena *a, struct list *l)
{
	static const char sql[] = LIST_COLUMNS(LIST_ROLE_SQL("l", "?2", "?3"))
	    " WHERE l.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, id, who, "list get", &st)) != DB_OK)
		return rc;
	list_from_row(st, l);
	if (l->role == ROLE_NONE) {
		db_done(st, SQLITE_ROW);
		return DB_NOTFOUND;
	}
	l->name = arena_strdup(a, l->name);
	l->owner_username = arena_strdup(a, l->owner_username);
	db_done(st, SQLITE_ROW);
	return l->name && l->owner_username ? DB_OK : DB_ERROR;
}

/*
 * Reads the owner and updated_at of a list the actor owns; DB_FORBIDDEN
 * for a member, DB_NOTFOUND for anyone else.
 */
static enum dbrc
list_head(struct db *db, const struct actor *who, int64_t id, int64_t *owner,
    int64_t *updated_at)
{
	static const char sql[] =
	    "SELECT l.owner_id, l.updated_at, " LIST_ROLE_SQL("l", "?2", "?3")
	    " FROM lists l WHERE l.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;
	int	 role;

	if ((rc = db_get1(db, sql, id, who, "list head", &st)) != DB_OK)
		return rc;
	*owner = sqlite3_column_int64(st, 0);
	*updated_at = sqlite3_column_int64(st, 1);
	role = sqlite3_column_int(st, 2);
	db_done(st, SQLITE_ROW);
	if (role == ROLE_OWNER)
		return DB_OK;
	return role == ROLE_NONE ? DB_NOTFOUND : DB_FORBIDDEN;
}

enum dbrc
lists_update_locked(struct db *db, const struct actor *who, int64_t id,
    int64_t expect, const char *name, enum rule *why)
{
	static const char sql[] =
	    "UPDATE lists SET name = coalesce(?1, name), name_key = coalesce(?2, name_key),"
	    " updated_at = CASE WHEN ?3 > updated_at + 1 THEN ?3 ELSE updated_at + 1 END"
	    " WHERE id = ?4 AND updated_at = ?5";
	sqlite3_stmt *st;
	char	 key[NAME_MAX_CHARS * 12], nm[NAME_BYTES];
	int64_t	 owner, cur;
	enum dbrc rc;
	int	 own;

	*why = RULE_OK;
	if (name != NULL && (name_clean(name, nm) < 0 || fold_name(nm, key, sizeof(key)) < 0)) {
		*why = RULE_BAD_VALUE;
		return DB_INVALID;
	}
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = list_head(db, who, id, &owner, &cur)) != DB_OK)
		goto out;
	if (cur != expect) {
		rc = DB_CONFLICT;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_text(st, 1, name ? nm : NULL);
	db_bind_text(st, 2, name ? key : NULL);
	sqlite3_bind_int64(st, 3, now_us());
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int64(st, 5, expect);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "list update");
	if (rc == DB_CONFLICT) {
		*why = RULE_NAME_TAKEN;
		rc = DB_INVALID;
	} else if (rc == DB_OK && sqlite3_changes(db->h) != 1)
		rc = DB_CONFLICT;
	if (rc == DB_OK)
		rc = webhooks_list(db, id, HOOK_LIST_UPDATED, owner);
out:
	return tx_close(db, own, rc);
}

enum dbrc
lists_delete(struct db *db, const struct actor *who, int64_t id)
{
	static const char ev_owner[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at)"
	    " SELECT ?1, 'task_updated', 'deleted', id, ?2 FROM tasks WHERE list_id = ?3";
	static const char ev_assignee[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at)"
	    " SELECT assigned_to, 'task_updated', 'deleted', id, ?2 FROM tasks"
	    " WHERE list_id = ?3 AND assigned_to IS NOT NULL AND assigned_to <> ?1";
	static const char ev_members[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at)"
	    " SELECT m.user_id, 'task_updated', 'deleted', t.id, ?2 FROM list_members m"
	    " JOIN tasks t ON t.list_id = m.list_id WHERE m.list_id = ?3"
	    " AND t.assigned_to IS DISTINCT FROM m.user_id";
	static const char del[] = "DELETE FROM lists WHERE id = ?";
	const char *const evs[] = { ev_owner, ev_assignee, ev_members };
	sqlite3_stmt *st;
	int64_t	 owner, cur, now = now_us();
	enum dbrc rc;
	int	 own;
	size_t	 i;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = list_head(db, who, id, &owner, &cur)) != DB_OK)
		goto out;
	for (i = 0; i < 3 && rc == DB_OK; i++) {
		if ((st = db_prep(db, evs[i])) == NULL) {
			rc = DB_ERROR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, owner);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		rc = db_rc(db, db_done(st, sqlite3_step(st)), "list delete events");
	}
	/* the list as it was (a webhook scoped to it goes with it) */
	if (rc == DB_OK)
		rc = webhooks_list(db, id, HOOK_LIST_DELETED, owner);
	if (rc != DB_OK)
		goto out;
	if ((st = db_prep(db, del)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "list delete");
out:
	return tx_close(db, own, rc);
}

/* Steps a page statement, passing each row to fn. */
static enum dbrc
list_rows(struct db *db, sqlite3_stmt *st, list_row_fn fn, void *ctx)
{
	struct list l;
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list_from_row(st, &l);
		fn(ctx, &l);
	}
	return db_rc(db, db_done(st, rc), "list page");
}

#define LIST_SEARCH "(?2 IS NULL OR instr(l.name_key, ?2) > 0)"

/*
 * The scopes of a page of lists: which SQL a page reads (lists_scope).  A
 * user with no shared list reads the lists they own, as before sharing.
 */
enum lscope { LS_ALL, LS_OWNED, LS_SHARED, LS_BOTH };

/* The scope of a page of user uid (0: all) restricted to role (0: any). */
static enum dbrc
lists_scope(struct db *db, int64_t uid, int role, enum lscope *scope)
{
	static const char sql[] = "SELECT 1 FROM list_members WHERE user_id = ?1 LIMIT 1";
	int64_t	 any;
	enum dbrc rc;

	*scope = uid == 0 ? LS_ALL : role == ROLE_OWNER ? LS_OWNED :
	    role != ROLE_NONE ? LS_SHARED : LS_BOTH;
	if (*scope != LS_BOTH)
		return DB_OK;
	if ((rc = task_counter(db, sql, uid, &any)) == DB_NOTFOUND) {
		*scope = LS_OWNED;
		rc = DB_OK;
	}
	return rc;
}

/* Binds a page's uid, search key and role (?1, ?2, ?5). */
static void
bind_scope(sqlite3_stmt *st, int64_t uid, const char *key, int role)
{
	sqlite3_bind_int64(st, 1, uid);
	db_bind_text(st, 2, key);
	if (role == ROLE_VIEWER || role == ROLE_EDITOR)
		db_bind_text(st, 5, list_role_names[role]);
}

enum dbrc
lists_count(struct db *db, int64_t uid, int role, const char *key, int64_t *count)
{
	static const char *const sqls[] = {
	    [LS_ALL] = "SELECT count(*) FROM lists l WHERE ?1 = 0 AND " LIST_SEARCH,
	    [LS_OWNED] = "SELECT count(*) FROM lists l WHERE l.owner_id = ?1 AND " LIST_SEARCH,
	    [LS_SHARED] = "SELECT count(*) FROM list_members m JOIN lists l ON l.id = m.list_id"
		" WHERE m.user_id = ?1 AND m.role = ?5 AND " LIST_SEARCH,
	    [LS_BOTH] = "SELECT (SELECT count(*) FROM lists l WHERE l.owner_id = ?1 AND "
		LIST_SEARCH ") + (SELECT count(*) FROM list_members m JOIN lists l"
		" ON l.id = m.list_id WHERE m.user_id = ?1 AND " LIST_SEARCH ")",
	};
	enum lscope scope;
	sqlite3_stmt *st;
	enum dbrc drc;
	int	 rc;

	*count = 0;
	if ((drc = lists_scope(db, uid, role, &scope)) != DB_OK)
		return drc;
	if ((st = db_prep(db, sqls[scope])) == NULL)
		return DB_ERROR;
	bind_scope(st, uid, key, role);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	db_done(st, rc);
	return rc == SQLITE_ROW ? DB_OK : db_rc(db, rc, "list count");
}

#define LIST_ORDER " ORDER BY l.created_at DESC, l.id DESC LIMIT ?3 OFFSET ?4"

enum dbrc
lists_page(struct db *db, int64_t uid, int role, const char *key, int64_t limit,
    int64_t offset, list_row_fn fn, void *ctx)
{
	static const char *const sqls[] = {
	    [LS_ALL] = LIST_COLUMNS("3") " WHERE ?1 = 0 AND " LIST_SEARCH LIST_ORDER,
	    [LS_OWNED] = LIST_COLUMNS("3") " WHERE l.owner_id = ?1 AND " LIST_SEARCH
		LIST_ORDER,
	    [LS_SHARED] = LIST_COLUMNS("CASE m.role WHEN 'editor' THEN 2 ELSE 1 END")
		" JOIN list_members m ON m.list_id = l.id"
		" WHERE m.user_id = ?1 AND m.role = ?5 AND " LIST_SEARCH LIST_ORDER,
	    [LS_BOTH] = LIST_COLUMNS(LIST_ROLE_SQL("l", "0", "?1"))
		" WHERE l.id IN (SELECT id FROM lists WHERE owner_id = ?1 UNION ALL"
		" SELECT list_id FROM list_members WHERE user_id = ?1) AND "
		LIST_SEARCH LIST_ORDER,
	};
	enum lscope scope;
	sqlite3_stmt *st;
	enum dbrc rc;

	if (limit <= 0)
		return DB_OK;
	if ((rc = lists_scope(db, uid, role, &scope)) != DB_OK)
		return rc;
	if ((st = db_prep(db, sqls[scope])) == NULL)
		return DB_ERROR;
	bind_scope(st, uid, key, role);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int64(st, 4, offset);
	return list_rows(db, st, fn, ctx);
}
