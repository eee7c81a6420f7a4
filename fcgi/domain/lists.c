/* lists: task lists, their visibility, locking and pages. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "get1.h"
#include "lists.h"
#include "notices.h"
#include "webhooks.h"
#include "timeutil.h"
#include "tx.h"
#include "users.h"
#include "utf8.h"

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

/* Fills l from a row of id, owner_id, name, username, task_count, created_at, updated_at. */
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
}

#define LIST_COLUMNS \
	"SELECT l.id, l.owner_id, l.name, u.username, l.task_count," \
	" l.created_at, l.updated_at FROM lists l JOIN users u ON u.id = l.owner_id"

enum dbrc
lists_get_visible(struct db *db, const struct actor *who, int64_t id,
    struct arena *a, struct list *l)
{
	static const char sql[] = LIST_COLUMNS
	    " WHERE l.id = ?1 AND (?2 OR l.owner_id = ?3)";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, id, who, "list get", &st)) != DB_OK)
		return rc;
	list_from_row(st, l);
	l->name = arena_strdup(a, l->name);
	l->owner_username = arena_strdup(a, l->owner_username);
	db_done(st, SQLITE_ROW);
	return l->name && l->owner_username ? DB_OK : DB_ERROR;
}

/* Reads the owner and updated_at of a visible list; DB_NOTFOUND otherwise. */
static enum dbrc
list_head(struct db *db, const struct actor *who, int64_t id, int64_t *owner,
    int64_t *updated_at)
{
	static const char sql[] =
	    "SELECT owner_id, updated_at FROM lists WHERE id = ?1 AND (?2 OR owner_id = ?3)";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, id, who, "list head", &st)) != DB_OK)
		return rc;
	*owner = sqlite3_column_int64(st, 0);
	*updated_at = sqlite3_column_int64(st, 1);
	db_done(st, SQLITE_ROW);
	return DB_OK;
}

enum dbrc
lists_update_locked(struct db *db, const struct actor *who, int64_t id,
    int64_t expect, const char *name, enum rule *why)
{
	static const char sql[] =
	    "UPDATE lists SET name = coalesce(?1, name), name_key = coalesce(?2, name_key),"
	    " updated_at = max(?3, updated_at + 1) WHERE id = ?4 AND updated_at = ?5";
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
	static const char del[] = "DELETE FROM lists WHERE id = ?";
	const char *const evs[] = { ev_owner, ev_assignee };
	sqlite3_stmt *st;
	int64_t	 owner, cur, now = now_us();
	enum dbrc rc;
	int	 own;
	size_t	 i;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = list_head(db, who, id, &owner, &cur)) != DB_OK)
		goto out;
	for (i = 0; i < 2 && rc == DB_OK; i++) {
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

enum dbrc
lists_count(struct db *db, int64_t owner_id, const char *key, int64_t *count)
{
	static const char sql[] =
	    "SELECT count(*) FROM lists l WHERE l.owner_id = ?1 AND " LIST_SEARCH;
	static const char all_sql[] =
	    "SELECT count(*) FROM lists l WHERE ?1 = 0 AND " LIST_SEARCH;
	sqlite3_stmt *st;
	int	 rc;

	*count = 0;
	if ((st = db_prep(db, owner_id ? sql : all_sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, owner_id);
	db_bind_text(st, 2, key);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	db_done(st, rc);
	return rc == SQLITE_ROW ? DB_OK : db_rc(db, rc, "list count");
}

enum dbrc
lists_page(struct db *db, int64_t owner_id, const char *key, int64_t limit,
    int64_t offset, list_row_fn fn, void *ctx)
{
	static const char sql[] = LIST_COLUMNS
	    " WHERE l.owner_id = ?1 AND " LIST_SEARCH
	    " ORDER BY l.created_at DESC, l.id DESC LIMIT ?3 OFFSET ?4";
	static const char all_sql[] = LIST_COLUMNS
	    " WHERE ?1 = 0 AND " LIST_SEARCH
	    " ORDER BY l.created_at DESC, l.id DESC LIMIT ?3 OFFSET ?4";
	sqlite3_stmt *st;

	if (limit <= 0)
		return DB_OK;
	if ((st = db_prep(db, owner_id ? sql : all_sql)) == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, owner_id);
	db_bind_text(st, 2, key);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int64(st, 4, offset);
	return list_rows(db, st, fn, ctx);
}
