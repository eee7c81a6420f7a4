/* tasks: /api/tasks/ and /api/lists/{id}/tasks/ -- tasks, their pages and completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "members.h"
#include "page.h"
#include "params.h"
#include "reminders.h"
#include "request.h"
#include "router.h"
#include "task_pages.h"
#include "tasks.h"
#include "timeutil.h"
#include "webhooks.h"

/* The status and is_completed members of each status, indexed by enum task_status. */
#define STATUS_JSON(name, done) \
	{ ",\"status\":\"" name "\",\"is_completed\":" done, \
	    sizeof(",\"status\":\"" name "\",\"is_completed\":" done) - 1 }
static const struct {
	const char	*text;
	size_t		 len;
} status_json[] = {
	STATUS_JSON("Pending", "false"),
	STATUS_JSON("In Progress", "false"),
	STATUS_JSON("Completed", "true"),
	STATUS_JSON("Overdue", "false"),
};

/* The length of a stored reminders text, 0 when NULL or not canonical (then null). */
static size_t
reminders_len(const char *s)
{
	size_t	 n;

	if (s == NULL || s[0] != '[')
		return 0;
	n = strspn(s, "[0123456789,]");
	return s[n] == '\0' && n < REM_TEXT_BYTES ? n : 0;
}

/*
 * The JSON of the list (from ,"list_id" to the list's name) and of the
 * assignee (from ,"assignee_name" to the value of "assigned_to") that a
 * page's last row wrote: a page's tasks share their list and a few
 * assignees, so most rows copy that text rather than write a number and
 * escape a name again.  Within a page (one snapshot) the name of an id
 * cannot change, so the id is the key; the name's address is compared too.
 */
#define SEG_BYTES	240	/* longer texts are written each time */

struct seg {
	int64_t		 id;
	const char	*name;	/* NULL: empty */
	size_t		 len;
	char		 text[SEG_BYTES];
};

struct seg_cache {
	struct seg	 list, user;
};

static void
seg_init(struct seg_cache *c)
{
	c->list.name = c->user.name = NULL;
}

/* 1 when s holds the text of (id, name). */
static int
seg_has(const struct seg *s, int64_t id, const char *name)
{
	return s->name == name && s->id == id && name != NULL;
}

/* Keeps in s the text [from, to) of (id, name), when it fits. */
static void
seg_keep(struct seg *s, int64_t id, const char *name, const char *from, const char *to)
{
	size_t	 n = (size_t)(to - from);

	if (n > SEG_BYTES) {
		s->name = NULL;
		return;
	}
	s->id = id;
	s->name = name;
	s->len = n;
	memcpy(s->text, from, n);
}

/*
 * Writes one task object.  Pages write thousands of these a second, so the
 * room for the whole object is made once (its fixed text, the numbers and
 * times, each string escaped at worst) and the fields are written after;
 * with sc (a page's), the list's and assignee's text is copied when an
 * earlier row wrote it.  comma: a ',' first (the rows of a page).
 */
static void
write_task(struct buf *b, const struct task *t, struct seg_cache *sc, int comma)
{
	size_t	 nn = strlen(t->name), nd = strlen(t->description);
	size_t	 nl = 0, na = 0;
	size_t	 nr = reminders_len(t->reminders);
	unsigned st = t->status >= TS_PENDING && t->status <= TS_OVERDUE ?
	    (unsigned)t->status : TS_PENDING;
	int	 hl = sc != NULL && seg_has(&sc->list, t->list_id, t->list_name);
	int	 ha = sc != NULL && t->assigned_to > 0 &&
	    seg_has(&sc->user, t->assigned_to, t->assignee_name);
	size_t	 room;
	char	*o, *created, *from;
	size_t	 n;

	/* 221: a comma, the keys and punctuation; 3 numbers, 3 times, 4 strings, the
	 * reminders, the status, the recurrence (the list's and assignee's
	 * number and name: their text when a row before wrote it) */
	room = 221 + nr + JW_RAW_INT_MAX + 3 * JW_RAW_TIME_MAX + 6 * (nn + nd) +
	    4 * 2 + status_json[st].len + API_REC_MAX;
	if (hl)
		room += sc->list.len;
	else {
		nl = strlen(t->list_name);
		room += JW_RAW_INT_MAX + 6 * nl;
	}
	if (ha)
		room += sc->user.len;
	else {
		na = t->assignee_name != NULL ? strlen(t->assignee_name) : 0;
		room += JW_RAW_INT_MAX + 6 * na;
	}
	if (buf_reserve(b, room) < 0)
		return;
	o = b->p + b->len;
	if (comma)
		*o++ = ',';
	o = JW_RAW_LIT(o, "{\"id\":");
	o = jw_raw_int(o, t->id);
	o = JW_RAW_LIT(o, ",\"name\":");
	o = jw_raw_str(o, t->name, nn);
	o = JW_RAW_LIT(o, ",\"description\":");
	o = jw_raw_str(o, t->description, nd);
	if (hl) {
		memcpy(o, sc->list.text, sc->list.len);
		o += sc->list.len;
	} else {
		from = o;
		o = JW_RAW_LIT(o, ",\"list_id\":");
		o = jw_raw_int(o, t->list_id);
		o = JW_RAW_LIT(o, ",\"list_name\":");
		o = jw_raw_str(o, t->list_name, nl);
		if (sc != NULL)
			seg_keep(&sc->list, t->list_id, t->list_name, from, o);
	}
	if (ha) {
		memcpy(o, sc->user.text, sc->user.len);
		o += sc->user.len;
	} else {
		from = o;
		o = JW_RAW_LIT(o, ",\"assignee_name\":");
		o = jw_raw_str(o, t->assignee_name, na);
		o = JW_RAW_LIT(o, ",\"assigned_to\":");
		if (t->assigned_to > 0)
			o = jw_raw_int(o, t->assigned_to);
		else
			o = JW_RAW_LIT(o, "null");
		if (sc != NULL && t->assigned_to > 0)
			seg_keep(&sc->user, t->assigned_to, t->assignee_name, from, o);
	}
	o = JW_RAW_LIT(o, ",\"complete_before\":");
	o = jw_raw_time(o, t->complete_before);
	o = JW_RAW_LIT(o, ",\"reminders\":");
	/* the domain's canonical "[60,1440]": digits, commas and brackets only */
	if (nr > 0) {
		memcpy(o, t->reminders, nr);
		o += nr;
	} else
		o = JW_RAW_LIT(o, "null");
	memcpy(o, status_json[st].text, status_json[st].len);
	o += status_json[st].len;
	o = api_rec_write(o, &t->rec);
	o = JW_RAW_LIT(o, ",\"created_at\":");
	created = o;
	o = jw_raw_time(o, t->created_at);
	n = (size_t)(o - created);
	o = JW_RAW_LIT(o, ",\"updated_at\":");
	/* a task never changed since its creation: the same text again */
	if (t->updated_at == t->created_at) {
		memcpy(o, created, n);
		o += n;
	} else
		o = jw_raw_time(o, t->updated_at);
	*o++ = '}';
	jw_raw_end(b, o);
}

void
api_write_task(struct buf *b, const struct task *t)
{
	write_task(b, t, NULL, 0);
}

/* A create's or update's answer: the JSON its webhooks got, when it wrote one. */
static void
answer_task(struct req *r, const struct task *t)
{
	const char *p;
	size_t	 n;

	if (webhooks_task_json(t, &p, &n))
		buf_add(&r->body_out, p, n);
	else
		write_task(&r->body_out, t, NULL, 0);
}

struct rows {
	struct buf	*b;
	int		 n;
	struct seg_cache seg;	/* the page's */
};

/* A page row callback: appends the task, comma-separated. */
static void
task_row(void *ctx, const struct task *t)
{
	struct rows *c = ctx;

	write_task(c->b, t, &c->seg, c->n++ > 0);
}

/* Reads assigned_to when present: null, a user id (number or digit string). */
static void
read_assignee(struct req *r, struct task_input *in)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "assigned_to");
	const char *type = "str";
	char	 msg[96], *end;
	long long n;

	if (v == NULL)
		return;
	if (cJSON_IsNull(v)) {
		in->set |= TF_ASSIGNED_TO;
		in->assigned_to = 0;
		return;
	}
	if (cJSON_IsNumber(v) && v->valuedouble > -9.0e15 && v->valuedouble < 9.0e15 &&
	    v->valuedouble == (double)(long long)v->valuedouble) {
		n = (long long)v->valuedouble;
		goto have;
	}
	if (cJSON_IsString(v) && v->valuestring[0] >= '0' && v->valuestring[0] <= '9' &&
	    strlen(v->valuestring) <= 18) {
		n = strtoll(v->valuestring, &end, 10);
		if (*end == '\0')
			goto have;
	}
	type = cJSON_IsBool(v) ? "bool" : cJSON_IsNumber(v) ? "float" :
	    cJSON_IsArray(v) ? "list" : cJSON_IsObject(v) ? "dict" : "str";
	snprintf(msg, sizeof(msg), "Incorrect type. Expected pk value, received %s.", type);
	req_error(r, "assigned_to", msg);
	return;
have:
	in->set |= TF_ASSIGNED_TO;
	in->assigned_to = n;
	if (n <= 0) {
		snprintf(msg, sizeof(msg), "Invalid pk \"%lld\" - object does not exist.", n);
		req_error(r, "assigned_to", msg);
	}
}

/*
 * Reads the writable fields of a task body, as DRF's ModelSerializer does:
 * name_flags is JF_REQUIRED for a create and a PUT, 0 for a PATCH; every
 * other field is optional (left out, it keeps its value).  Texts are
 * trimmed.  0, or 400 with the errors.
 */
static int
read_input(struct req *r, unsigned name_flags, struct task_input *in, char *rem)
{
	int64_t	 t, v[REM_MAX_OFFSETS];
	int	 i, n = 0, off[REM_MAX_OFFSETS];

	memset(in, 0, sizeof(*in));
	in->complete_before = TIME_NULL;
	if (jr_str(r, r->json, "name", name_flags | JF_TRIM, NAME_MAX_CHARS,
	    &in->name) == JR_OK)
		in->set |= TF_NAME;
	if (jr_str(r, r->json, "description", JF_BLANK | JF_TRIM, 0,
	    &in->description) == JR_OK)
		in->set |= TF_DESCRIPTION;
	read_assignee(r, in);
	switch (jr_time(r, r->json, "complete_before", JF_NULL, &t)) {
	case JR_OK:
		in->complete_before = t;
		in->set |= TF_DEADLINE;
		break;
	case JR_NULL:
		in->set |= TF_DEADLINE;
		break;
	default:
		break;
	}
	if (jr_choice(r, r->json, "status", 0, task_status_names, &i) == JR_OK) {
		in->status = i;
		in->set |= TF_STATUS;
	}
	switch (api_read_offsets(r, "reminders", off, &n)) {
	case JR_OK:
		for (i = 0; i < n; i++)
			v[i] = off[i];
		/* checked by api_read_offsets: the canonical text */
		if (rem_offsets_check(v, n, rem) == REM_OK) {
			in->reminders = rem;
			in->set |= TF_REMINDERS;
		}
		break;
	case JR_NULL:
		in->set |= TF_REMINDERS;
		break;
	default:
		break;
	}
	api_rec_read(r, in);
	return r->errors != NULL ? resp_errors(r) : 0;
}

/* Answers a refused task change as DRF would. */
static int
task_refused(struct req *r, enum rule why, const struct task_input *in)
{
	char	 msg[96];

	switch (why) {
	case RULE_NAME_TAKEN:
		req_error(r, "non_field_errors",
		    "The fields name, list_tasks must make a unique set.");
		break;
	case RULE_BAD_ASSIGNEE:
		snprintf(msg, sizeof(msg), "Invalid pk \"%lld\" - object does not exist.",
		    (long long)in->assigned_to);
		req_error(r, "assigned_to", msg);
		break;
	case RULE_NOT_COMPLETABLE:
		return resp_detail(r, 400, "Task is expired and cannot be completed");
	case RULE_NEEDS_DEADLINE:
		req_error(r, "recurrence", "A recurring task needs a deadline (complete_before).");
		break;
	default:
		req_error(r, "non_field_errors", "Invalid input.");
		break;
	}
	return resp_errors(r);
}

/* The filters and ordering of a task page, in the order their errors are listed. */
enum { F_STATUS, F_ORDERING, F_ASSIGNED_TO, F_LIST, F_DUE_BEFORE, F_DUE_AFTER,
	F_SEARCH, F_COUNT };
static const struct param_spec filter_params[F_COUNT] = {
	[F_STATUS] = { .name = "status", .kind = PK_CHOICE, .names = task_status_names },
	[F_ORDERING] = { .name = "ordering", .kind = PK_CHOICE, .names = task_order_names },
	[F_ASSIGNED_TO] = { .name = "assigned_to", .kind = PK_ID },
	[F_LIST] = { .name = "list", .kind = PK_ID },
	[F_DUE_BEFORE] = { .name = "due_before", .kind = PK_TIME },
	[F_DUE_AFTER] = { .name = "due_after", .kind = PK_TIME },
	/* read only when the others are good */
	[F_SEARCH] = { .name = "search", .kind = PK_TEXT, .flags = PF_BARRIER,
	    .norm = search_key },
};

/* Reads the filters and ordering of a task page into q; 0, or 400 naming the parameters. */
static int
read_filters(struct req *r, struct task_query *q)
{
	struct param_val v[F_COUNT];

	if (params_read(r, filter_params, F_COUNT, v) > 0)
		return resp_errors(r);
	if (v[F_STATUS].state == PS_SET)
		q->status = (int)v[F_STATUS].n;
	if (v[F_ORDERING].state == PS_SET)
		q->order = (enum task_order)v[F_ORDERING].n;
	if (v[F_ASSIGNED_TO].state == PS_SET)
		q->assigned_to = v[F_ASSIGNED_TO].n;
	if (v[F_LIST].state == PS_SET)
		q->list_id = v[F_LIST].n;
	if (v[F_DUE_BEFORE].state == PS_SET)
		q->due_before = v[F_DUE_BEFORE].n;
	if (v[F_DUE_AFTER].state == PS_SET)
		q->due_after = v[F_DUE_AFTER].n;
	if (v[F_SEARCH].state == PS_SET)
		q->search = v[F_SEARCH].s;
	return 0;
}

/* A page's answer: the head with the count, then the rows (task_row: rows first). */
struct answer {
	struct rows	 rows;
	struct req	*r;
	struct page	 pg;
};

static void
answer_head(void *ctx, int64_t count)
{
	struct answer *a = ctx;

	page_begin(a->r, &a->pg, count);
}

/* Answers a page of tasks for q. */
static int
task_page(struct req *r, struct task_query *q)
{
	struct answer a;
	struct actor who;
	int64_t	 count;
	enum dbrc rc;
	int	 st;

	a.rows.b = &r->body_out;
	a.rows.n = 0;
	seg_init(&a.rows.seg);
	a.r = r;
	a.pg.limit = a.pg.offset = 0;

	if ((st = page_read(r, &a.pg)) != 0 || (st = read_filters(r, q)) != 0)
		return st;
	api_actor(r, &who);
	q->limit = a.pg.limit;
	q->offset = a.pg.offset;
	if ((rc = tasks_page(&r->app->db, r->app->tasks, &who, q, answer_head,
	    task_row, &a, &count)) != DB_OK)
		return api_dbfail(r, rc);
	page_end(r);
	return 200;
}

/* GET, POST /api/lists/{id}/tasks/ */
int
api_list_tasks(struct req *r)
{
	struct task_query q;
	struct task_input in;
	struct actor who;
	struct task t;
	enum rule why;
	int64_t	 id;
	enum dbrc rc;
	int	 st;
	char	 rem[REM_TEXT_BYTES];

	if (r->method != M_POST) {
		task_query_init(&q, TQ_LIST, r->ids[0]);
		return task_page(r, &q);
	}
	api_actor(r, &who);
	if ((st = read_input(r, JF_REQUIRED, &in, rem)) != 0)
		return st;
	/* the answer is the task as the write stored it, without reading it
	 * back */
	if ((rc = db_begin(&r->app->db)) != DB_OK)
		return api_dbfail(r, rc);
	rc = tasks_create(&r->app->db, &who, r->ids[0], &in, &id, &why, &r->arena, &t);
	if (rc == DB_OK) {
		/* written once the write lock is given back */
		if ((st = api_commit_answer(r, 201, 201)) == 201)
			answer_task(r, &t);
		return st;
	}
	db_rollback(&r->app->db);
	if (rc == DB_INVALID)
		return task_refused(r, why, &in);
	return api_dbfail(r, rc);
}

/* GET /api/tasks/: the tasks assigned to the caller. */
int
api_tasks(struct req *r)
{
	struct task_query q;

	task_query_init(&q, TQ_ASSIGNEE, r->user.id);
	/* the caller's username, read in this request's snapshot */
	q.scope_name = r->user.username;
	return task_page(r, &q);
}

/* PUT, PATCH /api/tasks/{id}/ */
static int
task_update(struct req *r, int64_t id)
{
	struct task_input in;
	struct actor who;
	struct task t;
	int64_t	 expect;
	enum rule why;
	enum dbrc rc;
	int	 st;
	char	 rem[REM_TEXT_BYTES];

	api_actor(r, &who);
	if ((st = api_lock_read(r, &expect)) != 0 ||
	    (st = read_input(r, r->method == M_PUT ? JF_REQUIRED : 0, &in, rem)) != 0) {
		/* a task the caller cannot see is not found before its body is
		 * wrong (DRF's get_object() comes first) */
		if ((rc = tasks_get_visible(&r->app->db, &who, id, &r->arena, &t)) != DB_OK)
			return api_dbfail(r, rc);
		/* and one it may not change is refused before its body */
		if (t.access < TA_WORK)
			return api_dbfail(r, DB_FORBIDDEN);
		return st;
	}
	/*
	 * one write transaction from the visibility check to the answer,
	 * which is the row as this write left it (not one that landed right
	 * after), built from the row read for the check and the changes
	 */
	if ((rc = db_begin(&r->app->db)) != DB_OK)
		return api_dbfail(r, rc);
	rc = tasks_update_locked(&r->app->db, &who, id, expect, &in, &why, &r->arena, &t);
	if (rc == DB_OK) {
		/* written once the write lock is given back */
		if ((st = api_commit_answer(r, 200, 200)) == 200)
			answer_task(r, &t);
		return st;
	}
	db_rollback(&r->app->db);
	if (rc == DB_CONFLICT)
		return resp_detail(r, 409, "The object was modified by another user.");
	if (rc == DB_INVALID)
		return task_refused(r, why, &in);
	return api_dbfail(r, rc);
}

/* GET, PUT, PATCH, DELETE /api/tasks/{id}/ */
int
api_task(struct req *r)
{
	struct actor who;
	struct task t;
	enum dbrc rc;

	api_actor(r, &who);
	switch (r->method) {
	case M_PUT:
	case M_PATCH:
		return task_update(r, r->ids[0]);
	case M_DELETE:
		if ((rc = tasks_delete(&r->app->db, &who, r->ids[0])) != DB_OK)
			return api_dbfail(r, rc);
		return 204;
	default:
		if ((rc = tasks_get_visible(&r->app->db, &who, r->ids[0], &r->arena,
		    &t)) != DB_OK)
			return api_dbfail(r, rc);
		write_task(&r->body_out, &t, NULL, 0);
		return 200;
	}
}

/* POST /api/tasks/{id}/complete/ (a recurring task's answer adds its next deadline) */
int
api_task_complete(struct req *r)
{
	struct task_done done;
	struct actor who;
	enum rule why;
	enum dbrc rc;
	int	 first = 0;

	api_actor(r, &who);
	rc = tasks_complete(&r->app->db, &who, r->ids[0], &why, &done);
	if (rc == DB_INVALID)
		return resp_detail(r, 400, "Task is expired and cannot be completed");
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	if (!done.recurring)
		return resp_detail(r, 200, "Task marked as complete");
	buf_reset(&r->body_out);
	buf_puts(&r->body_out, "{\"detail\":\"Task marked as complete\"");
	jw_time(&r->body_out, "next_complete_before", done.next, &first);
	buf_putc(&r->body_out, '}');
	return 200;
}
