/*
 * common: what every API handler shares: the one mapping of a storage
 * result to an answer (api_dbfail), the end of a write whose answer was
 * written inside it, the domain actor of the request, and the common
 * request fields (updated_at for optimistic locking, ?search=).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "lists.h"
#include "reminders.h"
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
	if (!cJSON_IsString(v) || rfc3339_parse(v->valuestring,
	    strlen(v->valuestring), out) < 0)
		return resp_detail(r, 409, "Invalid format of field 'updated_at'.");
	return 0;
}

/* The JSON type name DRF reports for v ("str", "int", "dict", ...). */
static const char *
drf_type(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) ? "int" : "float";
	return cJSON_IsObject(v) ? "dict" : "str";
}

enum jr
api_read_offsets(struct req *r, const char *key, char *out)
{
	static const char *const why[] = {
		[REM_TOO_MANY] = "Ensure this field has no more than 5 elements.",
		[REM_TOO_SMALL] = "Ensure this value is greater than or equal to 1.",
		[REM_TOO_BIG] = "Ensure this value is less than or equal to 525600.",
		[REM_DUPLICATE] = "Offsets must be distinct.",
	};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, key), *e;
	int64_t	 off[REM_MAX_OFFSETS + 1];
	int	 n = 0;
	char	 msg[80];
	enum rem_bad bad;

	if (v == NULL)
		return JR_ABSENT;
	if (cJSON_IsNull(v))
		return JR_NULL;
	if (!cJSON_IsArray(v)) {
		snprintf(msg, sizeof(msg),
		    "Expected a list of items but got type \"%s\".", drf_type(v));
		req_error(r, key, msg);
		return JR_BAD;
	}
	cJSON_ArrayForEach(e, v) {
		if (n == REM_MAX_OFFSETS) {
			req_error(r, key, why[REM_TOO_MANY]);
			return JR_BAD;
		}
		/* DRF's IntegerField takes digits in a string too ("60") */
		if (cJSON_IsString(e) && e->valuestring[0] != '\0' &&
		    strspn(e->valuestring, "0123456789") == strlen(e->valuestring)) {
			off[n++] = strlen(e->valuestring) > 9 ? INT64_C(1000000000) :
			    atoll(e->valuestring);
			continue;
		}
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) ||
		    e->valuedouble != floor(e->valuedouble)) {
			req_error(r, key, "A valid integer is required.");
			return JR_BAD;
		}
		/* clamped: the range check below names the bound */
		off[n++] = e->valuedouble < 0 ? 0 : e->valuedouble > 1e9 ?
		    INT64_C(1000000000) : (int64_t)e->valuedouble;
	}
	if ((bad = rem_offsets_check(off, n, out)) != REM_OK) {
		req_error(r, key, why[bad]);
		return JR_BAD;
	}
	return JR_OK;
}
