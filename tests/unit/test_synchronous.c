/*
 * Unit tests: the programs' start-up (app_open) opens the database with the
 * configured synchronous mode: full by default, normal when set.  (What
 * each mode keeps across a power cut: test_powercut.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "common.h"
#include "tap.h"

static char	 dir[64], conf[128], db[128];

/* PRAGMA synchronous of the connection app_open() made with the config text. */
static int
mode_with(const char *extra, const char *env)
{
	struct app app;
	sqlite3_stmt *st;
	char	 err[512];
	FILE	*f;
	int	 v = -1;

	if ((f = fopen(conf, "w")) == NULL)
		return -2;
	fprintf(f, "database = %s\n%s", db, extra);
	fclose(f);
	if (env != NULL)
		setenv("TASKMGR_SYNCHRONOUS", env, 1);
	else
		unsetenv("TASKMGR_SYNCHRONOUS");
	if (app_open(&app, conf, APP_DB_CREATE, err, sizeof(err)) < 0) {
		printf("# app_open: %s\n", err);
		return -3;
	}
	if (app.db.h != NULL &&
	    sqlite3_prepare_v2(app.db.h, "PRAGMA synchronous", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	app_close(&app);
	return v;
}

int
main(void)
{
	char	 p[160];

	snprintf(dir, sizeof(dir), "/tmp/taskmgr-sync-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(conf, sizeof(conf), "%s/taskmgr.conf", dir);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	/* SQLite's values: 1 NORMAL, 2 FULL */
	is_int(mode_with("", NULL), 2, "no setting: synchronous=FULL");
	is_int(mode_with("synchronous = full\n", NULL), 2, "synchronous = full: FULL");
	is_int(mode_with("synchronous = normal\n", NULL), 1, "synchronous = normal: NORMAL");
	is_int(mode_with("synchronous = normal\n", "full"), 2,
	    "TASKMGR_SYNCHRONOUS=full overrides the file");
	is_int(mode_with("", "normal"), 1, "TASKMGR_SYNCHRONOUS=normal");
	unsetenv("TASKMGR_SYNCHRONOUS");
	unlink(conf);
	snprintf(p, sizeof(p), "%s-limits", db);
	unlink(p);
	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
	if (rmdir(dir) < 0)
		printf("# %s left: not empty\n", dir);
	return tap_done();
}
