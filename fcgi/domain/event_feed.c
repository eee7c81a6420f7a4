/* event_feed: a user's events after a cursor. */
#include <string.h>

#include "event_feed.h"

enum dbrc
event_feed(struct db *db, int64_t uid, int64_t after, int64_t limit,
    int (*fn)(void *, const struct event *), void *arg)
{
	static const char sql[] =
	    "SELECT id, type, action, message, task_id, created_at FROM events"
	    " WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?";
	struct dbstmt *st = db_prep(db, sql);
	struct event e;
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, uid);
	db_bind_i64(st, 2, after);
	db_bind_i64(st, 3, limit);
	while ((rc = db_step(st)) == DB_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = db_col_i64(st, 0);
		e.type = db_col_text(st, 1);
		e.action = db_col_text(st, 2);
		if (!db_col_isnull(st, 3))
			e.message = db_col_text(st, 3);
		e.task_id = db_col_i64(st, 4);
		e.created_at = db_col_i64(st, 5);
		if (fn(arg, &e) != 0) {
			rc = DB_DONE;
			break;
		}
	}
	db_done(st, rc);
	return rc == DB_DONE ? DB_OK : db_rc(db, rc, "events");
}
