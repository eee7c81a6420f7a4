/* webhooks: /api/webhooks/ -- the caller's webhooks, pings and delivery log. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "page.h"
#include "request.h"
#include "timeutil.h"
#include "webhooks.h"

/* Writes one delivery of the log. */
static void
write_delivery(struct buf *b, const struct hook_delivery *d)
{
	int	 first = 1;

	buf_putc(b, '{');
	jw_int(b, "id", d->id, &first);
	jw_str(b, "event", d->event, &first);
	jw_time(b, "created_at", d->created_at, &first);
	jw_str(b, "status", d->status, &first);
	jw_int(b, "attempts", d->attempts, &first);
	if (d->last_http_status > 0)
		jw_int(b, "last_http_status", d->last_http_status, &first);
	else
		jw_null(b, "last_http_status", &first);
	jw_str(b, "last_error", d->last_error, &first);
	jw_time(b, "delivered_at", d->delivered_at, &first);
	buf_putc(b, '}');
}

/* Writes one webhook; secret (not NULL only in POST's answer) once. */
static void
write_hook(struct buf *b, const struct webhook *w, const char *secret)
{
	int	 first = 1, efirst = 1;
	unsigned i;

	buf_putc(b, '{');
	jw_int(b, "id", w->id, &first);
	jw_str(b, "url", w->url, &first);
	jw_key(b, "events", &first);
	buf_putc(b, '[');
	for (i = 0; hook_event_names[i] != NULL; i++)
		if (w->events & (1u << i)) {
			if (!efirst)
				buf_putc(b, ',');
			efirst = 0;
			buf_json_str(b, hook_event_names[i], strlen(hook_event_names[i]));
		}
	buf_putc(b, ']');
	if (w->list_id > 0)
		jw_int(b, "list_id", w->list_id, &first);
	else
		jw_null(b, "list_id", &first);
	jw_bool(b, "is_active", w->is_active, &first);
	jw_time(b, "created_at", w->created_at, &first);
	jw_time(b, "updated_at", w->updated_at, &first);
	jw_int(b, "failure_count", w->failure_count, &first);
	jw_key(b, "last_delivery", &first);
	if (w->has_last)
		write_delivery(b, &w->last);
	else
		buf_puts(b, "null");
	if (secret != NULL)
		jw_str(b, "secret", secret, &first);
	buf_putc(b, '}');
}

/*
 * Checks url: an absolute http(s) URL with a host, https only unless
 * webhook_allow_http; the message for the "url" field, or NULL when good.
 */
static const char *
url_problem(const struct req *r, const char *url)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL;
	const char *why = NULL;

	if ((u = curl_url()) == NULL)
		return "Enter a valid URL.";
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0')
		why = "Enter a valid URL.";
	else if (strcasecmp(scheme, "https") != 0 && (strcasecmp(scheme, "http") != 0 ||
	    !r->app->cfg.hook_http))
		why = r->app->cfg.hook_http ? "The URL must use http or https." :
		    "The URL must use https.";
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return why;
}

/* Reads "events" into in (flags: JF_REQUIRED or 0), recording DRF's messages. */
static void
read_events(struct req *r, unsigned flags, struct hook_input *in)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "events"), *e;
	char	 msg[160];
	unsigned bit, set = 0;

	if (v == NULL) {
		if (flags & JF_REQUIRED)
			req_error(r, "events", "This field is required.");
		return;
	}
	if (!cJSON_IsArray(v)) {
		snprintf(msg, sizeof(msg), "Expected a list of items but got type \"%s\".",
		    cJSON_IsNull(v) ? "NoneType" : cJSON_IsString(v) ? "str" :
		    cJSON_IsBool(v) ? "bool" : cJSON_IsNumber(v) ? "int" : "dict");
		req_error(r, "events", msg);
		return;
	}
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || (bit = hook_event_bit(e->valuestring)) == 0) {
			snprintf(msg, sizeof(msg), "\"%.60s\" is not a valid choice.",
			    cJSON_IsString(e) ? e->valuestring : "?");
			req_error(r, "events", msg);
			return;
		}
		set |= bit;
	}
	if (set == 0) {
		req_error(r, "events", "This selection may not be empty.");
		return;
	}
	in->set |= HF_EVENTS;
	in->events = set;
}

/* DRF's refusal of list_id: a list that is not there for the caller. */
static void
bad_list(struct req *r, int64_t list)
{
	char	 msg[96];

	snprintf(msg, sizeof(msg), "Invalid pk \"%lld\" - object does not exist.",
	    (long long)list);
	req_error(r, "list_id", msg);
}

/* Reads the writable fields of a webhook into in; required: url, events (POST). */
static void
read_hook(struct req *r, unsigned required, struct hook_input *in)
{
	const char *why;
	int64_t	 list;
	int	 active;
	enum jr	 jr;

	memset(in, 0, sizeof(*in));
	if (jr_str(r, r->json, "url", required | JF_TRIM, HOOK_URL_MAX, &in->url) == JR_OK) {
		if ((why = url_problem(r, in->url)) != NULL)
			req_error(r, "url", why);
		in->set |= HF_URL;
	}
	read_events(r, required, in);
	if ((jr = jr_int(r, r->json, "list_id", JF_NULL, &list)) == JR_OK ||
	    jr == JR_NULL) {
		in->set |= HF_LIST;
		in->list_id = jr == JR_OK ? list : 0;
		if (jr == JR_OK && list <= 0)
			bad_list(r, list);
	}
	if (jr_bool(r, r->json, "is_active", 0, &active) == JR_OK) {
		in->set |= HF_ACTIVE;
		in->is_active = active;
	}
}

/* Answers a refusal of the domain as DRF would. */
static int
hook_refused(struct req *r, const struct hook_input *in, enum hook_why why)
{
	char	 msg[96];

	switch (why) {
	case HOOK_BAD_LIST:
		bad_list(r, in->list_id);
		break;
	case HOOK_TOO_MANY:
		snprintf(msg, sizeof(msg), "A user can have at most %d webhooks.",
		    HOOK_MAX_PER_USER);
		req_error(r, "non_field_errors", msg);
		break;
	default:
		req_error(r, "non_field_errors", "Invalid data.");
		break;
	}
	return resp_errors(r);
}

/* Writes webhook id of the caller with status (secret: POST only). */
static int
hook_answer(struct req *r, int64_t id, int status, const char *secret)
{
	struct webhook w;
	enum dbrc rc;

	if ((rc = webhooks_get(&r->app->db, r->user.id, id, &r->arena, &w)) != DB_OK)
		return api_dbfail(r, rc);
	write_hook(&r->body_out, &w, secret);
	return status;
}

struct rows {
	struct buf	*b;
	int		 n;
};

/* A page row callback: a webhook, comma-separated. */
static void
hook_row(void *ctx, const struct webhook *w)
{
	struct rows *c = ctx;

	if (c->n++ > 0)
		buf_putc(c->b, ',');
	write_hook(c->b, w, NULL);
}

/* A page row callback: a delivery, comma-separated. */
static void
delivery_row(void *ctx, const struct hook_delivery *d)
{
	struct rows *c = ctx;

	if (c->n++ > 0)
		buf_putc(c->b, ',');
	write_delivery(c->b, d);
}

/*
 * One page of GET /api/webhooks/ (the caller's webhooks, newest first) or,
 * deliveries set, of GET /api/webhooks/{id}/deliveries/ (that webhook's log).
 */
static int
hooks_page(struct req *r, int deliveries)
{
	struct db *db = &r->app->db;
	struct rows c = { &r->body_out, 0 };
	struct page pg;
	int64_t	 count;
	enum dbrc rc;
	int	 st;

	if ((st = page_read(r, &pg)) != 0)
		return st;
	rc = deliveries ? webhooks_deliveries_count(db, r->user.id, r->ids[0], &count) :
	    webhooks_count(db, r->user.id, &count);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	if (pg.offset < count) {
		rc = deliveries ? webhooks_deliveries_page(db, r->ids[0], pg.limit, pg.offset,
		    delivery_row, &c) : webhooks_page(db, r->user.id, pg.limit, pg.offset,
		    hook_row, &c);
		if (rc != DB_OK)
			return api_dbfail(r, rc);
	}
	page_end(r);
	return 200;
}

/* POST /api/webhooks/ {url, events, list_id?, is_active?} */
static int
hooks_create(struct req *r)
{
	struct hook_input in;
	char	 secret[64];
	enum hook_why why;
	int64_t	 id;
	enum dbrc rc;

	read_hook(r, JF_REQUIRED, &in);
	if (r->errors != NULL)
		return resp_errors(r);
	rc = webhooks_create(&r->app->db, r->user.id, &in, secret, &id, &why);
	if (rc == DB_INVALID)
		return hook_refused(r, &in, why);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	return hook_answer(r, id, 201, secret);
}

int
api_webhooks(struct req *r)
{
	return r->method == M_POST ? hooks_create(r) : hooks_page(r, 0);
}

/* PATCH /api/webhooks/{id}/ {url?, events?, list_id?, is_active?, updated_at} */
static int
hook_update(struct req *r, int64_t id)
{
	struct webhook w;
	struct hook_input in;
	enum hook_why why;
	int64_t	 expect;
	enum dbrc rc;
	int	 st;

	if ((rc = webhooks_get(&r->app->db, r->user.id, id, &r->arena, &w)) != DB_OK)
		return api_dbfail(r, rc);
	if ((st = api_lock_read(r, &expect)) != 0)
		return st;
	read_hook(r, 0, &in);
	if (r->errors != NULL)
		return resp_errors(r);
	rc = webhooks_update_locked(&r->app->db, r->user.id, id, expect, &in, &why);
	if (rc == DB_CONFLICT)
		return resp_detail(r, 409, "The object was modified by another user.");
	if (rc == DB_INVALID)
		return hook_refused(r, &in, why);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	return hook_answer(r, id, 200, NULL);
}

int
api_webhook(struct req *r)
{
	enum dbrc rc;

	switch (r->method) {
	case M_PATCH:
		return hook_update(r, r->ids[0]);
	case M_DELETE:
		if ((rc = webhooks_delete(&r->app->db, r->user.id, r->ids[0])) != DB_OK)
			return api_dbfail(r, rc);
		return 204;
	default:
		return hook_answer(r, r->ids[0], 200, NULL);
	}
}

/* Writes delivery of webhook id with 202: queued, the worker sends it. */
static int
delivery_answer(struct req *r, int64_t id, int64_t delivery)
{
	struct hook_delivery d;
	enum dbrc rc;

	if ((rc = webhooks_delivery_get(&r->app->db, r->user.id, id, delivery,
	    &r->arena, &d)) != DB_OK)
		return api_dbfail(r, rc);
	write_delivery(&r->body_out, &d);
	return 202;
}

int
api_webhook_ping(struct req *r)
{
	int64_t	 delivery;
	enum dbrc rc;

	if ((rc = webhooks_ping(&r->app->db, r->user.id, r->ids[0], &delivery)) != DB_OK)
		return api_dbfail(r, rc);
	return delivery_answer(r, r->ids[0], delivery);
}

int
api_webhook_redeliver(struct req *r)
{
	int64_t	 delivery;
	enum dbrc rc;

	if ((rc = webhooks_redeliver(&r->app->db, r->user.id, r->ids[0], r->ids[1],
	    &delivery)) != DB_OK)
		return api_dbfail(r, rc);
	return delivery_answer(r, r->ids[0], delivery);
}

int
api_webhook_deliveries(struct req *r)
{
	return hooks_page(r, 1);
}
