/* housekeeping: the periodic chores a responder does between requests. */
#include "app.h"
#include "common.h"
#include "log.h"
#include "sessions.h"
#include "task_search.h"
#include "timeutil.h"
#include "tokens.h"

#define PURGE_EVERY	(60 * 1000000LL)	/* microseconds between purges per process */
#define PURGE_BATCH	200

void
app_housekeep(struct app *app)
{
	struct db *db = &app->db;
	int64_t	 now = mono_us();
	int	 a = 0, b = 0;

	/* the FTS5 index is SQLite's own; PostgreSQL's pg_trgm index keeps itself */
	if (db_is_sqlite())
		task_search_housekeep(db);
	if (app->last_purge != 0 && now - app->last_purge < PURGE_EVERY)
		return;
	app->last_purge = now;
	if (tokens_purge(db, PURGE_BATCH, &a) != DB_OK ||
	    sessions_purge(db, PURGE_BATCH, &b) != DB_OK)
		return;
	if (a + b > 0)
		log_debug("purged %d tokens, %d sessions", a, b);
}
