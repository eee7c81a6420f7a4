/* health: GET /api/health/ -- is the database readable and migrated? */
#include "api.h"
#include "app.h"
#include "json.h"
#include "request.h"

int
api_health(struct req *r)
{
	struct app *app = r->app;
	int	 v = db_is_open(&app->db) ? db_schema_version(&app->db) : -1;
	int	 first = 1, ok = v >= 0 && app->schema_ok;
	struct buf *b = &r->body_out;

	buf_putc(b, '{');
	jw_str(b, "status", ok ? "ok" : "error", &first);
	jw_str(b, "database", v < 0 ? "unavailable" :
	    app->schema_ok ? "ok" : "schema out of date", &first);
	if (v >= 0)
		jw_int(b, "schema_version", v, &first);
	else
		jw_null(b, "schema_version", &first);
	buf_putc(b, '}');
	return ok ? 200 : 503;
}
