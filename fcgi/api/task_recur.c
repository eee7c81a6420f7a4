/*
 * task_recur: a task's "recurrence" in the API (read with DRF's nested
 * errors, written raw on the hot path) and GET /api/tasks/{id}/completions/.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "arena.h"
#include "json.h"
#include "page.h"
#include "request.h"
#include "task_recur.h"
#include "tasks.h"
#include "timeutil.h"

/* DRF's name of a JSON value's type, for "Expected a dictionary, but got X." */
static const char *
json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "str";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsArray(v))
		return "list";
	if (cJSON_IsNumber(v))
		return v->valuedouble == (double)(long long)v->valuedouble ? "int" : "float";
	return "NoneType";
}

/* Reads the members of a recurrence object into rec; errors in r->errors. */
static void
read_members(struct req *r, const cJSON *o, struct recurrence *rec)
{
	int64_t	 n;
	int	 i;

	switch (jr_int(r, o, "every", JF_REQUIRED, &n)) {
	case JR_OK:
		if (n < 1)
			req_error(r, "every", "Ensure this value is greater than or equal to 1.");
		else if (n > REC_EVERY_MAX)
			req_error(r, "every",
			    "Ensure this value is less than or equal to 1000.");
		else
			rec->every = (int)n;
		break;
	default:
		break;
	}
	if (jr_choice(r, o, "unit", JF_REQUIRED, rec_unit_names, &i) == JR_OK)
		rec->unit = i;
	if (jr_choice(r, o, "from", 0, rec_from_names, &i) == JR_OK)
		rec->from = i;
	if (jr_time(r, o, "until", JF_NULL, &n) == JR_OK)
		rec->until = n;
}

void
api_rec_read(struct req *r, struct task_input *in)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "recurrence");
	cJSON	*outer = r->errors;
	char	 msg[96];

	if (v == NULL)
		return;
	memset(&in->rec, 0, sizeof(in->rec));
	in->rec.until = TIME_NULL;
	if (cJSON_IsNull(v)) {
		in->set |= TF_RECURRENCE;
		return;
	}
	/* the members' errors nest under "recurrence", as DRF's nested serializer's do */
	r->errors = NULL;
	if (!cJSON_IsObject(v)) {
		snprintf(msg, sizeof(msg), "Invalid data. Expected a dictionary, but got %s.",
		    json_type(v));
		req_error(r, "non_field_errors", msg);
	} else
		read_members(r, v, &in->rec);
	if (r->errors == NULL) {
		r->errors = outer;
		in->set |= TF_RECURRENCE;
		return;
	}
	if (outer == NULL && (outer = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(r->errors);
		r->errors = NULL;
		req_error(r, "recurrence", "Invalid input.");
		return;
	}
	cJSON_AddItemToObject(outer, "recurrence", r->errors);
	r->errors = outer;
}

char *
api_rec_write(char *o, const struct recurrence *rec)
{
	o = JW_RAW_LIT(o, ",\"recurrence\":");
	if (rec->every < 1)
		return JW_RAW_LIT(o, "null");
	o = JW_RAW_LIT(o, "{\"every\":");
	o = jw_raw_int(o, rec->every);
	o = JW_RAW_LIT(o, ",\"unit\":\"");
	memcpy(o, rec_unit_names[rec->unit], strlen(rec_unit_names[rec->unit]));
	o += strlen(rec_unit_names[rec->unit]);
	o = JW_RAW_LIT(o, "\",\"from\":\"");
	memcpy(o, rec_from_names[rec->from], strlen(rec_from_names[rec->from]));
	o += strlen(rec_from_names[rec->from]);
	o = JW_RAW_LIT(o, "\",\"until\":");
	o = jw_raw_time(o, rec->until);
	*o++ = '}';
	return o;
}

/* GET /api/tasks/{id}/completions/ */
int
api_task_completions(struct req *r)
{
	struct completion *rows;
	struct actor who;
	struct task t;
	struct page pg;
	int64_t	 count;
	size_t	 n, i;
	enum dbrc rc;
	int	 st, first;

	api_actor(r, &who);
	if ((rc = tasks_get_visible(&r->app->db, &who, r->ids[0], &r->arena, &t)) != DB_OK)
		return api_dbfail(r, rc);
	if ((st = page_read(r, &pg)) != 0)
		return st;
	if ((rc = task_completions_page(&r->app->db, t.id, pg.limit, pg.offset, &r->arena,
	    &count, &rows, &n)) != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&r->body_out, ',');
		first = 1;
		buf_putc(&r->body_out, '{');
		jw_int(&r->body_out, "id", rows[i].id, &first);
		jw_time(&r->body_out, "completed_at", rows[i].completed_at, &first);
		jw_time(&r->body_out, "complete_before", rows[i].complete_before, &first);
		if (rows[i].completed_by > 0)
			jw_int(&r->body_out, "completed_by", rows[i].completed_by, &first);
		else
			jw_null(&r->body_out, "completed_by", &first);
		jw_str(&r->body_out, "completed_by_username", rows[i].completed_by_username,
		    &first);
		buf_putc(&r->body_out, '}');
	}
	page_end(r);
	return 200;
}
