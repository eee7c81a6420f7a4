/* standby: the worker's and the bot's election on the configured database. */
#include <stdio.h>

#include <sqlite3.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "standby.h"

int
standby_lead(struct leader *l, struct app *app, const char *what, int once,
    volatile sig_atomic_t *stop)
{
	const char *database = app->cfg.database;
	char	 err[256];

	if (l->path == NULL && l->uri == NULL) {
		/* the file as SQLite opened it: the same lock whatever the path's spelling */
		if (!config_is_pg_uri(database) && app->db.h != NULL)
			database = sqlite3_db_filename(app->db.h, "main");
		if (database == NULL || *database == '\0') {
			log_error("%s: the database has no file to put a lock beside", what);
			return -1;
		}
		if (leader_init(l, what, database, err, sizeof(err)) < 0) {
			log_error("%s: %s", what, err);
			return -1;
		}
	}
	if (leader_wait(l, stop, once ? STANDBY_ONCE_WAIT_MS : -1) > 0)
		return 1;
	if (once && !*stop) {
		if (l->failing)
			return -1;	/* the lock could not be tried: logged */
		/* where --once prints its round's summary (the log may be a file) */
		printf("%s: another %s runs on this database; nothing done\n", what, what);
	}
	return 0;
}
