/* users: /api/users/ -- active users, for choosing an assignee. */
#include "api.h"
#include "app.h"
#include "json.h"
#include "page.h"
#include "params.h"
#include "request.h"
#include "users.h"

/* ?search=: any text; a NUL byte in it is answered as a whole, not as a field */
static const struct param_spec search_param = {
	.name = "search", .kind = PK_TEXT, .flags = PF_QUIET,
};

/* GET /api/users/?search= : a page of {id, username}. */
int
api_users(struct req *r)
{
	struct param_val q;
	struct user_brief *rows;
	struct page pg;
	int64_t	 count;
	size_t	 n, i;
	enum dbrc rc;
	int	 st, first;

	if ((st = page_read(r, &pg)) != 0)
		return st;
	if (params_read(r, &search_param, 1, &q) > 0)
		return resp_detail(r, 400, "Invalid search.");
	rc = users_search(&r->app->db, q.state == PS_SET ? q.s : "", 1, pg.limit, pg.offset,
	    &r->arena, &count, &rows, &n);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&r->body_out, ',');
		first = 1;
		buf_putc(&r->body_out, '{');
		jw_int(&r->body_out, "id", rows[i].id, &first);
		jw_str(&r->body_out, "username", rows[i].username, &first);
		buf_putc(&r->body_out, '}');
	}
	page_end(r);
	return 200;
}
