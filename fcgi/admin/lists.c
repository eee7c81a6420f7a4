/* lists: the list admin pages: list, add, edit (optimistic lock), delete. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "admin_data.h"
#include "app.h"
#include "lists.h"
#include "request.h"
#include "timeutil.h"

#define DOOMED_SHOWN	200	/* tasks named on the delete confirmation */
#define CHOICES_MAX	1000	/* users offered as owners */

/* The "a, b, c... (N)" summary of a list's tasks, in the arena. */
static const char *
summary(struct req *r, const struct admq_list *l)
{
	struct buf b = { 0 };
	const char *out;

	if (*l->first != '\0') {
		buf_puts(&b, l->first);
		if (l->ntasks > 3)
			buf_puts(&b, "...");
		buf_putc(&b, ' ');
	}
	buf_printf(&b, "(%" PRId64 ")", l->ntasks);
	out = b.oom ? "" : arena_strdup(&r->arena, b.p);
	buf_free(&b);
	return out ? out : "";
}

/* GET lists/?q=&o=&p= */
int
adm_lists(struct req *r)
{
	static const char *const cols[] = ADMQ_LIST_COLS;
	struct adm_listing l;
	struct admq_list *rows = NULL;
	int64_t	 count = 0;
	size_t	 n = 0, i;
	cJSON	*o;
	int	 st;

	if ((st = adm_listing_begin(r, &l, "Lists", "lists", cols, AL_DEFAULT, NULL, 0)) != 0)
		return st;
	if ((st = adm_listing_rows(r, &l, admq_lists(&r->app->db, &r->arena, l.q,
	    (enum admq_list_order)l.order, l.per, l.offset, &rows, &n, &count))) != 0)
		return st;
	for (i = 0; i < n && (o = adm_listing_row(&l)) != NULL; i++) {
		adm_add_id(o, "id", rows[i].id);
		cJSON_AddStringToObject(o, "name", rows[i].name);
		cJSON_AddStringToObject(o, "owner", rows[i].owner);
		adm_add_id(o, "owner_id", rows[i].owner_id);
		cJSON_AddStringToObject(o, "summary", summary(r, &rows[i]));
		adm_add_time(r, o, "updated", rows[i].updated_at);
	}
	return adm_listing_end(r, &l, count, "list", "lists", "lists");
}

/* Adds "owners": the users a list may belong to, owner selected. */
static enum dbrc
add_owner_choices(struct req *r, cJSON *ctx, int64_t owner)
{
	struct admq_choice *c = NULL;
	size_t	 n = 0, i;
	enum dbrc rc;
	cJSON	*arr, *o;

	if ((rc = admq_user_choices(&r->app->db, &r->arena, CHOICES_MAX, &c, &n)) != DB_OK)
		return rc;
	if ((arr = cJSON_AddArrayToObject(ctx, "owners")) == NULL)
		return DB_ERROR;
	for (i = 0; i < n; i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			return DB_ERROR;
		cJSON_AddItemToArray(arr, o);
		adm_add_id(o, "id", c[i].id);
		cJSON_AddStringToObject(o, "label", c[i].label);
		if (c[i].id == owner)
			cJSON_AddTrueToObject(o, "selected");
	}
	return DB_OK;
}

/* Records msg for field in ctx.errors (the first message per field wins). */
static void
field_error(cJSON *ctx, const char *field, const char *msg)
{
	cJSON	*e = cJSON_GetObjectItemCaseSensitive(ctx, "errors");

	cJSON_AddTrueToObject(ctx, "has_errors");
	if (e == NULL && (e = cJSON_AddObjectToObject(ctx, "errors")) == NULL)
		return;
	if (cJSON_GetObjectItemCaseSensitive(e, field) == NULL)
		cJSON_AddStringToObject(e, field, msg);
}

/* The message of a refused list name. */
static const char *
name_message(enum rule why)
{
	return why == RULE_NAME_TAKEN ? "List with this name already exists for this owner." :
	    "Ensure this field has 1 to 200 characters of valid text.";
}

/* GET, POST lists/add/ */
int
adm_list_add(struct req *r)
{
	const char *name = NULL;
	int64_t	 owner = r->user.id, id;
	struct form f;
	enum rule why = RULE_OK;
	enum dbrc rc;
	char	 loc[48];
	cJSON	*ctx, *fo;
	int	 st;

	if ((ctx = adm_ctx(r, "Add list", "lists")) == NULL)
		return 500;
	cJSON_AddTrueToObject(ctx, "adding");
	if (r->method == M_POST) {
		if ((st = adm_read_form(r, &f)) != 0) {
			cJSON_Delete(ctx);
			return st;
		}
		name = form_text(&r->arena, &f, "name");
		owner = adm_parse_id(form_get(&f, "owner"));
		if (owner <= 0)
			field_error(ctx, "owner", "This field is required.");
		else if (name == NULL || *name == '\0')
			field_error(ctx, "name", "This field is required.");
		else if (!name_valid(name))
			field_error(ctx, "name", name_message(RULE_BAD_VALUE));
		else if ((rc = lists_create(&r->app->db, owner, name, &id, &why)) == DB_OK) {
			cJSON_Delete(ctx);
			snprintf(loc, sizeof(loc), "lists/%" PRId64 "/?saved=1", id);
			return adm_redirect(r, loc);
		} else if (rc == DB_INVALID)
			field_error(ctx, "name", name_message(why));
		else if (rc == DB_NOTFOUND)
			field_error(ctx, "owner", "Select a valid choice.");
		else {
			cJSON_Delete(ctx);
			return adm_dbfail(r, rc);
		}
	}
	fo = cJSON_AddObjectToObject(ctx, "form");
	cJSON_AddStringToObject(fo, "name", name ? name : "");
	if ((rc = add_owner_choices(r, ctx, owner)) != DB_OK) {
		cJSON_Delete(ctx);
		return adm_dbfail(r, rc);
	}
	return adm_render(r, 200, "list_form", ctx);
}

/* Fills the edit page's fields of l (typed name when given). */
static void
list_values(struct req *r, cJSON *ctx, const struct admq_list *l, const char *name, int64_t stamp)
{
	cJSON	*fo = cJSON_AddObjectToObject(ctx, "form");
	char	 s[24];

	adm_add_id(ctx, "id", l->id);
	cJSON_AddStringToObject(ctx, "name_shown", l->name);
	cJSON_AddStringToObject(ctx, "owner", l->owner);
	adm_add_id(ctx, "owner_id", l->owner_id);
	adm_add_time(r, ctx, "created", l->created_at);
	adm_add_time(r, ctx, "updated", l->updated_at);
	adm_add_count(ctx, "ntasks", l->ntasks, "task", "tasks");
	cJSON_AddStringToObject(fo, "name", name);
	snprintf(s, sizeof(s), "%" PRId64, stamp);
	cJSON_AddStringToObject(fo, "updated_at", s);
}

/* Renders the edit page of l with its members (ctx freed either way). */
static int
members_render(struct req *r, const struct admq_list *l, cJSON *ctx)
{
	enum dbrc rc;

	if ((rc = adm_members_ctx(r, ctx, l->id)) != DB_OK) {
		cJSON_Delete(ctx);
		return adm_dbfail(r, rc);
	}
	return adm_render(r, 200, "list_form", ctx);
}

/* GET, POST lists/{id}/ */
int
adm_list_edit(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct admq_list l;
	const char *name;
	struct form f;
	enum rule why = RULE_OK;
	enum dbrc rc;
	int64_t	 expect;
	char	 loc[48];
	cJSON	*ctx;
	int	 st, conflict = 0;

	if ((rc = admq_list_get(&r->app->db, &r->arena, r->ids[0], &l)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Change list", "lists")) == NULL)
		return 500;
	if (r->method != M_POST) {
		if (adm_param(r, "saved") != NULL)
			cJSON_AddTrueToObject(ctx, "saved");
		list_values(r, ctx, &l, l.name, l.updated_at);
		return members_render(r, &l, ctx);
	}
	if ((st = adm_read_form(r, &f)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	name = form_text(&r->arena, &f, "name");
	expect = adm_parse_stamp(form_get(&f, "updated_at"));
	if (name == NULL || *name == '\0')
		field_error(ctx, "name", "This field is required.");
	else if (!name_valid(name))
		field_error(ctx, "name", name_message(RULE_BAD_VALUE));
	else if (expect < 0)
		field_error(ctx, "updated_at", "The form is missing its version; reload the page.");
	else {
		rc = lists_update_locked(&r->app->db, &me, l.id, expect, name, &why);
		if (rc == DB_OK) {
			cJSON_Delete(ctx);
			snprintf(loc, sizeof(loc), "lists/%" PRId64 "/?saved=1", l.id);
			return adm_redirect(r, loc);
		}
		if (rc == DB_INVALID)
			field_error(ctx, "name", name_message(why));
		else if (rc == DB_CONFLICT) {
			/* show what is stored now; a second save overwrites knowingly */
			cJSON_AddTrueToObject(ctx, "conflict");
			cJSON_AddTrueToObject(ctx, "has_errors");
			conflict = 1;
		} else {
			cJSON_Delete(ctx);
			return adm_dbfail(r, rc);
		}
	}
	list_values(r, ctx, &l, name ? name : "",
	    conflict || expect < 0 ? l.updated_at : expect);
	return members_render(r, &l, ctx);
}

/* GET, POST lists/{id}/delete/ */
int
adm_list_delete(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct admq_task_filter flt = { NULL, NULL, r->ids[0], 0 };
	struct admq_task *tasks = NULL;
	struct admq_list l;
	struct form f;
	size_t	 n = 0, i;
	int64_t	 count = 0;
	enum dbrc rc;
	cJSON	*ctx, *arr, *o;
	int	 st;

	if ((rc = admq_list_get(&r->app->db, &r->arena, r->ids[0], &l)) != DB_OK)
		return adm_dbfail(r, rc);
	if (r->method == M_POST) {
		if ((st = adm_read_form(r, &f)) != 0)
			return st;
		if ((rc = lists_delete(&r->app->db, &me, l.id)) != DB_OK)
			return adm_dbfail(r, rc);
		return adm_redirect(r, "lists/?deleted=1");
	}
	if ((rc = admq_tasks(&r->app->db, &r->arena, &flt, AT_NAME, DOOMED_SHOWN, 0,
	    &tasks, &n, &count)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Delete list", "lists")) == NULL)
		return 500;
	adm_add_id(ctx, "id", l.id);
	cJSON_AddStringToObject(ctx, "name_shown", l.name);
	cJSON_AddStringToObject(ctx, "owner", l.owner);
	adm_add_count(ctx, "ntasks", count, "task", "tasks");
	if ((int64_t)n < count)
		adm_add_count(ctx, "more", count - (int64_t)n, "more task", "more tasks");
	arr = cJSON_AddArrayToObject(ctx, "doomed");
	for (i = 0; i < n && arr != NULL; i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(arr, o);
		adm_add_id(o, "id", tasks[i].id);
		cJSON_AddStringToObject(o, "name", tasks[i].name);
		cJSON_AddStringToObject(o, "status", tasks[i].status);
	}
	return adm_render(r, 200, "list_delete", ctx);
}
