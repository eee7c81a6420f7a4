/* members: /api/lists/{id}/members/ -- the members of a shared list. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "buf.h"
#include "json.h"
#include "lists.h"
#include "members.h"
#include "page.h"
#include "request.h"

/* The roles a member may have, as the API spells them (jr_choice index + 1 = enum list_role). */
static const char *const member_roles[] = { "viewer", "editor", NULL };

/* Writes one member object. */
static void
write_member(struct buf *b, const struct member *m)
{
	int	 first = 1;

	buf_putc(b, '{');
	jw_int(b, "user_id", m->user_id, &first);
	jw_str(b, "username", m->username, &first);
	jw_str(b, "role", list_role_names[m->role == ROLE_EDITOR ? ROLE_EDITOR : ROLE_VIEWER],
	    &first);
	jw_time(b, "added_at", m->added_at, &first);
	buf_putc(b, '}');
}

/* The rows of a page of members: those from offset, at most limit. */
struct rows {
	struct buf	 b;
	struct page	 pg;
	int64_t		 n, written;
};

static void
member_row(void *ctx, const struct member *m)
{
	struct rows *c = ctx;

	if (c->n++ < c->pg.offset || c->written >= c->pg.limit)
		return;
	if (c->written++ > 0)
		buf_putc(&c->b, ',');
	write_member(&c->b, m);
}

/* GET /api/lists/{id}/members/: a page of the members, oldest first. */
static int
members_index(struct req *r)
{
	struct rows c;
	struct actor who;
	enum dbrc rc;
	int	 st;

	memset(&c, 0, sizeof(c));
	if ((st = page_read(r, &c.pg)) != 0)
		return st;
	api_actor(r, &who);
	rc = members_list(&r->app->db, &who, r->ids[0], member_row, &c);
	if (rc == DB_OK && c.b.oom)
		rc = DB_ERROR;
	if (rc == DB_OK) {
		page_begin(r, &c.pg, c.n);
		buf_add(&r->body_out, c.b.p != NULL ? c.b.p : "", c.b.len);
		page_end(r);
	}
	buf_free(&c.b);
	return rc == DB_OK ? 200 : api_dbfail(r, rc);
}

/* Reads {role} (required when required): 0 with *role set, or 400. */
static int
read_role(struct req *r, unsigned flags, enum list_role *role)
{
	int	 i;

	if (jr_choice(r, r->json, "role", flags, member_roles, &i) == JR_OK)
		*role = (enum list_role)(i + 1);
	return r->errors != NULL ? resp_errors(r) : 0;
}

/*
 * A member may not manage, a stranger does not see: answered before the
 * body is read, as DRF checks permissions first.  DB_OK for the owner.
 */
static enum dbrc
owner_first(struct req *r, const struct actor *who)
{
	enum list_role role;
	enum dbrc rc;

	if ((rc = list_role_of(&r->app->db, who, r->ids[0], &role)) != DB_OK)
		return rc;
	return role == ROLE_OWNER ? DB_OK : role == ROLE_NONE ? DB_NOTFOUND : DB_FORBIDDEN;
}

/* POST /api/lists/{id}/members/ {username | user_id, role} */
static int
members_create(struct req *r)
{
	struct actor who;
	struct member m;
	enum list_role role = ROLE_VIEWER;
	enum member_rule why;
	const char *name = NULL;
	int64_t	 uid = 0;
	enum jr	 jn, ju;
	char	 msg[720];
	enum dbrc rc;
	int	 st;

	api_actor(r, &who);
	if ((rc = owner_first(r, &who)) != DB_OK)
		return api_dbfail(r, rc);
	jn = jr_str(r, r->json, "username", JF_TRIM, 150, &name);
	ju = name == NULL ? jr_int(r, r->json, "user_id", 0, &uid) : JR_ABSENT;
	if (jn == JR_ABSENT && ju == JR_ABSENT && r->errors == NULL)
		req_error(r, "username", "This field is required.");
	if ((st = read_role(r, JF_REQUIRED, &role)) != 0)
		return st;
	rc = members_add(&r->app->db, &who, r->ids[0], uid, name, role, &why, &r->arena, &m);
	if (rc == DB_INVALID) {
		switch (why) {
		case MR_ALREADY:
			req_error(r, "non_field_errors",
			    "This user is already a member of this list.");
			break;
		case MR_IS_OWNER:
			req_error(r, name != NULL ? "username" : "user_id",
			    "The owner of the list cannot be a member.");
			break;
		default:
			if (name != NULL)
				snprintf(msg, sizeof(msg), "Object with username=%s does not exist.",
				    name);
			else
				snprintf(msg, sizeof(msg), "Invalid pk \"%lld\" - object does not exist.",
				    (long long)uid);
			req_error(r, name != NULL ? "username" : "user_id", msg);
			break;
		}
		return resp_errors(r);
	}
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	write_member(&r->body_out, &m);
	return 201;
}

int
api_list_members(struct req *r)
{
	return r->method == M_POST ? members_create(r) : members_index(r);
}

/* PATCH, DELETE /api/lists/{id}/members/{user_id}/ */
int
api_list_member(struct req *r)
{
	struct actor who;
	struct member m;
	enum list_role role = ROLE_VIEWER;
	enum dbrc rc;
	int	 st;

	api_actor(r, &who);
	if (r->method == M_DELETE) {
		if ((rc = members_remove(&r->app->db, &who, r->ids[0], r->ids[1])) != DB_OK)
			return api_dbfail(r, rc);
		return 204;
	}
	if ((rc = owner_first(r, &who)) != DB_OK)
		return api_dbfail(r, rc);
	if ((st = read_role(r, JF_REQUIRED, &role)) != 0)
		return st;
	rc = members_set_role(&r->app->db, &who, r->ids[0], r->ids[1], role, &r->arena, &m);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	write_member(&r->body_out, &m);
	return 200;
}
