/*
 * tasks: the task admin pages: a filtered, ordered list whose status and
 * assignee columns are edited in place (one form, one POST, all rows or
 * none), add, edit with "save as new", delete.  Every change goes through
 * domain/tasks.h, so the status machine, the lock and the notices hold.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "adm.h"
#include "adm_recur.h"
#include "admin_data.h"
#include "app.h"
#include "json.h"
#include "lists.h"
#include "reminders.h"
#include "request.h"
#include "tasks.h"
#include "timeutil.h"
#include "tz.h"

#define CHOICES_MAX	500	/* users and lists offered in a select */
#define BULK_MAX	200	/* rows one inline-edit post may carry */

/* A row of the inline-edit post: what was shown, what was chosen, what went wrong. */
struct row_edit {
	int64_t		 id;
	int		 status, orig_status;
	int64_t		 assignee, orig_assignee;
	int64_t		 expect;
	const char	*err;
	int		 stale;		/* changed meanwhile: show the stored row */
};

struct bulk {
	struct row_edit	*rows;
	size_t		 n;
	size_t		 nerr;
};

struct choices {
	struct admq_choice *users;
	size_t		 nusers;
	struct admq_choice *lists;
	size_t		 nlists;
};

/* The index of a status name, or -1. */
static int
status_index(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && task_status_names[i] != NULL; i++)
		if (strcmp(s, task_status_names[i]) == 0)
			return i;
	return -1;
}

/* Parses an assignee field: "" is nobody (0), else a user id; -1 when bad. */
static int64_t
parse_assignee(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	return adm_parse_id(s);
}

static enum dbrc
load_choices(struct req *r, struct choices *c, int lists)
{
	enum dbrc rc;

	memset(c, 0, sizeof(*c));
	rc = admq_user_choices(&r->app->db, &r->arena, CHOICES_MAX, &c->users, &c->nusers);
	if (rc == DB_OK && lists)
		rc = admq_list_choices(&r->app->db, &r->arena, CHOICES_MAX,
		    &c->lists, &c->nlists);
	return rc;
}

/* Appends {value, label, selected} to arr. */
static void
option(cJSON *arr, const char *value, const char *label, int selected)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddStringToObject(o, "label", label);
	if (selected)
		cJSON_AddTrueToObject(o, "selected");
	cJSON_AddItemToArray(arr, o);
}

/* Options of (id, label) choices, "" first with none_label; keeps a selected id that is not offered. */
static cJSON *
id_options(const struct admq_choice *ch, size_t n, int64_t sel, const char *sel_label,
    const char *none_label)
{
	cJSON	*arr = cJSON_CreateArray();
	char	 v[24];
	size_t	 i;
	int	 found = sel == 0;

	if (arr == NULL)
		return NULL;
	if (none_label != NULL)
		option(arr, "", none_label, sel == 0);
	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%" PRId64, ch[i].id);
		option(arr, v, ch[i].label, ch[i].id == sel);
		found |= ch[i].id == sel;
	}
	/* an inactive assignee stays visible, so saving the row keeps it */
	if (!found && sel > 0) {
		snprintf(v, sizeof(v), "%" PRId64, sel);
		option(arr, v, sel_label ? sel_label : v, 1);
	}
	return arr;
}

static cJSON *
status_options(int sel, int any)
{
	cJSON	*arr = cJSON_CreateArray();
	int	 i;

	if (arr == NULL)
		return NULL;
	if (any)
		option(arr, "", "All", sel < 0);
	for (i = 0; task_status_names[i] != NULL; i++)
		option(arr, task_status_names[i], task_status_names[i], i == sel);
	return arr;
}

/* The query of the task list page: ?q=&p=&o= and the filters. */
enum { F_STATUS = ADM_NQUERY, F_LIST, F_ASSIGNED_TO, F_COUNT };
_Static_assert(F_COUNT <= ADM_LISTING_MAX, "too many task page parameters");
static const char *const nobody_names[] = { "none", NULL };
static const int nobody_values[] = { -1 };
static const struct param_spec filter_params[F_COUNT] = {
	ADM_QUERY_PARAMS,
	[F_STATUS] = { .name = "status", .kind = PK_CHOICE, .flags = PF_QUIET,
	    .names = task_status_names },
	[F_LIST] = { .name = "list", .kind = PK_ID, .flags = PF_QUIET },
	/* an id, or "none": the tasks without an assignee */
	[F_ASSIGNED_TO] = { .name = "assigned_to", .kind = PK_ID, .flags = PF_QUIET,
	    .names = nobody_names, .values = nobody_values },
};

/* Reads the filters of the page's parameters v into f, adding their selects to ctx. */
static void
read_filters(const struct param_val *v, cJSON *ctx, const struct choices *c,
    struct admq_task_filter *f)
{
	cJSON	*arr;
	int	 st = v[F_STATUS].state == PS_SET ? (int)v[F_STATUS].n : -1;
	size_t	 i;
	char	 s[24];

	memset(f, 0, sizeof(*f));
	f->q = v[ADM_Q].state == PS_SET ? v[ADM_Q].s : NULL;
	f->status = st >= 0 ? task_status_names[st] : NULL;
	f->list_id = v[F_LIST].state == PS_SET ? v[F_LIST].n : 0;
	f->assignee = v[F_ASSIGNED_TO].state == PS_SET ? v[F_ASSIGNED_TO].n : 0;
	cJSON_AddItemToObject(ctx, "filter_status", status_options(st, 1));
	cJSON_AddItemToObject(ctx, "filter_list",
	    id_options(c->lists, c->nlists, f->list_id, NULL, "All"));
	if ((arr = cJSON_CreateArray()) != NULL) {
		option(arr, "", "Anyone", f->assignee == 0);
		option(arr, "none", "Nobody", f->assignee == -1);
		for (i = 0; i < c->nusers; i++) {
			snprintf(s, sizeof(s), "%" PRId64, c->users[i].id);
			option(arr, s, c->users[i].label, c->users[i].id == f->assignee);
		}
		cJSON_AddItemToObject(ctx, "filter_assignee", arr);
	}
	if (v[ADM_O].state == PS_SET)
		cJSON_AddStringToObject(ctx, "o", v[ADM_O].s);
	cJSON_AddBoolToObject(ctx, "filtered", f->q || f->status || f->list_id || f->assignee);
}

/* The edit of row id in b, or NULL. */
static const struct row_edit *
find_edit(const struct bulk *b, int64_t id)
{
	size_t	 i;

	for (i = 0; b != NULL && i < b->n; i++)
		if (b->rows[i].id == id)
			return &b->rows[i];
	return NULL;
}

/* Adds one task row (with its inline selects) to arr. */
static void
task_row(struct req *r, cJSON *arr, const struct admq_task *t, const struct choices *c,
    const struct row_edit *e)
{
	cJSON	*o = cJSON_CreateObject();
	char	 s[24], rem[REM_TEXT_BYTES * 2];
	int	 st = status_index(t->status), use;
	int64_t	 a;

	if (o == NULL)
		return;
	cJSON_AddItemToArray(arr, o);
	adm_add_id(o, "id", t->id);
	cJSON_AddStringToObject(o, "name", t->name);
	adm_add_id(o, "list_id", t->list_id);
	cJSON_AddStringToObject(o, "list_name", t->list_name);
	cJSON_AddStringToObject(o, "status", t->status);
	adm_add_time(r, o, "deadline", t->complete_before);
	adm_rec_text(r, o, &t->rec);
	/* its own offsets ("60, 1440", "none"), or its recipient's: "default" */
	if (t->reminders != NULL)
		rem_offsets_show(t->reminders, rem);
	cJSON_AddStringToObject(o, "reminders", t->reminders != NULL ? rem : "default");
	adm_add_time(r, o, "updated", t->updated_at);
	/* the hidden fields carry what was shown, so only real edits are saved */
	use = e != NULL && !e->stale;
	snprintf(s, sizeof(s), "%" PRId64, use ? e->expect : t->updated_at);
	cJSON_AddStringToObject(o, "stamp", s);
	cJSON_AddStringToObject(o, "orig_status",
	    use ? task_status_names[e->orig_status] : t->status);
	a = use ? e->orig_assignee : t->assigned_to;
	snprintf(s, sizeof(s), "%" PRId64, a);
	cJSON_AddStringToObject(o, "orig_assignee", a > 0 ? s : "");
	cJSON_AddItemToObject(o, "status_opts", status_options(use ? e->status : st, 0));
	cJSON_AddItemToObject(o, "user_opts", id_options(c->users, c->nusers,
	    use ? e->assignee : t->assigned_to, t->assignee, "---------"));
	if (e != NULL && e->err != NULL)
		cJSON_AddStringToObject(o, "error", e->err);
}

/* Renders the task list page, with the edits and errors of a refused post when b is given. */
static int
tasks_page(struct req *r, const struct bulk *b)
{
	static const char *const cols[] = ADMQ_TASK_COLS;
	struct admq_task_filter f;
	struct adm_listing l;
	struct admq_task *rows = NULL;
	struct choices c;
	int64_t	 count = 0;
	size_t	 n = 0, i;
	enum dbrc rc;
	char	 pn[24];
	int	 st;

	if ((rc = load_choices(r, &c, 1)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((st = adm_listing_begin(r, &l, "Tasks", "tasks", cols, AT_DEFAULT,
	    filter_params, F_COUNT)) != 0)
		return st;
	read_filters(l.v, l.ctx, &c, &f);
	if ((st = adm_listing_rows(r, &l, admq_tasks(&r->app->db, &r->arena, &f,
	    (enum admq_task_order)l.order, l.per, l.offset, &rows, &n, &count))) != 0)
		return st;
	if (b != NULL && b->nerr > 0) {
		cJSON_AddTrueToObject(l.ctx, "has_errors");
		adm_add_count(l.ctx, "nerr", (int64_t)b->nerr, "row", "rows");
	}
	snprintf(pn, sizeof(pn), "%" PRId64, l.page);
	cJSON_AddStringToObject(l.ctx, "action_qs", adm_qs(r, "p", pn));
	cJSON_AddBoolToObject(l.ctx, "has_rows", n > 0);
	for (i = 0; i < n && l.rows != NULL; i++)
		task_row(r, l.rows, &rows[i], &c, find_edit(b, rows[i].id));
	return adm_listing_end(r, &l, count, "task", "tasks", "tasks");
}

/* GET tasks/?q=&status=&list=&assigned_to=&o=&p= */
int
adm_tasks(struct req *r)
{
	return tasks_page(r, NULL);
}

/* Reads the rows of the inline-edit post into b; -1 when the post is malformed. */
static int
read_bulk(struct req *r, const struct form *f, struct bulk *b)
{
	char	 k[48];
	size_t	 i;
	struct row_edit *e;

	b->n = b->nerr = 0;
	if ((b->rows = arena_alloc(&r->arena, BULK_MAX * sizeof(*b->rows))) == NULL)
		return -1;
	for (i = 0; i < f->n; i++) {
		if (strcmp(f->f[i].key, "id") != 0)
			continue;
		if (b->n == BULK_MAX)
			return -1;
		e = &b->rows[b->n++];
		memset(e, 0, sizeof(*e));
		if ((e->id = adm_parse_id(f->f[i].val)) <= 0)
			return -1;
#define FIELD(name) (snprintf(k, sizeof(k), name "-%" PRId64, e->id), form_get(f, k))
		e->status = status_index(FIELD("status"));
		e->orig_status = status_index(FIELD("orig_status"));
		e->assignee = parse_assignee(FIELD("assigned_to"));
		e->orig_assignee = parse_assignee(FIELD("orig_assigned_to"));
		e->expect = adm_parse_stamp(FIELD("updated_at"));
#undef FIELD
		if (e->orig_status < 0 || e->orig_assignee < 0 || e->expect < 0)
			return -1;
		if (e->status < 0)
			e->err = "Select a valid status.";
		else if (e->assignee < 0)
			e->err = "Select a valid assignee.";
		if (e->err != NULL)
			b->nerr++;
	}
	return 0;
}

/* The message for a refused row. */
static const char *
row_message(enum dbrc rc, enum rule why)
{
	switch (rc) {
	case DB_CONFLICT:
		return "Someone else changed this task after the page was loaded; "
		    "its current values are shown. Nothing was saved.";
	case DB_NOTFOUND:
		return "This task no longer exists.";
	default:
		return why == RULE_BAD_ASSIGNEE ? "That user cannot be assigned (inactive)." :
		    "Enter a valid value.";
	}
}

/* Applies the changed rows of b in one transaction: all or nothing.  DB_INVALID when rows were refused. */
static enum dbrc
apply_bulk(struct req *r, struct bulk *b, size_t *changed)
{
	struct actor me = { r->user.id, 1 };
	struct task_input in;
	struct row_edit *e;
	enum rule why;
	enum dbrc rc;
	size_t	 i;

	*changed = 0;
	if ((rc = db_begin(&r->app->db)) != DB_OK)
		return rc;
	for (i = 0; i < b->n; i++) {
		e = &b->rows[i];
		memset(&in, 0, sizeof(in));
		if (e->status != e->orig_status) {
			in.set |= TF_STATUS;
			in.status = e->status;
		}
		if (e->assignee != e->orig_assignee) {
			in.set |= TF_ASSIGNED_TO;
			in.assigned_to = e->assignee;
		}
		if (in.set == 0 || e->err != NULL)
			continue;
		why = RULE_OK;
		rc = tasks_update_locked(&r->app->db, &me, e->id, e->expect, &in, &why,
		    NULL, NULL);
		if (rc == DB_BUSY || rc == DB_ERROR)
			goto fail;
		if (rc != DB_OK) {
			e->err = row_message(rc, why);
			b->nerr++;
			/* show the stored row, so the next save is a knowing one */
			e->stale = rc == DB_CONFLICT;
		}
		(*changed)++;
	}
	if (b->nerr > 0) {
		rc = DB_INVALID;
		goto fail;
	}
	return db_commit(&r->app->db);
fail:
	db_rollback(&r->app->db);
	return rc;
}

/* POST tasks/?<the page's query> -- the inline edits of the shown rows */
int
adm_tasks_bulk(struct req *r)
{
	struct form f;
	struct bulk b;
	size_t	 changed = 0;
	enum dbrc rc;
	char	 pn[24], *loc;
	const char *qs;
	int	 st;

	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	if (read_bulk(r, &f, &b) < 0)
		return adm_render(r, 400, "bad_request", adm_ctx(r, "Bad request", NULL));
	rc = b.nerr > 0 ? DB_INVALID : apply_bulk(r, &b, &changed);
	/* refused rows keep what was typed; conflicting ones show what is stored */
	if (rc == DB_INVALID)
		return tasks_page(r, &b);
	if (rc != DB_OK)
		return adm_dbfail(r, rc);
	snprintf(pn, sizeof(pn), "%" PRId64, adm_page(r));
	qs = adm_qs(r, "p", pn);
	if ((loc = arena_alloc(&r->arena, strlen(qs) + 32)) == NULL)
		return 500;
	snprintf(loc, strlen(qs) + 32, "tasks/%s%csaved=%zu", qs, *qs ? '&' : '?', changed);
	return adm_redirect(r, loc);
}

/* What the add and edit forms carry, as typed. */
struct task_form {
	const char	*list, *name, *description, *assigned_to, *deadline, *status;
	const char	*reminders;
	int64_t		 list_id, expect;
	struct task_input in;
	char		 rem[REM_TEXT_BYTES];
	struct rec_form	 rec;
};

/* Records msg for field in ctx.errors (the first message per field wins). */
static void
field_error(cJSON *ctx, const char *field, const char *msg)
{
	cJSON	*e = cJSON_GetObjectItemCaseSensitive(ctx, "errors");

	if (cJSON_GetObjectItemCaseSensitive(ctx, "has_errors") == NULL)
		cJSON_AddTrueToObject(ctx, "has_errors");
	if (e == NULL && (e = cJSON_AddObjectToObject(ctx, "errors")) == NULL)
		return;
	if (cJSON_GetObjectItemCaseSensitive(e, field) == NULL)
		cJSON_AddStringToObject(e, field, msg);
}

/*
 * Reads and checks the posted task fields into tf, texts trimmed (in
 * mem); 1 when all are valid (errors in ctx otherwise).
 */
static int
read_task_form(struct arena *mem, const struct tz *zone, const struct form *f, cJSON *ctx, struct task_form *tf,
    int adding)
{
	int	 good = 1, st, dflt = 0;
	int64_t	 a;
	const char *msg, *field = NULL;

	memset(tf, 0, sizeof(*tf));
	tf->list = form_get(f, "list");
	tf->name = form_text(mem, f, "name");
	tf->description = form_text(mem, f, "description");
	tf->assigned_to = form_get(f, "assigned_to");
	tf->deadline = form_get(f, "complete_before");
	tf->status = form_get(f, "status");
	tf->reminders = form_get(f, "reminders");
	tf->expect = adm_parse_stamp(form_get(f, "updated_at"));
	tf->in.set = TF_NAME | TF_DESCRIPTION | TF_ASSIGNED_TO | TF_DEADLINE | TF_STATUS;
	if (tf->reminders != NULL) {
		if (rem_offsets_typed(tf->reminders, tf->rem, &dflt) != REM_OK) {
			field_error(ctx, "reminders", "Enter up to 5 different numbers of "
			    "minutes from 1 to 525600, \"none\", or leave it blank.");
			good = 0;
		}
		tf->in.set |= TF_REMINDERS;
		tf->in.reminders = dflt ? NULL : tf->rem;
	}
	if (adding && (tf->list_id = adm_parse_id(tf->list)) <= 0) {
		field_error(ctx, "list", "Select a list.");
		good = 0;
	}
	if (tf->name == NULL || *tf->name == '\0') {
		field_error(ctx, "name", "This field is required.");
		good = 0;
	} else if (!name_valid(tf->name)) {
		field_error(ctx, "name", "Ensure this field has 1 to 200 characters of valid text.");
		good = 0;
	}
	tf->in.name = tf->name;
	tf->in.description = tf->description ? tf->description : "";
	if (!utf8_valid(tf->in.description, strlen(tf->in.description))) {
		field_error(ctx, "description", "Enter valid text.");
		good = 0;
	}
	if ((a = parse_assignee(tf->assigned_to)) < 0) {
		field_error(ctx, "assigned_to", "Select a valid choice.");
		good = 0;
	}
	tf->in.assigned_to = a > 0 ? a : 0;
	tf->in.complete_before = TIME_NULL;
	if (tf->deadline != NULL && *tf->deadline != '\0' &&
	    rfc3339_parse_in(tf->deadline, strlen(tf->deadline), zone,
	    &tf->in.complete_before) < 0) {
		field_error(ctx, "complete_before", "Enter a valid date and time.");
		good = 0;
	}
	if ((st = status_index(tf->status)) < 0) {
		field_error(ctx, "status", "Select a valid choice.");
		good = 0;
	}
	tf->in.status = st < 0 ? TS_PENDING : st;
	if ((msg = adm_rec_read(f, zone, &tf->rec, &tf->in, &field)) != NULL) {
		field_error(ctx, field, msg);
		good = 0;
	}
	return good;
}

/* Records the refusal of a domain write in ctx; 0, or an HTTP status for a storage failure. */
static int
task_refused(struct req *r, cJSON *ctx, enum dbrc rc, enum rule why)
{
	switch (rc) {
	case DB_INVALID:
		if (why == RULE_NAME_TAKEN)
			field_error(ctx, "name", "A task with this name already exists in this list.");
		else if (why == RULE_BAD_ASSIGNEE)
			field_error(ctx, "assigned_to", "That user cannot be assigned (inactive).");
		else if (why == RULE_NEEDS_DEADLINE)
			field_error(ctx, "rec_every", "A recurring task needs a deadline.");
		else
			field_error(ctx, "name", "Enter valid values.");
		return 0;
	case DB_CONFLICT:
		cJSON_AddTrueToObject(ctx, "conflict");
		field_error(ctx, "updated_at", "Someone else changed this task after you opened it.");
		return 0;
	case DB_NOTFOUND:
		field_error(ctx, "list", "Select a valid choice.");
		return 0;
	default:
		return adm_dbfail(r, rc);
	}
}

/* Adds the form's values (typed, or of the stored task t when tf is NULL) and the selects. */
static void
task_values(const struct req *r, cJSON *ctx, const struct choices *c,
    const struct task *t, const struct task_form *tf, int64_t list_id, int64_t stamp)
{
	cJSON	*fo = cJSON_AddObjectToObject(ctx, "form");
	char	 d[ADM_TIME_LEN], s[24], rem[REM_TEXT_BYTES * 2];
	int	 st;

	if (tf != NULL) {
		cJSON_AddStringToObject(fo, "name", tf->name ? tf->name : "");
		cJSON_AddStringToObject(fo, "description", tf->description ? tf->description : "");
		cJSON_AddStringToObject(fo, "complete_before", tf->deadline ? tf->deadline : "");
		cJSON_AddStringToObject(fo, "reminders", tf->reminders ? tf->reminders : "");
		st = status_index(tf->status);
	} else if (t != NULL) {
		cJSON_AddStringToObject(fo, "name", t->name);
		cJSON_AddStringToObject(fo, "description", t->description);
		adm_time_input(r, t->complete_before, d);
		cJSON_AddStringToObject(fo, "complete_before", d);
		rem_offsets_show(t->reminders, rem);
		cJSON_AddStringToObject(fo, "reminders", rem);
		st = t->status;
	} else
		st = TS_PENDING;
	snprintf(s, sizeof(s), "%" PRId64, stamp);
	cJSON_AddStringToObject(fo, "updated_at", s);
	adm_rec_values(r, ctx, fo, tf != NULL ? &tf->rec : NULL, t != NULL ? &t->rec : NULL);
	cJSON_AddItemToObject(ctx, "status_opts", status_options(st, 0));
	cJSON_AddItemToObject(ctx, "user_opts", id_options(c->users, c->nusers,
	    tf ? (tf->in.assigned_to) : t ? t->assigned_to : 0,
	    t ? t->assignee_name : NULL, "---------"));
	cJSON_AddItemToObject(ctx, "list_opts", id_options(c->lists, c->nlists,
	    list_id, NULL, "---------"));
}

/* GET, POST tasks/add/ */
int
adm_task_add(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct task_form tf;
	struct choices c;
	struct form f;
	enum rule why = RULE_OK;
	enum dbrc rc;
	int64_t	 id, list_id = adm_parse_id(adm_param(r, "list"));
	char	 loc[48];
	cJSON	*ctx;
	int	 st;

	if ((rc = load_choices(r, &c, 1)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Add task", "tasks")) == NULL)
		return 500;
	cJSON_AddTrueToObject(ctx, "adding");
	if (r->method != M_POST) {
		task_values(r, ctx, &c, NULL, NULL, list_id > 0 ? list_id : 0, 0);
		return adm_render(r, 200, "task_form", ctx);
	}
	if ((st = adm_read_form(r, &f)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	if (read_task_form(&r->arena, r->zone, &f, ctx, &tf, 1)) {
		rc = tasks_create(&r->app->db, &me, tf.list_id, &tf.in, &id, &why,
		    NULL, NULL);
		if (rc == DB_OK) {
			cJSON_Delete(ctx);
			snprintf(loc, sizeof(loc), "tasks/%" PRId64 "/?saved=1", id);
			return adm_redirect(r, loc);
		}
		if ((st = task_refused(r, ctx, rc, why)) != 0) {
			cJSON_Delete(ctx);
			return st;
		}
	}
	task_values(r, ctx, &c, NULL, &tf, tf.list_id > 0 ? tf.list_id : 0, 0);
	return adm_render(r, 200, "task_form", ctx);
}

/* Adds what the edit page shows of the stored task. */
static void
task_facts(struct req *r, cJSON *ctx, const struct task *t)
{
	adm_add_id(ctx, "id", t->id);
	adm_add_id(ctx, "list_id", t->list_id);
	cJSON_AddStringToObject(ctx, "list_name", t->list_name);
	cJSON_AddStringToObject(ctx, "name_shown", t->name);
	cJSON_AddStringToObject(ctx, "status_shown", task_status_names[t->status]);
	adm_rec_text(r, ctx, &t->rec);
	adm_add_time(r, ctx, "created", t->created_at);
	adm_add_time(r, ctx, "updated", t->updated_at);
}

/* GET, POST tasks/{id}/ ("_saveasnew" in the post creates a copy instead) */
int
adm_task_edit(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct task t;
	struct task_form tf;
	struct choices c;
	struct form f;
	enum rule why = RULE_OK;
	enum dbrc rc;
	int64_t	 id = 0;
	char	 loc[48];
	cJSON	*ctx;
	int	 st, as_new;

	if ((rc = tasks_get_visible(&r->app->db, &me, r->ids[0], &r->arena, &t)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((rc = load_choices(r, &c, 0)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Change task", "tasks")) == NULL)
		return 500;
	task_facts(r, ctx, &t);
	if ((st = adm_rec_completions(r, ctx, t.id)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	if ((rc = adm_task_notes(r, ctx, t.id)) != DB_OK) {
		cJSON_Delete(ctx);
		return adm_dbfail(r, rc);
	}
	if (r->method != M_POST) {
		if (adm_param(r, "saved") != NULL)
			cJSON_AddTrueToObject(ctx, "saved");
		if (adm_param(r, "commented") != NULL)
			cJSON_AddTrueToObject(ctx, "commented");
		if (adm_param(r, "comment_deleted") != NULL)
			cJSON_AddTrueToObject(ctx, "comment_deleted");
		if (adm_param(r, "comment_error") != NULL)
			cJSON_AddTrueToObject(ctx, "comment_error");
		task_values(r, ctx, &c, &t, NULL, t.list_id, t.updated_at);
		return adm_render(r, 200, "task_form", ctx);
	}
	if ((st = adm_read_form(r, &f)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	as_new = form_has(&f, "_saveasnew");
	if (read_task_form(&r->arena, r->zone, &f, ctx, &tf, 0)) {
		if (!as_new && tf.expect < 0)
			rc = DB_CONFLICT;
		else if (as_new)
			rc = tasks_create(&r->app->db, &me, t.list_id, &tf.in, &id, &why,
				    NULL, NULL);
		else {
			id = t.id;
			rc = tasks_update_locked(&r->app->db, &me, t.id, tf.expect,
				    &tf.in, &why, NULL, NULL);
		}
		if (rc == DB_OK) {
			cJSON_Delete(ctx);
			snprintf(loc, sizeof(loc), "tasks/%" PRId64 "/?saved=1", id);
			return adm_redirect(r, loc);
		}
		if ((st = task_refused(r, ctx, rc, why)) != 0) {
			cJSON_Delete(ctx);
			return st;
		}
	}
	/* after a conflict the next save is a knowing overwrite of what is shown */
	task_values(r, ctx, &c, &t, &tf, t.list_id,
	    cJSON_GetObjectItemCaseSensitive(ctx, "conflict") || tf.expect < 0 ?
	    t.updated_at : tf.expect);
	return adm_render(r, 200, "task_form", ctx);
}

/* GET, POST tasks/{id}/delete/ */
int
adm_task_delete(struct req *r)
{
	struct actor me = { r->user.id, 1 };
	struct task t;
	struct form f;
	enum dbrc rc;
	cJSON	*ctx;
	int	 st;

	if ((rc = tasks_get_visible(&r->app->db, &me, r->ids[0], &r->arena, &t)) != DB_OK)
		return adm_dbfail(r, rc);
	if (r->method == M_POST) {
		if ((st = adm_read_form(r, &f)) != 0)
			return st;
		if ((rc = tasks_delete(&r->app->db, &me, t.id)) != DB_OK)
			return adm_dbfail(r, rc);
		return adm_redirect(r, "tasks/?deleted=1");
	}
	if ((ctx = adm_ctx(r, "Delete task", "tasks")) == NULL)
		return 500;
	task_facts(r, ctx, &t);
	if (t.assignee_name != NULL)
		cJSON_AddStringToObject(ctx, "assignee", t.assignee_name);
	return adm_render(r, 200, "task_delete", ctx);
}
