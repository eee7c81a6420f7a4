/*
 * members: the members of a list on its admin page -- shown by the list's
 * edit page (adm_members_ctx), added, given another role and removed here.
 * Staff act as the list's owner (members.h); every form carries the CSRF
 * token (adm_read_form).  The outcome comes back to the list's page as a
 * fixed message chosen by ?members= (never text from the request).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "adm.h"
#include "app.h"
#include "lists.h"
#include "members.h"
#include "request.h"

/* The outcomes shown on the list's page, by their ?members= code. */
static const struct {
	const char	*code;
	const char	*text;
	int		 error;
} outcomes[] = {
	{ "added", "The member was added.", 0 },
	{ "changed", "The member's role was changed.", 0 },
	{ "removed", "The member was removed.", 0 },
	{ "already", "This user is already a member of this list.", 1 },
	{ "owner", "The owner of the list cannot be a member.", 1 },
	{ "nouser", "There is no active user with that username.", 1 },
	{ "role", "Choose a role: viewer or editor.", 1 },
	{ "gone", "That user is no longer a member of this list.", 1 },
};

struct rows {
	struct req	*r;
	cJSON		*arr;
	int64_t		 list_id;
};

/* A member row callback: one object of "members". */
static void
member_row(void *ctx, const struct member *m)
{
	struct rows *c = ctx;
	cJSON	*o;

	if (c->arr == NULL || (o = cJSON_CreateObject()) == NULL)
		return;
	cJSON_AddItemToArray(c->arr, o);
	adm_add_id(o, "user_id", m->user_id);
	adm_add_id(o, "list_id", c->list_id);
	cJSON_AddStringToObject(o, "username", m->username);
	cJSON_AddBoolToObject(o, "editor", m->role == ROLE_EDITOR);
	cJSON_AddBoolToObject(o, "viewer", m->role != ROLE_EDITOR);
	adm_add_time(c->r, o, "added", m->added_at);
}

enum dbrc
adm_members_ctx(struct req *r, cJSON *ctx, int64_t list_id)
{
	struct actor me = { r->user.id, 1 };
	struct rows c = { r, NULL, list_id };
	const char *code = adm_param(r, "members");
	size_t	 i;

	for (i = 0; code != NULL && i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (strcmp(code, outcomes[i].code) == 0)
			cJSON_AddStringToObject(ctx, outcomes[i].error ? "member_error" :
			    "member_saved", outcomes[i].text);
	if ((c.arr = cJSON_AddArrayToObject(ctx, "members")) == NULL)
		return DB_ERROR;
	return members_list(&r->app->db, &me, list_id, member_row, &c);
}

/* Back to the list's page, showing the outcome code. */
static int
back(struct req *r, int64_t list_id, const char *code)
{
	char	 loc[80];

	snprintf(loc, sizeof(loc), "lists/%" PRId64 "/?members=%s#members", list_id, code);
	return adm_redirect(r, loc);
}

/* The role of a form's "role" field; ROLE_NONE when missing or bad. */
static enum list_role
form_role(struct form *f)
{
	const char *s = form_get(f, "role");

	if (s != NULL && strcmp(s, "viewer") == 0)
		return ROLE_VIEWER;
	if (s != NULL && strcmp(s, "editor") == 0)
		return ROLE_EDITOR;
	return ROLE_NONE;
}

/* POST lists/{id}/members/ {username, role} */
int
adm_list_member_add(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	enum member_rule why = MR_OK;
	enum list_role role;
	struct member m;
	const char *name;
	struct form f;
	enum dbrc rc;
	int	 st;

	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	name = form_text(&r->arena, &f, "username");
	if ((role = form_role(&f)) == ROLE_NONE)
		return back(r, r->ids[0], "role");
	if (name == NULL || *name == '\0')
		return back(r, r->ids[0], "nouser");
	rc = members_add(&r->app->db, &me, r->ids[0], 0, name, role, &why, &r->arena, &m);
	if (rc == DB_INVALID)
		return back(r, r->ids[0], why == MR_ALREADY ? "already" :
		    why == MR_IS_OWNER ? "owner" : "nouser");
	if (rc != DB_OK)
		return adm_dbfail(r, rc);
	return back(r, r->ids[0], "added");
}

/* POST lists/{id}/members/{user_id}/ {role, action: role | remove} */
int
adm_list_member_edit(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	enum list_role role;
	struct member m;
	const char *action;
	struct form f;
	enum dbrc rc;
	int	 st;

	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	action = form_get(&f, "action");
	if (action != NULL && strcmp(action, "remove") == 0) {
		rc = members_remove(&r->app->db, &me, r->ids[0], r->ids[1]);
		if (rc == DB_NOTFOUND && list_role_of(&r->app->db, &me, r->ids[0],
		    &role) == DB_OK && role != ROLE_NONE)
			return back(r, r->ids[0], "gone");
		return rc == DB_OK ? back(r, r->ids[0], "removed") : adm_dbfail(r, rc);
	}
	if ((role = form_role(&f)) == ROLE_NONE)
		return back(r, r->ids[0], "role");
	rc = members_set_role(&r->app->db, &me, r->ids[0], r->ids[1], role, &r->arena, &m);
	if (rc == DB_NOTFOUND && list_role_of(&r->app->db, &me, r->ids[0], &role) == DB_OK &&
	    role != ROLE_NONE)
		return back(r, r->ids[0], "gone");
	return rc == DB_OK ? back(r, r->ids[0], "changed") : adm_dbfail(r, rc);
}
