/*
 * common: start-up shared by the responder and the CLI: configuration,
 * logging, the database and the route tables.
 */
#ifndef TASKMGR_COMMON_H
#define TASKMGR_COMMON_H

#include <stddef.h>

struct app;

#define APP_DB_CREATE	0x01	/* create the database file (migrate) */
#define APP_NO_DB	0x02	/* configuration only (check-config) */
#define APP_SERVE	0x04	/* a responder: stay up when the database cannot be opened */
#define APP_DAEMON	0x08	/* a long-running command (worker, bot): logs go to log_file */
#define APP_PG_OK	0x10	/* does its own work on PostgreSQL (migrate, backup), in
				   any build: given a postgresql:// URI, app_open opens
				   no database */

/* app_open()'s answer for a PostgreSQL URI in a build without PostgreSQL
 * (a program without APP_PG_OK) */
#define APP_PG_UNSUPPORTED (-2)

/*
 * Loads the configuration from path (NULL: $TASKMGR_CONFIG or the default),
 * opens the database and wires the hooks.  -1 with a message in err, or
 * APP_PG_UNSUPPORTED (message in err) when the database is a PostgreSQL URI
 * and the build has no PostgreSQL (flags without APP_PG_OK).  The
 * schema is checked (app->schema_ok) but never migrated.  A responder
 * (APP_SERVE) also maps the rate-limit state beside the database or in
 * state_dir (app->limits); app_close() frees it all.
 */
int	 app_open(struct app *, const char *path, int flags, char *err, size_t errlen);
void	 app_close(struct app *);
/*
 * For a responder whose database was missing or not migrated: opens it
 * again and re-reads the schema version, at most once a second, so that
 * 'taskmgr migrate' takes effect without a restart.
 */
void	 app_recheck(struct app *);
/*
 * The app->housekeep hook (housekeeping.c): lets the search index catch up
 * with new tasks (task_search, a few times a second at most) and purges a
 * batch of each kind of expired row (tokens, sessions) at most once a
 * minute per process.  Otherwise it costs two clock reads.
 */
void	 app_housekeep(struct app *);

#endif
