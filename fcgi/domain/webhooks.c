/* webhooks: a user's webhooks, their pings, redeliveries and delivery log. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "tokens.h"
#include "timeutil.h"
#include "tx.h"
#include "webhooks.h"

/*
 * The deliveries events rows carry past the worker's cursor, not moved yet
 * (sql/030_webhook_carrier.sql), and the event name of their hook h.
 */
#define CARRIED_ROWS(e) \
	" FROM events " e " JOIN webhook_cursor k ON k.id = 1" \
	" WHERE " e ".id > k.events_id AND " e ".hook IS NOT NULL"
#define CARRIED_EVENT(h) \
	" CASE " h " % 16 WHEN 0 THEN 'task.created' WHEN 1 THEN 'task.updated'" \
	" WHEN 2 THEN 'task.completed' WHEN 3 THEN 'task.deleted'" \
	" WHEN 4 THEN 'task.reminder' WHEN 5 THEN 'list.created'" \
	" WHEN 6 THEN 'list.updated' WHEN 7 THEN 'list.deleted'" \
	" WHEN 8 THEN 'comment.created' ELSE 'ping' END"

/*
 * A webhook and its newest delivery: a carried one not moved yet (c) when
 * there is one -- its id is above every other's --, else an inbox row not
 * moved yet (i), else the newest of webhook_deliveries (d), found along
 * webhook_deliveries_log (a join on the view webhook_delivery_log would
 * materialize it whole).
 */
#define HOOK_COLUMNS \
	"SELECT w.id, w.owner_id, w.url, w.events, w.list_id, w.is_active," \
	" w.failure_count, w.created_at, w.updated_at, coalesce(c.id, i.id, d.id)," \
	" CASE WHEN c.id IS NOT NULL THEN" CARRIED_EVENT("c.hook") \
	" ELSE coalesce(i.event, d.event) END," \
	" coalesce(c.created_at, i.created_at, d.created_at)," \
	" CASE WHEN i.id IS NULL AND c.id IS NULL THEN d.status ELSE 'pending' END," \
	" CASE WHEN i.id IS NULL AND c.id IS NULL THEN d.attempts ELSE 0 END," \
	" CASE WHEN i.id IS NULL AND c.id IS NULL THEN d.last_http_status END," \
	" CASE WHEN i.id IS NULL AND c.id IS NULL THEN d.last_error END," \
	" CASE WHEN i.id IS NULL AND c.id IS NULL THEN d.delivered_at END" \
	" FROM webhooks w LEFT JOIN webhook_deliveries d ON d.id =" \
	" (SELECT max(id) FROM webhook_deliveries WHERE webhook_id = w.id)" \
	" LEFT JOIN webhook_inbox i ON i.id =" \
	" (SELECT max(id) FROM webhook_inbox WHERE webhook_id = w.id AND moved = 0)" \
	" LEFT JOIN events c ON c.id = (SELECT max(e.id)" CARRIED_ROWS("e") \
	" AND e.hook / 16 = w.id)"

/* A delivery by its id, from webhook_delivery_log (both arms by rowid). */
#define DELIVERY_COLUMNS \
	"SELECT d.id, d.event, d.created_at, d.status, d.attempts," \
	" d.last_http_status, d.last_error, d.delivered_at FROM webhook_delivery_log d"

/*
 * A page of a webhook's log (?1), newest first: the two tables merged in
 * id order, webhook_deliveries along its index, so LIMIT stops early.
 */
#define DELIVERY_PAGE \
	"SELECT id, event, created_at, status, attempts, last_http_status, last_error," \
	" delivered_at FROM webhook_deliveries WHERE webhook_id = ?1 UNION ALL" \
	" SELECT id, event, created_at, 'pending', 0, NULL, NULL, NULL FROM webhook_inbox" \
	" WHERE webhook_id = ?1 AND moved = 0 UNION ALL" \
	" SELECT e.id," CARRIED_EVENT("e.hook") ", e.created_at, 'pending', 0, NULL, NULL," \
	" NULL" CARRIED_ROWS("e") " AND e.hook / 16 = ?1" \
	" ORDER BY 1 DESC LIMIT ?2 OFFSET ?3"

/* Fills d from DELIVERY_COLUMNS' columns from col on; strings in the statement. */
static void
delivery_from_row(struct dbstmt *st, int col, int64_t webhook_id,
    struct hook_delivery *d)
{
	d->id = db_col_i64(st, col);
	d->webhook_id = webhook_id;
	d->event = db_col_text(st, col + 1);
	d->created_at = db_col_i64(st, col + 2);
	d->status = db_col_text(st, col + 3);
	d->attempts = db_col_i64(st, col + 4);
	d->last_http_status = db_col_i64(st, col + 5);
	d->last_error = db_col_isnull(st, col + 6) ? NULL :
	    db_col_text(st, col + 6);
	d->delivered_at = db_col_isnull(st, col + 7) ? TIME_NULL :
	    db_col_i64(st, col + 7);
}

/* Fills w from a HOOK_COLUMNS row; strings in the statement. */
static void
hook_from_row(struct dbstmt *st, struct webhook *w)
{
	w->id = db_col_i64(st, 0);
	w->owner_id = db_col_i64(st, 1);
	w->url = db_col_text(st, 2);
	w->events = (unsigned)db_col_i64(st, 3);
	w->list_id = db_col_i64(st, 4);
	w->is_active = db_col_int(st, 5);
	w->failure_count = db_col_i64(st, 6);
	w->created_at = db_col_i64(st, 7);
	w->updated_at = db_col_i64(st, 8);
	w->has_last = !db_col_isnull(st, 9);
	if (w->has_last)
		delivery_from_row(st, 9, w->id, &w->last);
}

/* Copies the strings of d into the arena; -1 when out of memory. */
static int
delivery_keep(struct arena *a, struct hook_delivery *d)
{
	d->event = arena_strdup(a, d->event);
	d->status = arena_strdup(a, d->status);
	if (d->last_error != NULL && (d->last_error = arena_strdup(a, d->last_error)) == NULL)
		return -1;
	return d->event && d->status ? 0 : -1;
}

/* DB_OK when owner sees list_id (owns it or is a member), DB_INVALID when not. */
static enum dbrc
list_seen(struct db *db, int64_t owner, int64_t list_id)
{
	static const char sql[] = "SELECT 1 FROM lists WHERE id = ?1 AND (owner_id = ?2"
	    " OR EXISTS (SELECT 1 FROM list_members WHERE list_id = ?1 AND user_id = ?2))";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, list_id);
	db_bind_i64(st, 2, owner);
	rc = db_done(st, db_step(st));
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_INVALID : db_rc(db, rc, "webhook list");
}

/* Checks the parts of in that are set. */
static enum hook_why
input_check(const struct hook_input *in)
{
	if ((in->set & HF_URL) && (in->url == NULL || *in->url == '\0' ||
	    strlen(in->url) > HOOK_URL_MAX * 4))
		return HOOK_BAD_VALUE;
	if ((in->set & HF_EVENTS) && (in->events == 0 || (in->events & ~HOOK_ALL) != 0))
		return HOOK_BAD_VALUE;
	return HOOK_OK;
}

enum dbrc
webhooks_create(struct db *db, int64_t owner, const struct hook_input *in,
    char secret[64], int64_t *id, enum hook_why *why)
{
	static const char count[] = "SELECT count(*) FROM webhooks WHERE owner_id = ?";
	static const char sql[] =
	    "INSERT INTO webhooks (owner_id, url, events, list_id, secret, is_active,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
	/*
	 * The first webhook: no events row past the cursor carries a delivery
	 * for a webhook that exists, so the cursor starts at the newest row
	 * and the worker's first move does not walk every event written since
	 * the last webhook went (sql/030_webhook_carrier.sql).
	 */
	static const char first[] =
	    "UPDATE webhook_cursor SET events_id = (SELECT coalesce(max(id), 0) FROM events)"
	    " WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM webhooks)";
	char	 tok[TOKEN_LEN + 1];
	struct dbstmt *st;
	int64_t	 n = 0;
	int	 own;
	enum dbrc rc;

	if ((*why = input_check(in)) == HOOK_OK &&
	    (in->set & (HF_URL | HF_EVENTS)) != (HF_URL | HF_EVENTS))
		*why = HOOK_BAD_VALUE;
	if (*why != HOOK_OK)
		return DB_INVALID;
	if (token_random(tok) < 0)
		return DB_ERROR;
	snprintf(secret, 64, "%s%s", HOOK_SECRET_PREFIX, tok);
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((in->set & HF_LIST) && in->list_id > 0 &&
	    (rc = list_seen(db, owner, in->list_id)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = HOOK_BAD_LIST;
		goto out;
	}
	if ((st = db_prep(db, count)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, owner);
	if (db_step(st) == DB_ROW)
		n = db_col_i64(st, 0);
	db_done(st, DB_RC_OK);
	if (n >= HOOK_MAX_PER_USER) {
		*why = HOOK_TOO_MANY;
		rc = DB_INVALID;
		goto out;
	}
	if ((st = db_prep(db, first)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	if ((rc = db_rc(db, db_done(st, db_step(st)), "webhook cursor")) != DB_OK)
		goto out;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, owner);
	db_bind_text(st, 2, in->url);
	db_bind_i64(st, 3, in->events);
	if ((in->set & HF_LIST) && in->list_id > 0)
		db_bind_i64(st, 4, in->list_id);
	else
		db_bind_null(st, 4);
	db_bind_text(st, 5, secret);
	db_bind_int(st, 6, (in->set & HF_ACTIVE) ? in->is_active != 0 : 1);
	db_bind_i64(st, 7, now_us());
	rc = db_insert_id(db, st, "webhook insert", id);
out:
	return tx_close(db, own, rc);
}

enum dbrc
webhooks_get(struct db *db, int64_t owner, int64_t id, struct arena *a,
    struct webhook *w)
{
	static const char sql[] = HOOK_COLUMNS " WHERE w.id = ?1 AND w.owner_id = ?2";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc, bad = 0;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, owner);
	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "webhook get");
	}
	hook_from_row(st, w);
	if ((w->url = arena_strdup(a, w->url)) == NULL ||
	    (w->has_last && delivery_keep(a, &w->last) < 0))
		bad = 1;
	db_done(st, DB_ROW);
	return bad ? DB_ERROR : DB_OK;
}

enum dbrc
webhooks_count(struct db *db, int64_t owner, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM webhooks WHERE owner_id = ?";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, owner);
	if ((rc = db_step(st)) == DB_ROW)
		*n = db_col_i64(st, 0);
	return db_rc(db, db_done(st, rc == DB_ROW ? DB_DONE : rc), "webhook count");
}

enum dbrc
webhooks_page(struct db *db, int64_t owner, int64_t limit, int64_t offset,
    hook_row_fn fn, void *ctx)
{
	static const char sql[] = HOOK_COLUMNS
	    " WHERE w.owner_id = ?1 ORDER BY w.id DESC LIMIT ?2 OFFSET ?3";
	struct dbstmt *st = db_prep(db, sql);
	struct webhook w;
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, owner);
	db_bind_i64(st, 2, limit);
	db_bind_i64(st, 3, offset);
	while ((rc = db_step(st)) == DB_ROW) {
		hook_from_row(st, &w);
		fn(ctx, &w);
	}
	return db_rc(db, db_done(st, rc), "webhook page");
}

enum dbrc
webhooks_update_locked(struct db *db, int64_t owner, int64_t id, int64_t expect,
    const struct hook_input *in, enum hook_why *why)
{
	static const char head[] =
	    "SELECT updated_at FROM webhooks WHERE id = ?1 AND owner_id = ?2";
	static const char sql[] =
	    "UPDATE webhooks SET url = coalesce(?1, url), events = coalesce(?2, events),"
	    " list_id = CASE WHEN ?3 <> 0 THEN ?4 ELSE list_id END,"
	    " failure_count = CASE WHEN ?5 = 1 AND is_active = 0 THEN 0 ELSE failure_count END,"
	    " first_failure_at = CASE WHEN ?5 = 1 AND is_active = 0 THEN NULL"
	    " ELSE first_failure_at END, is_active = coalesce(?5, is_active),"
	    " updated_at = CASE WHEN ?6 > updated_at + 1 THEN ?6 ELSE updated_at + 1 END"
	    " WHERE id = ?7 AND updated_at = ?8";
	struct dbstmt *st;
	int64_t	 cur;
	int	 own, src;
	enum dbrc rc;

	if ((*why = input_check(in)) != HOOK_OK)
		return DB_INVALID;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, head)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, owner);
	if ((src = db_step(st)) != DB_ROW) {
		db_done(st, src);
		rc = src == DB_DONE ? DB_NOTFOUND : db_rc(db, src, "webhook head");
		goto out;
	}
	cur = db_col_i64(st, 0);
	db_done(st, DB_ROW);
	if (cur != expect) {
		rc = DB_CONFLICT;
		goto out;
	}
	if ((in->set & HF_LIST) && in->list_id > 0 &&
	    (rc = list_seen(db, owner, in->list_id)) != DB_OK) {
		if (rc == DB_INVALID)
			*why = HOOK_BAD_LIST;
		goto out;
	}
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_text(st, 1, (in->set & HF_URL) ? in->url : NULL);
	if (in->set & HF_EVENTS)
		db_bind_i64(st, 2, in->events);
	else
		db_bind_null(st, 2);
	db_bind_int(st, 3, (in->set & HF_LIST) != 0);
	if ((in->set & HF_LIST) && in->list_id > 0)
		db_bind_i64(st, 4, in->list_id);
	else
		db_bind_null(st, 4);
	if (in->set & HF_ACTIVE)
		db_bind_int(st, 5, in->is_active != 0);
	else
		db_bind_null(st, 5);
	db_bind_i64(st, 6, now_us());
	db_bind_i64(st, 7, id);
	db_bind_i64(st, 8, expect);
	rc = db_rc(db, db_done(st, db_step(st)), "webhook update");
	if (rc == DB_OK && db_changes(db) != 1)
		rc = DB_CONFLICT;
out:
	return tx_close(db, own, rc);
}

enum dbrc
webhooks_delete(struct db *db, int64_t owner, int64_t id)
{
	static const char sql[] = "DELETE FROM webhooks WHERE id = ?1 AND owner_id = ?2";
	int	 n = 0;
	enum dbrc rc;

	if ((rc = db_change2(db, sql, id, owner, "webhook delete", &n)) != DB_OK)
		return rc;
	return n == 1 ? DB_OK : DB_NOTFOUND;
}

/* DB_OK when webhook id is owner's, else DB_NOTFOUND. */
static enum dbrc
hook_owned(struct db *db, int64_t owner, int64_t id)
{
	static const char sql[] = "SELECT 1 FROM webhooks WHERE id = ?1 AND owner_id = ?2";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, owner);
	rc = db_done(st, db_step(st));
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "webhook owned");
}

enum dbrc
webhooks_ping(struct db *db, int64_t owner, int64_t id, int64_t *delivery)
{
	char	 data[64], key[48];
	int	 own;
	enum dbrc rc;

	snprintf(data, sizeof(data), "{\"webhook_id\":%lld}", (long long)id);
	snprintf(key, sizeof(key), "ping:%lld", (long long)id);
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = hook_owned(db, owner, id)) == DB_OK)
		rc = hook_insert(db, id, "ping", key, data, delivery);
	return tx_close(db, own, rc);
}

enum dbrc
webhooks_redeliver(struct db *db, int64_t owner, int64_t id, int64_t delivery,
    int64_t *new_delivery)
{
	static const char sql[] =
	    "SELECT event, object_key, data FROM webhook_delivery_log"
	    " WHERE id = ?1 AND webhook_id = ?2";
	struct dbstmt *st;
	struct arena a = { 0 };
	const char *event = NULL, *key = NULL, *data = NULL;
	int	 own, src;
	enum dbrc rc;

	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((rc = hook_owned(db, owner, id)) != DB_OK)
		goto out;
	if ((st = db_prep(db, sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, delivery);
	db_bind_i64(st, 2, id);
	if ((src = db_step(st)) == DB_ROW) {
		event = arena_strdup(&a, db_col_text(st, 0));
		key = arena_strdup(&a, db_col_text(st, 1));
		data = arena_strdup(&a, db_col_text(st, 2));
	}
	db_done(st, src);
	if (src != DB_ROW)
		rc = src == DB_DONE ? DB_NOTFOUND : db_rc(db, src, "redeliver");
	else if (event == NULL || key == NULL || data == NULL)
		rc = DB_ERROR;
	else
		rc = hook_insert(db, id, event, key, data, new_delivery);
out:
	arena_free(&a);
	return tx_close(db, own, rc);
}

enum dbrc
webhooks_delivery_get(struct db *db, int64_t owner, int64_t id, int64_t delivery,
    struct arena *a, struct hook_delivery *d)
{
	static const char sql[] = DELIVERY_COLUMNS " JOIN webhooks w ON w.id = d.webhook_id"
	    " WHERE d.id = ?1 AND d.webhook_id = ?2 AND w.owner_id = ?3";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc, bad;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, delivery);
	db_bind_i64(st, 2, id);
	db_bind_i64(st, 3, owner);
	if ((rc = db_step(st)) != DB_ROW) {
		db_done(st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "delivery get");
	}
	delivery_from_row(st, 0, id, d);
	bad = delivery_keep(a, d) < 0;
	db_done(st, DB_ROW);
	return bad ? DB_ERROR : DB_OK;
}

enum dbrc
webhooks_deliveries_count(struct db *db, int64_t owner, int64_t id, int64_t *n)
{
	static const char sql[] = "SELECT (SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?1) +"
	    " (SELECT count(*) FROM webhook_inbox WHERE webhook_id = ?1 AND moved = 0) +"
	    " (SELECT count(*)" CARRIED_ROWS("e") " AND e.hook / 16 = ?1)";
	struct dbstmt *st;
	enum dbrc rc;
	int	 src;

	*n = 0;
	if ((rc = hook_owned(db, owner, id)) != DB_OK)
		return rc;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	if ((src = db_step(st)) == DB_ROW)
		*n = db_col_i64(st, 0);
	return db_rc(db, db_done(st, src == DB_ROW ? DB_DONE : src),
	    "delivery count");
}

enum dbrc
webhooks_deliveries_page(struct db *db, int64_t id, int64_t limit, int64_t offset,
    hook_delivery_fn fn, void *ctx)
{
	static const char sql[] = DELIVERY_PAGE;
	struct dbstmt *st = db_prep(db, sql);
	struct hook_delivery d;
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, limit);
	db_bind_i64(st, 3, offset);
	while ((rc = db_step(st)) == DB_ROW) {
		delivery_from_row(st, 0, id, &d);
		fn(ctx, &d);
	}
	return db_rc(db, db_done(st, rc), "delivery page");
}
