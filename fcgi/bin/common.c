/* common: process start-up for the responder and the CLI. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "app.h"
#include "authn.h"
#include "bot.h"
#include "common.h"
#include "log.h"
#ifdef HAVE_POSTGRESQL
#include "pgstmt.h"
#endif
#include "ratelimit.h"
#include "ratemap.h"
#include "task_pages.h"
#include "template.h"
#include "throttle.h"
#include "timeutil.h"
#include "webhooks.h"

/*
 * Whether this build runs on a PostgreSQL database (given a postgresql://
 * URI): every program then opens it through the statement layer, but
 * those with APP_PG_OK (migrate, backup), which do their own work there
 * (README "PostgreSQL and several hosts").
 */
#ifdef HAVE_POSTGRESQL
#define APP_PG_BUILD	1
#else
#define APP_PG_BUILD	0
#endif

/*
 * Maps this host's rate limits: beside the SQLite database, else in
 * state_dir (README "Configuration"); NULL (logged) when it cannot.
 */
static struct ratemap *
app_limits_open(struct app *app)
{
	char	 path[4096];

	if (*app->cfg.state_dir == '\0' && !app->cfg.db_pg)
		return throttle_open(&app->db, NULL);	/* the file SQLite opened */
	if (config_state_file(&app->cfg, "-limits", path, sizeof(path)) < 0) {
		log_error("rate limits: the state_dir path is too long");
		return NULL;
	}
	return throttle_open(&app->db, path);
}

/* Opens the configured database: SQLite's file, or PostgreSQL's URI. */
static int
app_db_open(struct app *app, int dbflags, char *err, size_t errlen)
{
#ifdef HAVE_POSTGRESQL
	if (app->cfg.db_pg)
		return pg_open(&app->db, app->cfg.database, err, errlen);
#endif
	return db_open(&app->db, app->cfg.database, dbflags |
	    (app->cfg.sync_normal ? DB_OPEN_SYNC_NORMAL : 0), err, errlen);
}

int
app_open(struct app *app, const char *path, int flags, char *err, size_t errlen)
{
	int	 v;

	memset(app, 0, sizeof(*app));
	if (config_load(&app->cfg, config_path(path), err, errlen) < 0) {
		config_free(&app->cfg);	/* what was read before the error */
		return -1;
	}
	log_set_level(app->cfg.log_level_n);
	/* a build without PostgreSQL knows only migrate's and backup's
	 * messages there: never open the URI as a file */
	if (app->cfg.db_pg && !APP_PG_BUILD && !(flags & (APP_NO_DB | APP_PG_OK))) {
		snprintf(err, errlen, "this build has no PostgreSQL support (configure "
		    "--with-postgresql); see README 'PostgreSQL and several hosts'");
		config_free(&app->cfg);
		return APP_PG_UNSUPPORTED;
	}
	/* long-running programs log to log_file; commands keep talking to the terminal */
	if ((flags & (APP_SERVE | APP_DAEMON)) && *app->cfg.log_file != '\0' &&
	    log_open_file(app->cfg.log_file) < 0) {
		snprintf(err, errlen, "log_file: cannot open %s", app->cfg.log_file);
		return -1;
	}
	app->api_routes = api_routes;
	app->n_api_routes = n_api_routes;
	app->authenticate = http_authenticate;
	app->throttle = http_throttle;
	app->housekeep = app_housekeep;
	app->admin_routes = admin_routes;
	app->n_admin_routes = n_admin_routes;
	app->login_redirect = admin_login_redirect;
	app->page_error = admin_page_error;
	/* webhook deliveries show tasks and lists as the API does */
	webhooks_writers(api_write_task, api_write_list, api_write_comment);
	if ((app->tasks = task_cache_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		config_free(&app->cfg);
		return -1;
	}
	/* the admin templates are compiled once per process, not per request */
	if ((flags & APP_SERVE) && admin_load_templates(app, err, errlen) < 0)
		log_error("admin templates not loaded (the admin pages answer 500): %s", err);
	if ((flags & APP_NO_DB) || (app->cfg.db_pg && (flags & APP_PG_OK)))
		return 0;
	if (app_db_open(app, ((flags & APP_DB_CREATE) ? DB_OPEN_CREATE : 0) |
	    ((flags & APP_SERVE) ? DB_OPEN_DEFER : 0), err, errlen) < 0) {
		if (!(flags & APP_SERVE))
			return -1;
		/* a responder stays up and answers 503 until the database exists */
		log_error("cannot open the database: %s: run 'taskmgr migrate'", err);
		return 0;
	}
	app->db.zone = app->cfg.tz;
	if (flags & APP_SERVE)
		app->limits = app_limits_open(app);
	v = db_schema_version(&app->db);
	app->schema_ok = v == db_schema_expected();
	if (!app->schema_ok && !(flags & APP_DB_CREATE))
		log_error("database %s is at schema version %d, this program needs %d: "
		    "run 'taskmgr migrate'", app->cfg.database, v, db_schema_expected());
	return 0;
}

void
app_recheck(struct app *app)
{
	char	 err[512];
	int64_t	 now = mono_us();

	if (now - app->last_check < 1000000)
		return;
	app->last_check = now;
	if (!db_is_open(&app->db) && app_db_open(app, DB_OPEN_DEFER, err, sizeof(err)) < 0)
		return;
	app->db.zone = app->cfg.tz;
	if (app->limits == NULL)
		app->limits = app_limits_open(app);
	if (db_schema_version(&app->db) == db_schema_expected()) {
		/* statements prepared against the old schema must not be reused */
		db_close(&app->db);
		if (app_db_open(app, DB_OPEN_DEFER, err, sizeof(err)) < 0)
			return;
		app->db.zone = app->cfg.tz;
		app->schema_ok = 1;
		log_info("database schema is now at version %d", db_schema_expected());
	}
}

void
app_close(struct app *app)
{
	bot_free(app->bot);
	app->bot = NULL;
	task_cache_free(app->tasks);
	app->tasks = NULL;
	ratemap_close(app->limits);
	app->limits = NULL;
	db_close(&app->db);
	tmpl_set_free(app->tmpl);
	app->tmpl = NULL;
	config_free(&app->cfg);
}
