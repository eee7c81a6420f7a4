/*
 * task_notes: what the admin's task page shows below the form -- the
 * task's comments (add, delete) and its history -- and the two posts.
 * The rules are the domain's (comments.h, activity.h); the staff actor
 * sees every task, comments as itself and may delete any comment.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "activity.h"
#include "adm.h"
#include "admin.h"
#include "app.h"
#include "buf.h"
#include "comments.h"
#include "request.h"

#define NOTES_MAX	100	/* comments and history rows shown, newest kept */

struct notes {
	struct req	*r;
	cJSON		*arr;
};

/* A comments_page row: {id, author, text, created, edited}. */
static void
comment_row(void *ctx, const struct comment *c)
{
	struct notes *n = ctx;
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL)
		return;
	adm_add_id(o, "id", c->id);
	cJSON_AddStringToObject(o, "author", c->author_username);
	cJSON_AddStringToObject(o, "text", c->text);
	adm_add_time(n->r, o, "created", c->created_at);
	if (c->updated_at != c->created_at)
		adm_add_time(n->r, o, "edited", c->updated_at);
	cJSON_AddItemToArray(n->arr, o);
}

/* One value of a change as text: "(none)" for null, a user by name (assigned_to). */
static void
change_value(struct db *db, struct buf *b, const cJSON *v)
{
	static const char sql[] = "SELECT username FROM users WHERE id = ?";
	struct dbstmt *st;

	if (cJSON_IsString(v))
		buf_puts(b, v->valuestring);
	else if (!cJSON_IsNumber(v))
		buf_puts(b, "(none)");
	else if ((st = db_prep(db, sql)) != NULL) {
		db_bind_i64(st, 1, (int64_t)v->valuedouble);
		if (db_step(st) == DB_ROW)
			buf_puts(b, db_col_text(st, 0));
		else
			buf_printf(b, "user #%.0f", v->valuedouble);
		db_done(st, DB_RC_OK);
	}
}

/* An activity_page row: {at, actor, action, changes: [{field, from, to}]}. */
static void
history_row(void *ctx, const struct activity *v)
{
	struct notes *n = ctx;
	cJSON	*o = cJSON_CreateObject(), *ch, *list, *item;
	const cJSON *f;
	struct buf b = { 0 };

	if (o == NULL)
		return;
	adm_add_time(n->r, o, "at", v->at);
	cJSON_AddStringToObject(o, "actor", v->actor_username != NULL ?
	    v->actor_username : "(worker)");
	cJSON_AddStringToObject(o, "action", v->action);
	list = cJSON_AddArrayToObject(o, "changes");
	ch = cJSON_Parse(v->changes);
	cJSON_ArrayForEach(f, ch) {
		if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) != 2 ||
		    (item = cJSON_CreateObject()) == NULL)
			continue;
		cJSON_AddStringToObject(item, "field", f->string);
		buf_reset(&b);
		change_value(&n->r->app->db, &b, cJSON_GetArrayItem(f, 0));
		cJSON_AddStringToObject(item, "from", b.p != NULL ? b.p : "");
		buf_reset(&b);
		change_value(&n->r->app->db, &b, cJSON_GetArrayItem(f, 1));
		cJSON_AddStringToObject(item, "to", b.p != NULL ? b.p : "");
		cJSON_AddItemToArray(list, item);
	}
	cJSON_Delete(ch);
	buf_free(&b);
	cJSON_AddItemToArray(n->arr, o);
}

enum dbrc
adm_task_notes(struct req *r, cJSON *ctx, int64_t task_id)
{
	struct db *db = &r->app->db;
	struct notes n = { r, NULL };
	int64_t	 count;
	enum dbrc rc;

	if ((rc = comments_count(db, task_id, &count)) != DB_OK)
		return rc;
	adm_add_count(ctx, "comment_count", count, "comment", "comments");
	n.arr = cJSON_AddArrayToObject(ctx, "comments");
	if ((rc = comments_page(db, task_id, NOTES_MAX,
	    count > NOTES_MAX ? count - NOTES_MAX : 0, comment_row, &n)) != DB_OK)
		return rc;
	if ((rc = activity_count(db, task_id, &count)) != DB_OK)
		return rc;
	adm_add_count(ctx, "history_count", count, "change", "changes");
	n.arr = cJSON_AddArrayToObject(ctx, "history");
	return activity_page(db, task_id, NOTES_MAX, 0, history_row, &n);
}

/* POST tasks/{id}/comments/ {text}: the staff user's comment. */
int
adm_task_comment(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct form f;
	enum rule why;
	enum dbrc rc;
	int64_t	 id;
	char	 loc[80];
	int	 st;

	if ((rc = task_access(&r->app->db, &me, r->ids[0], NULL)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	rc = comments_create(&r->app->db, &me, r->ids[0], form_text(&r->arena, &f, "text"), &id, &why);
	if (rc != DB_OK && rc != DB_INVALID)
		return adm_dbfail(r, rc);
	snprintf(loc, sizeof(loc), "tasks/%" PRId64 "/?%s#comments", r->ids[0],
	    rc == DB_OK ? "commented=1" : "comment_error=1");
	return adm_redirect(r, loc);
}

/* POST comments/{id}/delete/ */
int
adm_comment_delete(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct comment c;
	struct form f;
	enum dbrc rc;
	char	 loc[80];
	int	 st;

	if ((rc = comments_get_visible(&r->app->db, &me, r->ids[0], &r->arena,
	    &c)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	if ((rc = comments_delete(&r->app->db, &me, c.id)) != DB_OK)
		return adm_dbfail(r, rc);
	snprintf(loc, sizeof(loc), "tasks/%" PRId64 "/?comment_deleted=1#comments",
	    c.task_id);
	return adm_redirect(r, loc);
}
