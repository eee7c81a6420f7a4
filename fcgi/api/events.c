/* events: GET /api/events/?after=<id> -- the caller's change feed. */
#include "api.h"
#include "app.h"
#include "event_feed.h"
#include "json.h"
#include "params.h"
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

/* ?after= (an event id, 0: from the start) and ?limit= (0: the page size) */
static const struct param_spec feed_params[] = {
	{ .name = "after", .kind = PK_INT, .lo = 0, .hi = INT64_MAX - 1 },
	{ .name = "limit", .kind = PK_INT, .lo = 0, .hi = INT64_MAX - 1 },
};

int
api_events(struct req *r)
{
	struct app *app = r->app;
	struct feed_out o = { &r->body_out, 0, 0 };
	struct param_val v[2];
	int64_t	 after, limit;
	int	 rc, first = 1;

	if (params_read(r, feed_params, 2, v) > 0)
		return resp_errors(r);
	after = v[0].state == PS_SET ? v[0].n : 0;
	limit = v[1].state == PS_SET ? v[1].n : app->cfg.page_size;
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
