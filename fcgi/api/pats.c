/* pats: /api/auth/tokens/ -- the caller's personal API tokens. */
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "page.h"
#include "pats.h"
#include "request.h"
#include "timeutil.h"

/* Writes one token object (without its secret). */
static void
write_pat(struct buf *b, const struct pat *p, int *first)
{
	buf_putc(b, '{');
	*first = 1;
	jw_int(b, "id", p->id, first);
	jw_str(b, "name", p->name, first);
	jw_key(b, "scopes", first);
	buf_puts(b, (p->scopes & PAT_WRITE) ? "[\"read\",\"write\"]" : "[\"read\"]");
	jw_time(b, "expires_at", p->expires_at, first);
	jw_time(b, "created_at", p->created_at, first);
	jw_time(b, "last_used_at", p->last_used_at, first);
	jw_str(b, "prefix", p->prefix, first);
}

struct rows {
	struct buf	*b;
	int		 n;
};

/* A page row callback: appends the token, comma-separated. */
static void
pat_row(void *ctx, const struct pat *p)
{
	struct rows *c = ctx;
	int	 first;

	if (c->n++ > 0)
		buf_putc(c->b, ',');
	write_pat(c->b, p, &first);
	buf_putc(c->b, '}');
}

/* GET /api/auth/tokens/: a page of the caller's tokens, newest first. */
static int
pats_index(struct req *r)
{
	struct db *db = &r->app->db;
	struct rows c = { &r->body_out, 0 };
	struct page pg;
	int64_t	 count = 0;
	enum dbrc rc;
	int	 st;

	if ((st = page_read(r, &pg)) != 0)
		return st;
	if ((rc = pats_count(db, r->user.id, &count)) != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	if (pg.offset < count &&
	    (rc = pats_page(db, r->user.id, pg.limit, pg.offset, pat_row, &c)) != DB_OK)
		return api_dbfail(r, rc);
	page_end(r);
	return 200;
}

/*
 * Reads "scopes": a non-empty list of distinct "read" and "write", write
 * needing read.  The scope bits, or 0 with an error recorded.
 */
static unsigned
read_scopes(struct req *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "scopes"), *e;
	unsigned scopes = 0, bit;

	if (v == NULL) {
		req_error(r, "scopes", "This field is required.");
		return 0;
	}
	if (!cJSON_IsArray(v)) {
		req_error(r, "scopes", "Expected a list of items.");
		return 0;
	}
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || (strcmp(e->valuestring, "read") != 0 &&
		    strcmp(e->valuestring, "write") != 0)) {
			req_error(r, "scopes", "Each scope must be \"read\" or \"write\".");
			return 0;
		}
		bit = *e->valuestring == 'r' ? PAT_READ : PAT_WRITE;
		if (scopes & bit) {
			req_error(r, "scopes", "A scope may be listed once only.");
			return 0;
		}
		scopes |= bit;
	}
	if (scopes == 0)
		req_error(r, "scopes", "This list may not be empty.");
	else if (!(scopes & PAT_READ))
		req_error(r, "scopes", "A \"write\" token also needs the \"read\" scope.");
	return (scopes & PAT_READ) ? scopes : 0;
}

/* POST /api/auth/tokens/ {name, scopes, expires_at?}: 201 with the secret once. */
static int
pats_create_h(struct req *r)
{
	const char *name = NULL;
	char	 tok[PAT_LEN + 1];
	int64_t	 expires = TIME_NULL;
	unsigned scopes;
	struct pat p;
	enum dbrc rc;
	int	 first;

	jr_str(r, r->json, "name", JF_REQUIRED | JF_TRIM, PAT_NAME_MAX, &name);
	scopes = read_scopes(r);
	if (jr_time(r, r->json, "expires_at", JF_NULL, &expires) == JR_OK &&
	    expires <= now_us())
		req_error(r, "expires_at", "The expiry must be in the future.");
	if (r->errors != NULL)
		return resp_errors(r);
	rc = pats_create(&r->app->db, r->user.id, name, scopes, expires, &r->arena, tok, &p);
	if (rc == DB_INVALID) {
		req_error(r, "non_field_errors", "A user can have at most 50 tokens.");
		return resp_errors(r);
	}
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	write_pat(&r->body_out, &p, &first);
	jw_str(&r->body_out, "token", tok, &first);
	buf_putc(&r->body_out, '}');
	memset(tok, 0, sizeof(tok));
	return 201;
}

int
api_pats(struct req *r)
{
	return r->method == M_POST ? pats_create_h(r) : pats_index(r);
}

/* DELETE /api/auth/tokens/{id}/: revokes one of the caller's tokens. */
int
api_pat(struct req *r)
{
	enum dbrc rc;

	if ((rc = pats_delete(&r->app->db, r->user.id, r->ids[0])) != DB_OK)
		return api_dbfail(r, rc);
	return 204;
}
