/* comments: comments on tasks, their rules and their change records. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "activity.h"
#include "arena.h"
#include "comments.h"
#include "get1.h"
#include "members.h"
#include "notices.h"
#include "timeutil.h"
#include "tx.h"
#include "utf8.h"
#include "webhooks.h"

enum dbrc
task_access(struct db *db, const struct actor *who, int64_t task_id,
    struct task_ref *t)
{
	static const char sql[] =
	    "SELECT l.owner_id, t.assigned_to, t.name, " LIST_ROLE_SQL("l", "?2", "?3")
	    " FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, task_id, who, "task access", &st)) != DB_OK)
		return rc;
	/* whoever sees the task (members.h) */
	if (task_access_for((enum list_role)sqlite3_column_int(st, 3),
	    sqlite3_column_int64(st, 1) == who->id) == TA_NONE) {
		db_done(st, SQLITE_ROW);
		return DB_NOTFOUND;
	}
	if (t != NULL) {
		t->owner_id = sqlite3_column_int64(st, 0);
		t->assigned_to = sqlite3_column_int64(st, 1);
		snprintf(t->name, sizeof(t->name), "%s", db_col_text(st, 2));
	}
	db_done(st, SQLITE_ROW);
	return DB_OK;
}

/* The text trimmed (*n bytes from the answer), or NULL when it is not a valid comment. */
static const char *
text_clean(const char *text, size_t *n)
{
	const char *s;
	size_t	 chars;

	if (text == NULL || !utf8_valid(text, strlen(text)))
		return NULL;
	s = utf8_strip(text, strlen(text), n);
	chars = utf8_len(s, *n);
	return chars >= 1 && chars <= COMMENT_MAX_CHARS ? s : NULL;
}

/* The username of user id into a (NULL when gone). */
static const char *
username_of(struct db *db, int64_t id, struct arena *a)
{
	static const char sql[] = "SELECT username FROM users WHERE id = ?";
	sqlite3_stmt *st = db_prep(db, sql);
	const char *name = NULL;
	int	 rc;

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		name = arena_strdup(a, db_col_text(st, 0));
	db_done(st, rc);
	return name;
}

enum dbrc
comments_create(struct db *db, const struct actor *who, int64_t task_id,
    const char *text, int64_t *id, enum rule *why)
{
	static const char sql[] =
	    "INSERT INTO comments (task_id, author_id, text, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?)";
	struct arena a = { 0 };
	struct task_ref t;
	sqlite3_stmt *st;
	const char *s, *username;
	char	*copy;
	size_t	 n;
	int64_t	 now = now_us();
	int	 own = 0;
	enum dbrc rc;

	*why = RULE_OK;
	if ((s = text_clean(text, &n)) == NULL) {
		*why = RULE_BAD_VALUE;
		return DB_INVALID;
	}
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = task_access(db, who, task_id, &t)) != DB_OK)
		goto out;
	if ((username = username_of(db, who->id, &a)) == NULL ||
	    (copy = arena_strndup(&a, s, n)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, task_id);
	sqlite3_bind_int64(st, 2, who->id);
	sqlite3_bind_text(st, 3, copy, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = db_rc(db, db_done(st, sqlite3_step(st)), "comment insert")) != DB_OK)
		goto out;
	*id = sqlite3_last_insert_rowid(db->h);
	rc = activity_record(db, task_id, who->id, "commented", NULL, now);
	if (rc == DB_OK)
		rc = notices_comment(db, who->id, username, task_id, t.name, t.owner_id,
		    t.assigned_to, copy, now);
	if (rc == DB_OK)
		rc = webhooks_comment(db, *id, task_id, t.owner_id, t.assigned_to);
out:
	arena_free(&a);
	return tx_close(db, own, rc);
}

#define COMMENT_COLUMNS \
	"SELECT c.id, c.task_id, c.author_id, u.username, c.text, c.created_at," \
	" c.updated_at FROM comments c JOIN users u ON u.id = c.author_id"

/* Fills c from a COMMENT_COLUMNS row; strings point into the statement. */
static void
comment_from_row(sqlite3_stmt *st, struct comment *c)
{
	c->id = sqlite3_column_int64(st, 0);
	c->task_id = sqlite3_column_int64(st, 1);
	c->author_id = sqlite3_column_int64(st, 2);
	c->author_username = db_col_text(st, 3);
	c->text = db_col_text(st, 4);
	c->created_at = sqlite3_column_int64(st, 5);
	c->updated_at = sqlite3_column_int64(st, 6);
}

/* The comment id (any, visibility aside) into c, strings in a (a NULL: none). */
static enum dbrc
comment_read(struct db *db, int64_t id, struct arena *a, struct comment *c)
{
	static const char sql[] = COMMENT_COLUMNS " WHERE c.id = ?1";
	sqlite3_stmt *st;
	enum dbrc rc;

	if ((rc = db_get1(db, sql, id, NULL, "comment get", &st)) != DB_OK)
		return rc;
	comment_from_row(st, c);
	if (a != NULL) {
		c->author_username = arena_strdup(a, c->author_username);
		c->text = arena_strdup(a, c->text);
		if (c->author_username == NULL || c->text == NULL)
			rc = DB_ERROR;
	} else
		c->author_username = c->text = NULL;
	db_done(st, SQLITE_ROW);
	return rc;
}

enum dbrc
comments_get_visible(struct db *db, const struct actor *who, int64_t id,
    struct arena *a, struct comment *c)
{
	enum dbrc rc;

	if ((rc = comment_read(db, id, a, c)) != DB_OK)
		return rc;
	return task_access(db, who, c->task_id, NULL);
}

enum dbrc
comments_update_locked(struct db *db, const struct actor *who, int64_t id,
    int64_t expect, const char *text, enum rule *why)
{
	static const char sql[] =
	    "UPDATE comments SET text = ?1, updated_at = CASE WHEN ?2 > updated_at + 1"
	    " THEN ?2 ELSE updated_at + 1 END"
	    " WHERE id = ?3 AND updated_at = ?4";
	struct comment c;
	sqlite3_stmt *st;
	const char *s;
	size_t	 n;
	int	 own = 0;
	enum dbrc rc;

	*why = RULE_OK;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = comment_read(db, id, NULL, &c)) != DB_OK ||
	    (rc = task_access(db, who, c.task_id, NULL)) != DB_OK)
		goto out;
	if (c.author_id != who->id) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	if (c.updated_at != expect) {
		rc = DB_CONFLICT;
		goto out;
	}
	if ((s = text_clean(text, &n)) == NULL) {
		*why = RULE_BAD_VALUE;
		rc = DB_INVALID;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_text(st, 1, s, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_us());
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int64(st, 4, expect);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "comment update");
	if (rc == DB_OK && sqlite3_changes(db->h) != 1)
		rc = DB_CONFLICT;
out:
	return tx_close(db, own, rc);
}

enum dbrc
comments_delete(struct db *db, const struct actor *who, int64_t id)
{
	static const char sql[] = "DELETE FROM comments WHERE id = ?";
	struct comment c;
	struct task_ref t;
	sqlite3_stmt *st;
	int	 own = 0;
	enum dbrc rc;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = comment_read(db, id, NULL, &c)) != DB_OK ||
	    (rc = task_access(db, who, c.task_id, &t)) != DB_OK)
		goto out;
	if (!who->sees_all && c.author_id != who->id && t.owner_id != who->id) {
		rc = DB_FORBIDDEN;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc(db, db_done(st, sqlite3_step(st)), "comment delete");
out:
	return tx_close(db, own, rc);
}

enum dbrc
comments_count(struct db *db, int64_t task_id, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM comments WHERE task_id = ?1";

	return db_count1(db, sql, task_id, "comment count", n);
}

enum dbrc
comments_page(struct db *db, int64_t task_id, int64_t limit, int64_t offset,
    void (*fn)(void *, const struct comment *), void *ctx)
{
	static const char sql[] = COMMENT_COLUMNS
	    " WHERE c.task_id = ?1 ORDER BY c.id LIMIT ?2 OFFSET ?3";
	sqlite3_stmt *st;
	struct comment c;
	int	 rc;

	if ((st = db_page1(db, sql, task_id, limit, offset)) == NULL)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		comment_from_row(st, &c);
		fn(ctx, &c);
	}
	return db_rc(db, db_done(st, rc), "comment page");
}
