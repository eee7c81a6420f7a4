/* delivery: outbox rows for the worker. */
#include <string.h>

#include "arena.h"
#include "delivery.h"
#include "timeutil.h"

enum dbrc
delivery_due(struct db *db, int64_t now, int max, struct arena *a,
    struct outbox_row *rows, int *n)
{
	static const char sql[] =
	    "SELECT o.id, o.user_id, CASE WHEN u.is_active = 1 THEN u.telegram_id END,"
	    " o.attempts, o.text, o.parts_sent"
	    " FROM outbox o LEFT JOIN users u ON u.id = o.user_id"
	    " WHERE o.status = 0 AND o.next_attempt_at <= ?1"
	    /* a user's notices go out in order: none passes one waiting to be retried */
	    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.status = 0"
	    " AND p.next_attempt_at > ?1 AND p.user_id = o.user_id AND p.id < o.id)"
	    " ORDER BY o.id LIMIT ?2";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now);
	db_bind_int(st, 2, max);
	while (*n < max && (rc = db_step(st)) == DB_ROW) {
		struct outbox_row *o = &rows[*n];

		o->id = db_col_i64(st, 0);
		o->user_id = db_col_i64(st, 1);
		o->chat = db_col_i64(st, 2);
		o->attempts = db_col_i64(st, 3);
		o->parts_sent = db_col_i64(st, 5);
		if ((o->text = arena_strdup(a, db_col_text(st, 4))) == NULL) {
			db_done(st, rc);
			return DB_ERROR;
		}
		(*n)++;
	}
	if (*n == max)
		rc = DB_DONE;
	db_done(st, rc);
	return rc == DB_DONE ? DB_OK : db_rc(db, rc, "outbox due");
}

enum dbrc
delivery_sent(struct db *db, int64_t id, int64_t now)
{
	static const char sql[] =
	    "UPDATE outbox SET status = 1, sent_at = ?1, finished_at = ?1,"
	    " attempts = attempts + 1, last_error = NULL WHERE id = ?2 AND status = 0";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, id);
	return db_rc(db, db_done(st, db_step(st)), "outbox sent");
}

enum dbrc
delivery_parts(struct db *db, int64_t id, int64_t parts)
{
	static const char sql[] =
	    "UPDATE outbox SET parts_sent = ? WHERE id = ? AND status = 0";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, parts);
	db_bind_i64(st, 2, id);
	return db_rc(db, db_done(st, db_step(st)), "outbox parts");
}

enum dbrc
delivery_retry(struct db *db, int64_t id, int64_t next_at, const char *err)
{
	static const char sql[] =
	    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?,"
	    " last_error = ? WHERE id = ? AND status = 0";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, next_at);
	db_bind_text(st, 2, err);
	db_bind_i64(st, 3, id);
	return db_rc(db, db_done(st, db_step(st)), "outbox retry");
}

enum dbrc
delivery_failed(struct db *db, int64_t id, const char *err, int64_t now)
{
	static const char sql[] =
	    "UPDATE outbox SET status = 2, attempts = attempts + 1, last_error = ?,"
	    " finished_at = ? WHERE id = ? AND status = 0";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_text(st, 1, err);
	db_bind_i64(st, 2, now);
	db_bind_i64(st, 3, id);
	return db_rc(db, db_done(st, db_step(st)), "outbox failed");
}

enum dbrc
delivery_skipped(struct db *db, int64_t id, int64_t now)
{
	static const char sql[] =
	    "UPDATE outbox SET status = 3, finished_at = ?,"
	    " last_error = 'Telegram account not linked' WHERE id = ? AND status = 0";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, id);
	return db_rc(db, db_done(st, db_step(st)), "outbox skipped");
}

enum dbrc
delivery_next_at(struct db *db, int64_t *at)
{
	/* the first entry of the partial index outbox_due */
	static const char sql[] = "SELECT min(next_attempt_at) FROM outbox WHERE status = 0";
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	*at = TIME_NULL;
	if (st == NULL)
		return DB_ERROR;
	if ((rc = db_step(st)) == DB_ROW && !db_col_isnull(st, 0))
		*at = db_col_i64(st, 0);
	return db_rc(db, db_done(st, rc == DB_ROW ? DB_DONE : rc), "next notice");
}
