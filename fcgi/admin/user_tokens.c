/* user_tokens: a user's personal API tokens on the user edit page, and revoking one. */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "adm.h"
#include "app.h"
#include "form.h"
#include "pats.h"
#include "request.h"

struct tok_rows {
	struct req	*r;
	cJSON		*arr;
};

/* A pats_page row: one object of the "tokens" array. */
static void
token_row(void *ctx, const struct pat *p)
{
	struct tok_rows *c = ctx;
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(c->arr, o)) {
		cJSON_Delete(o);
		return;
	}
	adm_add_id(o, "token_id", p->id);
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "starts", p->prefix);
	cJSON_AddStringToObject(o, "scopes", (p->scopes & PAT_WRITE) ? "read, write" : "read");
	adm_add_time(c->r, o, "created", p->created_at);
	adm_add_time(c->r, o, "expires", p->expires_at);
	adm_add_time(c->r, o, "last_used", p->last_used_at);
}

enum dbrc
adm_user_tokens(struct req *r, cJSON *ctx, int64_t uid)
{
	struct tok_rows c = { r, cJSON_AddArrayToObject(ctx, "tokens") };
	enum dbrc rc;

	if (c.arr == NULL)
		return DB_ERROR;
	if ((rc = pats_page(&r->app->db, uid, PAT_MAX_PER_USER, 0, token_row, &c)) != DB_OK)
		return rc;
	cJSON_AddBoolToObject(ctx, "has_tokens", cJSON_GetArraySize(c.arr) > 0);
	return DB_OK;
}

/* POST users/{id}/tokens/{id}/revoke/ */
int
adm_user_token_revoke(struct req *r)
{
	struct form f;
	enum dbrc rc;
	char	 loc[48];
	int	 st;

	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	if ((rc = pats_delete(&r->app->db, r->ids[0], r->ids[1])) != DB_OK)
		return adm_dbfail(r, rc);
	snprintf(loc, sizeof(loc), "users/%lld/?saved=1", (long long)r->ids[0]);
	return adm_redirect(r, loc);
}
