/* home: GET / -- a small HTML page: where the admin pages are, and the API's routes. */
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "request.h"
#include "template.h"

/* Adds one {method, path, auth} row per method of each API route, in table order. */
static void
add_routes(const struct app *app, cJSON *arr)
{
	static const unsigned order[] = { M_GET, M_POST, M_PUT, M_PATCH, M_DELETE };
	const struct route *rt;
	cJSON	*o;
	size_t	 i, m;

	for (i = 0; i < app->n_api_routes; i++) {
		rt = &app->api_routes[i];
		if (strncmp(rt->pattern, "/api/", 5) != 0)
			continue;
		for (m = 0; m < sizeof(order) / sizeof(order[0]); m++) {
			if (!(rt->methods & order[m]) || (o = cJSON_CreateObject()) == NULL)
				continue;
			cJSON_AddStringToObject(o, "method", method_name(order[m]));
			cJSON_AddStringToObject(o, "path", rt->pattern);
			cJSON_AddBoolToObject(o, "auth", (rt->flags & R_AUTH) != 0);
			cJSON_AddItemToArray(arr, o);
		}
	}
}

int
api_home(struct req *r)
{
	const struct app *app = r->app;
	cJSON	*ctx;
	int	 rc;

	if (app->tmpl == NULL || (ctx = cJSON_CreateObject()) == NULL)
		return 500;
	cJSON_AddStringToObject(ctx, "prefix", app->cfg.admin_prefix);
	cJSON_AddStringToObject(ctx, "static", "/static/");
	add_routes(app, cJSON_AddArrayToObject(ctx, "routes"));
	resp_html(r);
	rc = tmpl_render(app->tmpl, "home", ctx, &r->body_out);
	cJSON_Delete(ctx);
	return rc < 0 ? 500 : 200;
}
