/* listing: what the user, list and task list pages share around their rows. */
#include <stdint.h>

#include "adm.h"
#include "app.h"
#include "request.h"

int
adm_listing_begin(struct req *r, struct adm_listing *l, const char *title,
    const char *nav, const char *const *cols, int def,
    const struct param_spec *spec, size_t n)
{
	static const struct param_spec query[ADM_NQUERY] = { ADM_QUERY_PARAMS };
	const struct param_val *v = l->v;

	if (spec == NULL) {
		spec = query;
		n = ADM_NQUERY;
	}
	if (n > ADM_LISTING_MAX)
		n = ADM_LISTING_MAX;
	params_read(r, spec, n, l->v);
	l->rows = NULL;
	l->q = v[ADM_Q].state == PS_SET ? v[ADM_Q].s : NULL;
	l->page = v[ADM_P].state == PS_SET ? v[ADM_P].n : 1;
	l->per = r->app->cfg.page_size;
	l->offset = (l->page - 1) * l->per;
	if ((l->ctx = adm_ctx(r, title, nav)) == NULL)
		return 500;
	l->order = adm_order(r, l->ctx, v[ADM_O].state == PS_SET ? v[ADM_O].s : NULL,
	    cols, def);
	return 0;
}

int
adm_listing_rows(struct req *r, struct adm_listing *l, enum dbrc rc)
{
	if (rc != DB_OK && rc != DB_INVALID) {
		cJSON_Delete(l->ctx);
		l->ctx = NULL;
		return adm_dbfail(r, rc);
	}
	if (l->q != NULL)
		cJSON_AddStringToObject(l->ctx, "q", l->q);
	if (adm_param(r, "saved") != NULL)
		cJSON_AddTrueToObject(l->ctx, "saved");
	if (adm_param(r, "deleted") != NULL)
		cJSON_AddTrueToObject(l->ctx, "deleted");
	l->rows = cJSON_AddArrayToObject(l->ctx, "rows");
	return 0;
}

cJSON *
adm_listing_row(struct adm_listing *l)
{
	cJSON	*o;

	if (l->rows == NULL || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddItemToArray(l->rows, o);
	return o;
}

int
adm_listing_end(struct req *r, struct adm_listing *l, int64_t count, const char *one,
    const char *many, const char *tmpl)
{
	adm_pager(r, l->ctx, count, l->page, l->per, one, many);
	return adm_render(r, 200, tmpl, l->ctx);
}
