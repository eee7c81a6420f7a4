/*
 * comments: /api/tasks/{id}/comments/, /api/comments/{id}/ and the task's
 * history, /api/tasks/{id}/activity/.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "activity.h"
#include "api.h"
#include "app.h"
#include "comments.h"
#include "json.h"
#include "page.h"
#include "request.h"
#include "timeutil.h"

/* Writes one comment object. */
static void
write_comment(struct buf *b, const struct comment *c)
{
	int	 first = 1;

	buf_putc(b, '{');
	jw_int(b, "id", c->id, &first);
	jw_int(b, "task_id", c->task_id, &first);
	jw_int(b, "author_id", c->author_id, &first);
	jw_str(b, "author_username", c->author_username, &first);
	jw_str(b, "text", c->text, &first);
	jw_time(b, "created_at", c->created_at, &first);
	jw_time(b, "updated_at", c->updated_at, &first);
	buf_putc(b, '}');
}

struct rows {
	struct buf	*b;
	int		 n;
};

/* A page row callback: appends the comment, comma-separated. */
static void
comment_row(void *ctx, const struct comment *c)
{
	struct rows *w = ctx;

	if (w->n++ > 0)
		buf_putc(w->b, ',');
	write_comment(w->b, c);
}

/* Writes the comment id as the actor sees it now, with status. */
static int
comment_answer(struct req *r, const struct actor *who, int64_t id, int status)
{
	struct comment c;
	enum dbrc rc;

	if ((rc = comments_get_visible(&r->app->db, who, id, &r->arena, &c)) != DB_OK)
		return api_dbfail(r, rc);
	write_comment(&r->body_out, &c);
	return status;
}

/* Reads the body's text: 0, or 400 with the errors. */
static int
read_text(struct req *r, const char **text)
{
	*text = NULL;
	jr_str(r, r->json, "text", JF_REQUIRED | JF_TRIM, COMMENT_MAX_CHARS, text);
	return r->errors != NULL ? resp_errors(r) : 0;
}

/* GET, POST /api/tasks/{id}/comments/ */
int
api_task_comments(struct req *r)
{
	struct db *db = &r->app->db;
	struct rows w = { &r->body_out, 0 };
	struct actor who;
	struct page pg;
	const char *text;
	enum rule why;
	int64_t	 count, id;
	enum dbrc rc;
	int	 st;

	api_actor(r, &who);
	if ((rc = task_access(db, &who, r->ids[0], NULL)) != DB_OK)
		return api_dbfail(r, rc);
	if (r->method == M_POST) {
		if ((st = read_text(r, &text)) != 0)
			return st;
		if ((rc = db_begin(db)) != DB_OK)
			return api_dbfail(r, rc);
		rc = comments_create(db, &who, r->ids[0], text, &id, &why);
		if (rc == DB_OK)
			return api_commit_answer(r, comment_answer(r, &who, id, 201), 201);
		db_rollback(db);
		if (rc == DB_INVALID) {
			req_error(r, "text", "Enter a valid value.");
			return resp_errors(r);
		}
		return api_dbfail(r, rc);
	}
	if ((st = page_read(r, &pg)) != 0)
		return st;
	if ((rc = comments_count(db, r->ids[0], &count)) != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	if (pg.offset < count && (rc = comments_page(db, r->ids[0], pg.limit, pg.offset,
	    comment_row, &w)) != DB_OK)
		return api_dbfail(r, rc);
	page_end(r);
	return 200;
}

/* PATCH /api/comments/{id}/ {text, updated_at} */
static int
comment_update(struct req *r, const struct actor *who, int64_t id)
{
	struct db *db = &r->app->db;
	struct comment c;
	const char *text;
	int64_t	 expect;
	enum rule why;
	enum dbrc rc;
	int	 st;

	/* as DRF's get_object(): not found, then not allowed, then the body */
	if ((rc = comments_get_visible(db, who, id, &r->arena, &c)) != DB_OK)
		return api_dbfail(r, rc);
	if (c.author_id != who->id)
		return api_dbfail(r, DB_FORBIDDEN);
	if ((st = api_lock_read(r, &expect)) != 0 || (st = read_text(r, &text)) != 0)
		return st;
	if ((rc = db_begin(db)) != DB_OK)
		return api_dbfail(r, rc);
	rc = comments_update_locked(db, who, id, expect, text, &why);
	if (rc == DB_OK)
		return api_commit_answer(r, comment_answer(r, who, id, 200), 200);
	db_rollback(db);
	if (rc == DB_CONFLICT)
		return resp_detail(r, 409, "The object was modified by another user.");
	if (rc == DB_INVALID) {
		req_error(r, "text", "Enter a valid value.");
		return resp_errors(r);
	}
	return api_dbfail(r, rc);
}

/* PATCH, DELETE /api/comments/{id}/ */
int
api_comment(struct req *r)
{
	struct actor who;
	enum dbrc rc;

	api_actor(r, &who);
	if (r->method == M_PATCH)
		return comment_update(r, &who, r->ids[0]);
	if ((rc = comments_delete(&r->app->db, &who, r->ids[0])) != DB_OK)
		return api_dbfail(r, rc);
	return 204;
}

/* A page row callback: appends the history row, comma-separated. */
static void
activity_row(void *ctx, const struct activity *v)
{
	struct rows *w = ctx;
	int	 first = 1;

	if (w->n++ > 0)
		buf_putc(w->b, ',');
	buf_putc(w->b, '{');
	jw_int(w->b, "id", v->id, &first);
	jw_time(w->b, "at", v->at, &first);
	if (v->actor_id > 0)
		jw_int(w->b, "actor_id", v->actor_id, &first);
	else
		jw_null(w->b, "actor_id", &first);
	jw_str(w->b, "actor_username", v->actor_username, &first);
	jw_str(w->b, "action", v->action, &first);
	/* written by domain/activity.c: a JSON object already */
	jw_key(w->b, "changes", &first);
	buf_puts(w->b, v->changes);
	buf_putc(w->b, '}');
}

/* GET /api/tasks/{id}/activity/: the task's history, newest first. */
int
api_task_activity(struct req *r)
{
	struct db *db = &r->app->db;
	struct rows w = { &r->body_out, 0 };
	struct actor who;
	struct page pg;
	int64_t	 count;
	enum dbrc rc;
	int	 st;

	api_actor(r, &who);
	if ((rc = task_access(db, &who, r->ids[0], NULL)) != DB_OK)
		return api_dbfail(r, rc);
	if ((st = page_read(r, &pg)) != 0)
		return st;
	if ((rc = activity_count(db, r->ids[0], &count)) != DB_OK)
		return api_dbfail(r, rc);
	page_begin(r, &pg, count);
	if (pg.offset < count && (rc = activity_page(db, r->ids[0], pg.limit, pg.offset,
	    activity_row, &w)) != DB_OK)
		return api_dbfail(r, rc);
	page_end(r);
	return 200;
}
