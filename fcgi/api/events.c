/* events: GET /api/events/?after=<id> -- the caller's change feed. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "app.h"
#include "event_feed.h"
#include "json.h"
#include "request.h"

struct feed_out {
	struct buf	*b;
	int64_t		 last;
	int		 n;
};

/* Writes one event object of the results array. */
static int
put_event(void *arg, const struct event *e)
{
	struct feed_out *o = arg;
	int	 first = 1;

	if (o->n++ > 0)
		buf_putc(o->b, ',');
	buf_putc(o->b, '{');
	jw_int(o->b, "id", e->id, &first);
	jw_str(o->b, "type", e->type, &first);
	jw_str(o->b, "action", e->action, &first);
	if (e->message != NULL)
		jw_str(o->b, "message", e->message, &first);
	if (e->task_id != 0)
		jw_int(o->b, "task", e->task_id, &first);
	jw_time(o->b, "created_at", e->created_at, &first);
	buf_putc(o->b, '}');
	o->last = e->id;
	return 0;
}

/* Reads a non-negative integer query parameter; -1 when bad, def when absent. */
static int64_t
query_int(struct req *r, const char *key, int64_t def)
{
	const struct kv *p = req_param(r, key);
	char	*end;
	long long v;

	if (p == NULL || p->vlen == 0)
		return def;
	if (p->val[0] < '0' || p->val[0] > '9' || strlen(p->val) != p->vlen)
		return -1;
	v = strtoll(p->val, &end, 10);
	return *end == '\0' && v >= 0 && v < INT64_MAX ? v : -1;
}

int
api_events(struct req *r)
{
	struct app *app = r->app;
	struct feed_out o = { &r->body_out, 0, 0 };
	int64_t	 after = query_int(r, "after", 0);
	int64_t	 limit = query_int(r, "limit", app->cfg.page_size);
	int	 rc, first = 1;

	if (after < 0)
		req_error(r, "after", "A valid integer is required.");
	if (limit < 0)
		req_error(r, "limit", "A valid integer is required.");
	if (r->errors != NULL)
		return resp_errors(r);
	if (limit == 0 || limit > app->cfg.max_page_size)
		limit = limit == 0 ? app->cfg.page_size : app->cfg.max_page_size;
	o.last = after;
	buf_puts(&r->body_out, "{\"results\":[");
	if ((rc = event_feed(&app->db, r->user.id, after, limit, put_event, &o)) != DB_OK) {
		buf_reset(&r->body_out);
		return api_dbfail(r, rc);
	}
	buf_putc(&r->body_out, ']');
	first = 0;
	jw_int(&r->body_out, "next_after", o.last, &first);
	buf_putc(&r->body_out, '}');
	return 200;
}
