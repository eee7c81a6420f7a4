/* cmd_sweep: taskmgr sweep -- the overdue sweep, run once. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "tasks.h"
#include "timeutil.h"

int
cmd_sweep(struct app *app, int argc, char *argv[])
{
	int64_t	 n = 0;
	enum dbrc rc;

	if (argc != 1)
		return usage_error("sweep", "unexpected argument '%s'", argv[1]);
	if ((rc = tasks_mark_overdue(&app->db, now_us(), &n)) != DB_OK) {
		fprintf(stderr, "taskmgr: sweep failed: %s (%lld tasks marked before)\n",
		    db_strerror(rc), (long long)n);
		return 1;
	}
	printf("marked %lld task%s overdue\n", (long long)n, n == 1 ? "" : "s");
	return 0;
}
