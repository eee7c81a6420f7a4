/* render: the admin pages' shared machinery. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adm.h"
#include "admin.h"
#include "app.h"
#include "log.h"
#include "request.h"
#include "router.h"
#include "template.h"
#include "timeutil.h"
#include "tz.h"

int
admin_load_templates(struct app *app, char *err, size_t errlen)
{
	if (app->tmpl == NULL && (app->tmpl = tmpl_set_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return tmpl_set_load_dir(app->tmpl, app->cfg.templates_dir, err, errlen);
}

int
admin_login_redirect(struct req *r)
{
	struct buf b = { 0 };
	const char *prefix = r->app->cfg.admin_prefix;
	char	*loc;

	buf_puts(&b, prefix);
	buf_puts(&b, "login/?next=");
	buf_url(&b, r->path, strlen(r->path));
	if (*r->query != '\0') {
		buf_url(&b, "?", 1);
		buf_url(&b, r->query, strlen(r->query));
	}
	loc = b.oom ? NULL : arena_strdup(&r->arena, b.p);
	buf_free(&b);
	resp_html(r);
	if (loc == NULL)
		return 500;
	return resp_redirect(r, 302, loc);
}

int
admin_page_error(struct req *r, int status)
{
	int	 rc;

	if (status == 405)
		rc = adm_render(r, 405, "not_allowed", adm_ctx(r, "Method not allowed", NULL));
	else if (status == 503)
		rc = adm_render(r, 503, "busy", adm_ctx(r, "Busy", NULL));
	else if (status == 500)
		rc = adm_render(r, 500, "server_error", adm_ctx(r, "Server error", NULL));
	else
		rc = adm_not_found(r);
	/* the route was not found: nothing must run after this answer */
	r->route = NULL;
	return rc == 500 ? 500 : status;
}

cJSON *
adm_ctx(struct req *r, const char *title, const char *nav)
{
	cJSON	*c = cJSON_CreateObject();
	char	 key[32];

	if (c == NULL)
		return NULL;
	cJSON_AddStringToObject(c, "prefix", r->app->cfg.admin_prefix);
	cJSON_AddStringToObject(c, "static", "/static/");
	cJSON_AddStringToObject(c, "title", title);
	/* the zone adm_time() shows times in: the reader's */
	cJSON_AddStringToObject(c, "time_zone", r->zone != NULL ? tz_name(r->zone) : "UTC");
	if (r->user.id != 0 && r->user.username != NULL) {
		cJSON_AddStringToObject(c, "username", r->user.username);
		cJSON_AddBoolToObject(c, "staff", r->user.is_staff);
	}
	if (r->user.csrf != NULL)
		cJSON_AddStringToObject(c, "csrf", r->user.csrf);
	if (nav != NULL) {
		snprintf(key, sizeof(key), "nav_%s", nav);
		cJSON_AddTrueToObject(c, key);
	}
	return c;
}

int
adm_render(struct req *r, int status, const char *name, cJSON *ctx)
{
	int	 rc;

	resp_html(r);
	buf_reset(&r->body_out);
	if (ctx == NULL || r->app->tmpl == NULL) {
		cJSON_Delete(ctx);
		if (r->app->tmpl == NULL)
			log_error("admin page %s: no templates loaded", name);
		return 500;
	}
	rc = tmpl_render(r->app->tmpl, name, ctx, &r->body_out);
	cJSON_Delete(ctx);
	if (rc < 0) {
		log_error("admin page %s: rendering failed", name);
		return 500;
	}
	r->status = status;
	return status;
}

int
adm_redirect(struct req *r, const char *below)
{
	const char *prefix = r->app->cfg.admin_prefix;
	size_t	 pl = strlen(prefix), bl = strlen(below);
	char	*loc = arena_alloc(&r->arena, pl + bl + 1);

	resp_html(r);
	if (loc == NULL)
		return 500;
	memcpy(loc, prefix, pl);
	memcpy(loc + pl, below, bl + 1);
	return resp_redirect(r, 302, loc);
}

int
adm_not_found(struct req *r)
{
	return adm_render(r, 404, "not_found", adm_ctx(r, "Not found", NULL));
}

int
adm_csrf_failed(struct req *r)
{
	return adm_render(r, 403, "csrf_failure",
	    adm_ctx(r, "Forbidden", NULL));
}

int
adm_dbfail(struct req *r, enum dbrc rc)
{
	switch (rc) {
	case DB_NOTFOUND:
		return adm_not_found(r);
	case DB_BUSY:
		resp_header(r, "Retry-After", "1");
		return adm_render(r, 503, "busy", adm_ctx(r, "Busy", NULL));
	default:
		return 500;
	}
}

int
adm_read_form(struct req *r, struct form *f)
{
	const char *tok;

	if (form_parse(&r->arena, r->body ? r->body : "", r->body_len,
	    ADM_MAX_FIELDS, f) < 0)
		return adm_render(r, 400, "bad_request",
		    adm_ctx(r, "Bad request", NULL));
	tok = form_get(f, ADM_CSRF_FIELD);
	if (r->user.via != VIA_COOKIE || r->user.csrf == NULL || tok == NULL ||
	    !str_ct_equal(tok, r->user.csrf))
		return adm_csrf_failed(r);
	return 0;
}

const char *
adm_param(const struct req *r, const char *key)
{
	const struct kv *kv = req_param(r, key);

	if (kv == NULL || kv->vlen == 0 || strlen(kv->val) != kv->vlen)
		return NULL;
	return kv->val;
}

int64_t
adm_parse_id(const char *s)
{
	int64_t	 v;

	if (s == NULL || *s == '\0')
		return 0;
	if (parse_id(s, strlen(s), &v) < 0 || v == 0)
		return -1;
	return v;
}

int64_t
adm_page(struct req *r)
{
	static const struct param_spec spec[ADM_NQUERY] = { ADM_QUERY_PARAMS };
	struct param_val v;

	params_read(r, &spec[ADM_P], 1, &v);
	return v.state == PS_SET ? v.n : 1;
}

const char *
adm_qs(struct req *r, const char *key, const char *val)
{
	struct buf b = { 0 };
	const char *out;
	size_t	 i;
	int	 first = 1;

	for (i = 0; i < r->nparams; i++) {
		const struct kv *kv = &r->params[i];

		/* the one-time messages (saved, deleted) are never carried on */
		if (strcmp(kv->key, key) == 0 ||
		    (strcmp(kv->key, "p") == 0 && strcmp(key, "p") != 0) ||
		    strcmp(kv->key, "saved") == 0 || strcmp(kv->key, "deleted") == 0 ||
		    kv->vlen == 0)
			continue;
		buf_putc(&b, first ? '?' : '&');
		first = 0;
		buf_url(&b, kv->key, strlen(kv->key));
		buf_putc(&b, '=');
		buf_url(&b, kv->val, kv->vlen);
	}
	if (val != NULL) {
		buf_putc(&b, first ? '?' : '&');
		buf_url(&b, key, strlen(key));
		buf_putc(&b, '=');
		buf_url(&b, val, strlen(val));
	}
	out = b.oom ? "" : arena_strdup(&r->arena, b.p ? b.p : "");
	buf_free(&b);
	return out ? out : "";
}

void
adm_pager(struct req *r, cJSON *ctx, int64_t count, int64_t page, int64_t per,
    const char *one, const char *many)
{
	cJSON	*pg = cJSON_AddObjectToObject(ctx, "pager"), *links, *l;
	int64_t	 pages = per > 0 ? (count + per - 1) / per : 1, i;
	char	 n[24];

	if (pg == NULL)
		return;
	if (pages < 1)
		pages = 1;
	cJSON_AddNumberToObject(pg, "count", (double)count);
	adm_add_count(pg, "total", count, one, many);
	cJSON_AddNumberToObject(pg, "page", (double)page);
	cJSON_AddNumberToObject(pg, "pages", (double)pages);
	if (pages == 1)
		return;
	cJSON_AddTrueToObject(pg, "many");
	if (page > 1) {
		snprintf(n, sizeof(n), "%lld", (long long)(page - 1));
		cJSON_AddStringToObject(pg, "prev", adm_qs(r, "p", n));
	}
	if (page < pages) {
		snprintf(n, sizeof(n), "%lld", (long long)(page + 1));
		cJSON_AddStringToObject(pg, "next", adm_qs(r, "p", n));
	}
	if ((links = cJSON_AddArrayToObject(pg, "links")) == NULL)
		return;
	/* the first, the last and the pages around the current one */
	for (i = 1; i <= pages; i++) {
		if (i > 2 && i < pages - 1 && (i < page - 3 || i > page + 3)) {
			if (i == page - 4 || i == page + 4) {
				l = cJSON_CreateObject();
				cJSON_AddTrueToObject(l, "gap");
				cJSON_AddItemToArray(links, l);
			}
			continue;
		}
		snprintf(n, sizeof(n), "%lld", (long long)i);
		if ((l = cJSON_CreateObject()) == NULL)
			return;
		cJSON_AddStringToObject(l, "n", n);
		cJSON_AddStringToObject(l, "url", adm_qs(r, "p", n));
		if (i == page)
			cJSON_AddTrueToObject(l, "current");
		cJSON_AddItemToArray(links, l);
	}
}

int
adm_order(struct req *r, cJSON *ctx, const char *o, const char *const *cols, int def)
{
	int	 i, sel = def, desc;
	char	 key[48], val[48];
	cJSON	*s;

	for (i = 0; o != NULL && cols[i] != NULL; i++) {
		desc = *o == '-';
		if (strcmp(o + desc, cols[i]) == 0)
			sel = 2 * i + desc;
	}
	for (i = 0; cols[i] != NULL; i++) {
		snprintf(key, sizeof(key), "sort_%s", cols[i]);
		if ((s = cJSON_AddObjectToObject(ctx, key)) == NULL)
			continue;
		/* a click on the sorted column reverses it */
		snprintf(val, sizeof(val), "%s%s", sel == 2 * i ? "-" : "", cols[i]);
		cJSON_AddStringToObject(s, "url", adm_qs(r, "o", val));
		if (sel == 2 * i)
			cJSON_AddTrueToObject(s, "asc");
		if (sel == 2 * i + 1)
			cJSON_AddTrueToObject(s, "desc");
	}
	return sel;
}

void
adm_time(const struct req *r, int64_t us, char out[ADM_TIME_LEN])
{
	out[0] = '\0';
	if (us != TIME_NULL)
		tz_format(r->zone, us, TZS_ISO, out);
}

void
adm_time_input(const struct req *r, int64_t us, char out[ADM_TIME_LEN])
{
	out[0] = '\0';
	if (us != TIME_NULL)
		tz_format(r->zone, us, TZS_INPUT, out);
}

void
adm_add_time(const struct req *r, cJSON *obj, const char *key, int64_t us)
{
	char	 t[ADM_TIME_LEN];

	adm_time(r, us, t);
	cJSON_AddStringToObject(obj, key, t);
}

void
adm_add_count(cJSON *obj, const char *key, int64_t n, const char *one,
    const char *many)
{
	char	 s[96];

	snprintf(s, sizeof(s), "%" PRId64 " %s", n, n == 1 ? one : many);
	cJSON_AddStringToObject(obj, key, s);
}

void
adm_add_id(cJSON *obj, const char *key, int64_t id)
{
	char	 s[24];

	snprintf(s, sizeof(s), "%lld", (long long)id);
	cJSON_AddStringToObject(obj, key, s);
}

int64_t
adm_parse_stamp(const char *s)
{
	char	*end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v >= 0 && v < INT64_MAX ? (int64_t)v : -1;
}

