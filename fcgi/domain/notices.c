/* notices: events and outbox rows for task changes. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "notices.h"

/* Inserts one events row; message may be NULL. */
static enum dbrc
event_insert(struct db *db, int64_t user_id, const char *type, const char *action,
    int64_t task_id, const char *message, int64_t now)
{
	static const char sql[] =
	    "INSERT INTO events (user_id, type, action, task_id, message, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?)";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, user_id);
	db_bind_text(st, 2, type);
	db_bind_text(st, 3, action);
	if (task_id > 0)
		db_bind_i64(st, 4, task_id);
	db_bind_text(st, 5, message);
	db_bind_i64(st, 6, now);
	return db_rc(db, db_done(st, db_step(st)), "event insert");
}

enum dbrc
notices_task_event_hook(struct db *db, int64_t task_id, const char *action,
    int64_t owner_id, int64_t assignee_id, int64_t now, const struct event_hook *h)
{
	/*
	 * Both rows in one statement, the owner's first, carrying the webhook's
	 * delivery (?6, ?7) with h; the owner's alone names no ?2.
	 */
	static const char sql[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at)"
	    " VALUES (?1, 'task_updated', ?3, ?4, ?5), (?2, 'task_updated', ?3, ?4, ?5)";
	static const char sql_hook[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at, hook,"
	    " hook_data) VALUES (?1, 'task_updated', ?3, ?4, ?5, ?6, ?7),"
	    " (?2, 'task_updated', ?3, ?4, ?5, NULL, NULL)";
	static const char one_hook[] =
	    "INSERT INTO events (user_id, type, action, task_id, created_at, hook,"
	    " hook_data) VALUES (?1, 'task_updated', ?3, ?4, ?5, ?6, ?7)";
	struct dbstmt *st;
	int	 two = owner_id > 0 && assignee_id > 0 && assignee_id != owner_id;

	if (h != NULL && h->hook == 0)
		h = NULL;
	/* one of them, or none */
	if (!two && h == NULL) {
		if (owner_id <= 0)
			owner_id = assignee_id;
		return owner_id > 0 ? event_insert(db, owner_id, "task_updated", action,
		    task_id, NULL, now) : DB_OK;
	}
	/* a carried delivery needs the owner's row */
	if (owner_id <= 0 ||
	    (st = db_prep(db, !two ? one_hook : h == NULL ? sql : sql_hook)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, owner_id);
	db_bind_i64(st, 2, assignee_id);
	db_bind_text(st, 3, action);
	if (task_id > 0)
		db_bind_i64(st, 4, task_id);
	db_bind_i64(st, 5, now);
	if (h != NULL) {
		db_bind_i64(st, 6, h->hook);
		db_bind_textn(st, 7, h->data, (int)h->len, DB_STATIC);
	}
	return db_rc(db, db_done(st, db_step(st)), "event insert");
}

enum dbrc
notices_task_event(struct db *db, int64_t task_id, const char *action,
    int64_t owner_id, int64_t assignee_id, int64_t now)
{
	return notices_task_event_hook(db, task_id, action, owner_id, assignee_id, now,
	    NULL);
}

/* Inserts one pending outbox row about task_id (0: no task). */
static enum dbrc
outbox_insert(struct db *db, int64_t user_id, int64_t task_id, const char *text,
    int64_t now)
{
	static const char sql[] =
	    "INSERT INTO outbox (user_id, text, next_attempt_at, created_at, task_id)"
	    " VALUES (?, ?, ?, ?, ?)";
	struct dbstmt *st;

	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, user_id);
	db_bind_text(st, 2, text);
	db_bind_i64(st, 3, now);
	db_bind_i64(st, 4, now);
	if (task_id > 0)
		db_bind_i64(st, 5, task_id);
	else
		db_bind_null(st, 5);
	return db_rc(db, db_done(st, db_step(st)), "outbox insert");
}

enum dbrc
notices_outbox(struct db *db, int64_t user_id, const char *text, int64_t now)
{
	return outbox_insert(db, user_id, 0, text, now);
}

enum dbrc
notices_notify(struct db *db, int64_t user_id, int64_t task_id,
    const char *action, const char *text, int64_t now)
{
	enum dbrc rc;

	if ((rc = event_insert(db, user_id, "task_notify", action, task_id, text,
	    now)) != DB_OK)
		return rc;
	return outbox_insert(db, user_id, task_id, text, now);
}

enum dbrc
notices_reminder(struct db *db, int64_t user_id, int64_t task_id, const char *text,
    int64_t now)
{
	enum dbrc rc;

	if ((rc = event_insert(db, user_id, "task_reminder", "reminder", task_id, text,
	    now)) != DB_OK)
		return rc;
	return outbox_insert(db, user_id, task_id, text, now);
}

/* Writes the notice pre + name + post; DB_ERROR when out of memory. */
static enum dbrc
notify_text(struct db *db, int64_t user_id, int64_t task_id, const char *action,
    const char *pre, const char *post, const char *name, int64_t now)
{
	struct buf b = { 0 };
	enum dbrc rc;

	buf_puts(&b, pre);
	buf_puts(&b, name);
	buf_puts(&b, post);
	rc = b.oom || b.p == NULL ? DB_ERROR :
	    notices_notify(db, user_id, task_id, action, b.p, now);
	buf_free(&b);
	return rc;
}

enum dbrc
notices_assignment(struct db *db, int64_t actor, int64_t task_id,
    const char *name, int64_t old_id, int64_t new_id, int64_t now)
{
	enum dbrc rc = DB_OK;

	if (old_id == new_id)
		return DB_OK;
	if (new_id > 0 && new_id != actor)
		rc = notify_text(db, new_id, task_id, "assigned", NOTICE_ASSIGNED, name, now);
	if (rc == DB_OK && old_id > 0 && old_id != actor)
		rc = notify_text(db, old_id, task_id, "unassigned",
		    NOTICE_UNASSIGNED, name, now);
	return rc;
}

enum dbrc
notices_overdue(struct db *db, int64_t task_id, const char *name,
    int64_t assignee_id, int64_t now)
{
	if (assignee_id <= 0)
		return DB_OK;
	return notify_text(db, assignee_id, task_id, "overdue", NOTICE_OVERDUE, name,
	    now);
}

/* The bytes of the first max characters of the UTF-8 text s. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
			break;
	return i;
}

enum dbrc
notices_comment(struct db *db, int64_t author, const char *username, int64_t task_id,
    const char *name, int64_t owner_id, int64_t assignee_id, const char *text,
    int64_t now)
{
	static const char *const parts[] = { NOTICE_COMMENT };
	int64_t	 to[2] = { owner_id, assignee_id != owner_id ? assignee_id : 0 };
	struct buf b = { 0 };
	enum dbrc rc;
	int	 i;

	if ((rc = notices_task_event(db, task_id, "commented", owner_id, assignee_id,
	    now)) != DB_OK)
		return rc;
	buf_puts(&b, parts[0]);
	buf_puts(&b, name);
	buf_puts(&b, parts[1]);
	buf_puts(&b, username);
	buf_puts(&b, parts[2]);
	buf_add(&b, text, utf8_prefix(text, NOTICE_CUT));
	if (b.oom || b.p == NULL)
		rc = DB_ERROR;
	for (i = 0; i < 2 && rc == DB_OK; i++)
		if (to[i] > 0 && to[i] != author)
			rc = notices_notify(db, to[i], task_id, "commented", b.p, now);
	buf_free(&b);
	return rc;
}
