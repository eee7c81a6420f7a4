/* lists: /api/lists/ -- the task lists the caller owns or shares. */
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "lists.h"
#include "members.h"
#include "page.h"
#include "params.h"
#include "request.h"
#include "timeutil.h"

/* Writes one list object. */
static void
write_list(struct buf *b, const struct list *l)
{
	int	 first = 1;

	buf_putc(b, '{');
	jw_int(b, "id", l->id, &first);
	jw_str(b, "name", l->name, &first);
	jw_str(b, "owner_username", l->owner_username, &first);
	jw_time(b, "updated_at", l->updated_at, &first);
	jw_time(b, "created_at", l->created_at, &first);
	jw_int(b, "task_count", l->task_count, &first);
	jw_str(b, "role", list_role_names[l->role >= ROLE_VIEWER && l->role <= ROLE_OWNER ?
	    l->role : ROLE_OWNER], &first);
	jw_int(b, "member_count", l->member_count, &first);
	buf_putc(b, '}');
}

struct rows {
	struct buf	*b;
	int		 n;
};

/* A page row callback: appends the list, comma-separated. */
static void
list_row(void *ctx, const struct list *l)
{
	struct rows *c = ctx;

	if (c->n++ > 0)
		buf_putc(c->b, ',');
	write_list(c->b, l);
}

/* Answers a list rule refusal as DRF would. */
static int
list_refused(struct req *r, enum rule why)
{
	if (why == RULE_NAME_TAKEN)
		req_error(r, "name", "list with this name already exists.");
	else
		req_error(r, "name", "Enter a valid value.");
	return resp_errors(r);
}

enum { P_ROLE, P_SEARCH, P_COUNT };
static const char *const role_names[] = { "owner", "editor", "viewer", NULL };
static const int role_values[] = { ROLE_OWNER, ROLE_EDITOR, ROLE_VIEWER };
static const struct param_spec index_params[P_COUNT] = {
	[P_ROLE] = { .name = "role", .kind = PK_CHOICE, .names = role_names,
	    .values = role_values },
	[P_SEARCH] = { .name = "search", .kind = PK_TEXT, .norm = search_key },
};

/* GET /api/lists/: the caller's and shared lists, newest first, ?role=&search= */
static int
lists_index(struct req *r)
{
	struct db *db = &r->app->db;
	struct rows c = { &r->body_out, 0 };
	struct param_val v[P_COUNT];
	struct page pg;
	const char *key;
	int64_t	 count;
	enum dbrc rc;
	int	 st, role;

	if ((st = page_read(r, &pg)) != 0)
		return st;
	if (params_read(r, index_params, P_COUNT, v) > 0)
		return resp_errors(r);
	key = v[P_SEARCH].state == PS_SET ? v[P_SEARCH].s : NULL;
	role = v[P_ROLE].state == PS_SET ? (int)v[P_ROLE].n : ROLE_NONE;
	if ((rc = lists_count(db, r->user.id, role, key, &count)) != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	if (pg.offset < count && (rc = lists_page(db, r->user.id, role, key, pg.limit,
	    pg.offset, list_row, &c)) != DB_OK)
		return api_dbfail(r, rc);
	page_end(r);
	return 200;
}

/* Writes the list id as the actor sees it now, with status. */
static int
list_answer(struct req *r, int64_t id, int status)
{
	struct actor who;
	struct list l;
	enum dbrc rc;

	api_actor(r, &who);
	if ((rc = lists_get_visible(&r->app->db, &who, id, &r->arena, &l)) != DB_OK)
		return api_dbfail(r, rc);
	write_list(&r->body_out, &l);
	return status;
}

/* POST /api/lists/ {name} */
static int
lists_create_h(struct req *r)
{
	const char *name = NULL;
	enum rule why;
	int64_t	 id;
	enum dbrc rc;

	jr_str(r, r->json, "name", JF_REQUIRED | JF_TRIM, NAME_MAX_CHARS, &name);
	if (r->errors != NULL)
		return resp_errors(r);
	rc = lists_create(&r->app->db, r->user.id, name, &id, &why);
	if (rc == DB_INVALID)
		return list_refused(r, why);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	return list_answer(r, id, 201);
}

int
api_lists(struct req *r)
{
	return r->method == M_POST ? lists_create_h(r) : lists_index(r);
}

/* PUT, PATCH /api/lists/{id}/ {name, updated_at} */
static int
list_update(struct req *r, int64_t id)
{
	struct actor who;
	struct list l;
	const char *name = NULL;
	int64_t	 expect;
	enum rule why;
	enum dbrc rc;
	int	 st;

	api_actor(r, &who);
	if ((rc = lists_get_visible(&r->app->db, &who, id, &r->arena, &l)) != DB_OK)
		return api_dbfail(r, rc);
	/* a member sees the list but may not change it (before the body) */
	if (l.role != ROLE_OWNER)
		return api_dbfail(r, DB_FORBIDDEN);
	if ((st = api_lock_read(r, &expect)) != 0)
		return st;
	/* PUT as DRF's ModelSerializer: name is the one required field */
	jr_str(r, r->json, "name", (r->method == M_PUT ? JF_REQUIRED : 0) | JF_TRIM,
	    NAME_MAX_CHARS, &name);
	if (r->errors != NULL)
		return resp_errors(r);
	/* the answer is read in the write's transaction: it shows this write */
	if ((rc = db_begin(&r->app->db)) != DB_OK)
		return api_dbfail(r, rc);
	rc = lists_update_locked(&r->app->db, &who, id, expect, name, &why);
	if (rc == DB_OK)
		return api_commit_answer(r, list_answer(r, id, 200), 200);
	db_rollback(&r->app->db);
	if (rc == DB_CONFLICT)
		return resp_detail(r, 409, "The object was modified by another user.");
	if (rc == DB_INVALID)
		return list_refused(r, why);
	return api_dbfail(r, rc);
}

int
api_list(struct req *r)
{
	struct actor who;
	int64_t	 id = r->ids[0];
	enum dbrc rc;

	switch (r->method) {
	case M_PUT:
	case M_PATCH:
		return list_update(r, id);
	case M_DELETE:
		api_actor(r, &who);
		if ((rc = lists_delete(&r->app->db, &who, id)) != DB_OK)
			return api_dbfail(r, rc);
		return 204;
	default:
		return list_answer(r, id, 200);
	}
}
