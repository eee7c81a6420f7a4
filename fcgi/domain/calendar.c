/* calendar: feed secrets and the tasks a feed lists. */
#include <string.h>

#include "calendar.h"
#include "tasks.h"
#include "timeutil.h"

enum dbrc
cal_feed_create(struct db *db, int64_t uid, char tok[TOKEN_LEN + 1])
{
	static const char sql[] =
	    "INSERT INTO calendar_feeds (user_id, digest, created_at) VALUES (?, ?, ?)"
	    " ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest,"
	    " created_at = excluded.created_at";
	struct dbstmt *st;
	unsigned char d[32];

	if (token_random(tok) < 0)
		return DB_ERROR;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(tok, d);
	db_bind_i64(st, 1, uid);
	db_bind_blob(st, 2, d, 32, DB_TRANSIENT);
	db_bind_i64(st, 3, now_us());
	return db_rc(db, db_done(st, db_step(st)), "calendar feed create");
}

enum dbrc
cal_feed_delete(struct db *db, int64_t uid)
{
	static const char sql[] = "DELETE FROM calendar_feeds WHERE user_id = ?";
	struct dbstmt *st = db_prep(db, sql);

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, uid);
	return db_rc(db, db_done(st, db_step(st)), "calendar feed delete");
}

enum dbrc
cal_feed_owner(struct db *db, const char *tok, int64_t *uid, int *is_staff)
{
	static const char sql[] =
	    "SELECT u.id, u.is_staff FROM calendar_feeds f JOIN users u ON u.id = f.user_id"
	    " WHERE f.digest = ? AND u.is_active = 1";
	struct dbstmt *st;
	unsigned char d[32];
	int	 rc;

	if (strlen(tok) != TOKEN_LEN)
		return DB_NOTFOUND;
	if ((st = db_prep(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(tok, d);
	db_bind_blob(st, 1, d, 32, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW) {
		*uid = db_col_i64(st, 0);
		*is_staff = db_col_int(st, 1);
	}
	db_done(st, rc);
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "calendar feed owner");
}

enum dbrc
cal_events(struct db *db, int64_t uid, void (*fn)(void *, const struct cal_event *),
    void *ctx)
{
	/* each part uses the assignee, owner or member indexes; a task in several counts once */
	static const char sql[] =
	    "SELECT t.id, t.name, t.description, l.name, t.status, t.complete_before,"
	    " t.created_at, t.updated_at, t.rec_every, t.rec_unit, t.rec_from, t.rec_until,"
	    " t.rec_anchor, t.reminders, r.reminder_offsets"
	    " FROM tasks t JOIN lists l ON l.id = t.list_id"
	    " JOIN users r ON r.id = coalesce(t.assigned_to, l.owner_id)"
	    " WHERE t.complete_before IS NOT NULL AND t.id IN ("
	    "  SELECT id FROM tasks WHERE assigned_to = ?1 AND complete_before IS NOT NULL"
	    "  UNION SELECT t2.id FROM lists l2 JOIN tasks t2 ON t2.list_id = l2.id"
	    "  WHERE l2.owner_id = ?1 AND t2.complete_before IS NOT NULL"
	    "  UNION SELECT t3.id FROM list_members m JOIN tasks t3 ON t3.list_id = m.list_id"
	    "  WHERE m.user_id = ?1 AND t3.complete_before IS NOT NULL)"
	    " ORDER BY t.complete_before DESC, t.id DESC LIMIT ?2";
	struct dbstmt *st = db_prep(db, sql);
	struct cal_event e;
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, uid);
	db_bind_int(st, 2, CAL_MAX_EVENTS);
	while ((rc = db_step(st)) == DB_ROW) {
		e.id = db_col_i64(st, 0);
		e.name = db_col_text(st, 1);
		e.description = db_col_text(st, 2);
		e.list_name = db_col_text(st, 3);
		e.status = db_col_text(st, 4);
		e.deadline = db_col_i64(st, 5);
		e.created_at = db_col_i64(st, 6);
		e.updated_at = db_col_i64(st, 7);
		e.rec.every = db_col_int(st, 8);
		e.rec.unit = rec_unit_of(db_col_text(st, 9));
		e.rec.from = rec_from_of(db_col_text(st, 10));
		e.rec.until = db_col_isnull(st, 11) ? TIME_NULL :
		    db_col_i64(st, 11);
		e.rec_anchor = db_col_isnull(st, 12) ? TIME_NULL :
		    db_col_i64(st, 12);
		if (e.rec.unit < 0 || e.rec.from < 0)
			e.rec.every = 0;
		/* the worker sends a Completed task no reminder: no alarm either */
		e.nalarms = task_status_of(e.status) == TS_COMPLETED ? 0 :
		    rem_offsets_effective(db_col_str(st, 13),
		    db_col_str(st, 14), e.alarms);
		fn(ctx, &e);
	}
	db_done(st, rc);
	return rc == DB_DONE ? DB_OK : db_rc(db, rc, "calendar events");
}
