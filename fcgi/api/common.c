/*
 * common: what every API handler shares: the one mapping of a storage
 * result to an answer (api_dbfail), the end of a write whose answer was
 * written inside it, the domain actor of the request, and the common
 * request fields (updated_at for optimistic locking, ?search=).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "lists.h"
#include "request.h"
#include "timeutil.h"

int
api_commit_answer(struct req *r, int st, int ok)
{
	enum dbrc rc;

	if (st != ok) {
		db_rollback(&r->app->db);
		return st;
	}
	if ((rc = db_commit(&r->app->db)) != DB_OK)
		return api_dbfail(r, rc);
	return ok;
}

int
api_dbfail(struct req *r, enum dbrc rc)
{
	switch (rc) {
	case DB_NOTFOUND:
		return resp_detail(r, 404, "Not found.");
	case DB_FORBIDDEN:
		return resp_detail(r, 403, "You do not have permission to perform this action.");
	case DB_BUSY:
		return 503;
	default:
		return 500;
	}
}

void
api_actor(struct req *r, struct actor *who)
{
	who->id = r->user.id;
	who->sees_all = 0;
}

int
api_lock_read(struct req *r, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "updated_at");

	if (v == NULL || cJSON_IsNull(v))
		return resp_detail(r, 409, "Field 'updated_at' is required for updates.");
	if (!cJSON_IsString(v) || rfc3339_parse_in(v->valuestring,
	    strlen(v->valuestring), r->zone, out) < 0)
		return resp_detail(r, 409, "Invalid format of field 'updated_at'.");
	return 0;
}
