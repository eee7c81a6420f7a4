/* task_recur: recurrence on the task admin pages, and the completions shown there. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "adm_recur.h"
#include "app.h"
#include "form.h"
#include "request.h"
#include "task_recur.h"
#include "tasks.h"
#include "timeutil.h"

#define COMPLETIONS_SHOWN	20

/* The index of name in names, or -1. */
static int
name_index(const char *const *names, const char *s)
{
	int	 i;

	for (i = 0; s != NULL && names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *
adm_rec_read(const struct form *f, const struct tz *zone, struct rec_form *typed,
    struct task_input *in, const char **field)
{
	struct recurrence *rec = &in->rec;
	char	*end;
	long	 n;
	int	 i;

	typed->every = form_get(f, "rec_every");
	typed->unit = form_get(f, "rec_unit");
	typed->from = form_get(f, "rec_from");
	typed->until = form_get(f, "rec_until");
	memset(rec, 0, sizeof(*rec));
	rec->until = TIME_NULL;
	in->set |= TF_RECURRENCE;
	if (typed->every == NULL || *typed->every == '\0')
		return NULL;
	*field = "rec_every";
	n = strtol(typed->every, &end, 10);
	if (*typed->every < '0' || *typed->every > '9' || *end != '\0' || n < 1 ||
	    n > REC_EVERY_MAX)
		return "Enter a whole number from 1 to 1000.";
	rec->every = (int)n;
	*field = "rec_unit";
	if ((i = name_index(rec_unit_names, typed->unit)) < 0)
		return "Select a valid choice.";
	rec->unit = i;
	*field = "rec_from";
	if (typed->from != NULL && *typed->from != '\0' &&
	    (i = name_index(rec_from_names, typed->from)) < 0)
		return "Select a valid choice.";
	rec->from = typed->from != NULL && *typed->from != '\0' ? i : RF_DEADLINE;
	*field = "rec_until";
	if (typed->until != NULL && *typed->until != '\0' &&
	    rfc3339_parse_in(typed->until, strlen(typed->until), zone, &rec->until) < 0)
		return "Enter a valid date and time.";
	return NULL;
}

/* Appends {value, label, selected} options of names (after an optional "" first). */
static cJSON *
name_options(const char *const *names, const char *const *labels, const char *none,
    int sel)
{
	cJSON	*arr = cJSON_CreateArray(), *o;
	int	 i;

	if (arr == NULL)
		return NULL;
	for (i = none != NULL ? -1 : 0; i < 0 || names[i] != NULL; i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddStringToObject(o, "value", i < 0 ? "" : names[i]);
		cJSON_AddStringToObject(o, "label", i < 0 ? none : labels[i]);
		if (i == sel)
			cJSON_AddTrueToObject(o, "selected");
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void
adm_rec_values(const struct req *r, cJSON *ctx, cJSON *fo, const struct rec_form *typed,
    const struct recurrence *rec)
{
	static const char *const unit_labels[] = { "days", "weeks", "months", "years" };
	static const char *const from_labels[] = {
		"the deadline (keeps the schedule)", "the completion",
	};
	char	 s[ADM_TIME_LEN];
	int	 unit = -1, from = RF_DEADLINE;

	if (typed != NULL) {
		cJSON_AddStringToObject(fo, "rec_every", typed->every ? typed->every : "");
		cJSON_AddStringToObject(fo, "rec_until", typed->until ? typed->until : "");
		unit = name_index(rec_unit_names, typed->unit);
		if ((from = name_index(rec_from_names, typed->from)) < 0)
			from = RF_DEADLINE;
	} else if (rec != NULL && rec->every > 0) {
		snprintf(s, sizeof(s), "%d", rec->every);
		cJSON_AddStringToObject(fo, "rec_every", s);
		s[0] = '\0';
		if (rec->until != TIME_NULL)
			adm_time_input(r, rec->until, s);
		cJSON_AddStringToObject(fo, "rec_until", s);
		unit = rec->unit;
		from = rec->from;
	} else {
		cJSON_AddStringToObject(fo, "rec_every", "");
		cJSON_AddStringToObject(fo, "rec_until", "");
	}
	cJSON_AddItemToObject(ctx, "rec_unit_opts",
	    name_options(rec_unit_names, unit_labels, "---------", unit));
	cJSON_AddItemToObject(ctx, "rec_from_opts",
	    name_options(rec_from_names, from_labels, NULL, from));
}

void
adm_rec_text(const struct req *r, cJSON *o, const struct recurrence *rec)
{
	static const char *const one[] = { "day", "week", "month", "year" };
	static const char *const many[] = { "days", "weeks", "months", "years" };
	char	 t[ADM_TIME_LEN], s[160];
	int	 n;

	if (rec->every < 1)
		return;
	if (rec->every == 1)
		n = snprintf(s, sizeof(s), "every %s", one[rec->unit]);
	else
		n = snprintf(s, sizeof(s), "every %d %s", rec->every, many[rec->unit]);
	if (rec->from == RF_COMPLETION)
		n += snprintf(s + n, sizeof(s) - (size_t)n, " after completion");
	if (rec->until != TIME_NULL) {
		adm_time(r, rec->until, t);
		snprintf(s + n, sizeof(s) - (size_t)n, ", until %s", t);
	}
	cJSON_AddStringToObject(o, "repeats", s);
}

int
adm_rec_completions(struct req *r, cJSON *ctx, int64_t task_id)
{
	struct completion *rows;
	int64_t	 count;
	size_t	 n, i;
	cJSON	*arr, *o;
	enum dbrc rc;

	rc = task_completions_page(&r->app->db, task_id, COMPLETIONS_SHOWN, 0, &r->arena,
	    &count, &rows, &n);
	if (rc != DB_OK)
		return adm_dbfail(r, rc);
	if (count == 0)
		return 0;
	adm_add_count(ctx, "completions_count", count, "completion", "completions");
	if ((arr = cJSON_AddArrayToObject(ctx, "completions")) == NULL)
		return 500;
	for (i = 0; i < n; i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			return 500;
		cJSON_AddItemToArray(arr, o);
		adm_add_time(r, o, "at", rows[i].completed_at);
		if (rows[i].complete_before != TIME_NULL)
			adm_add_time(r, o, "deadline", rows[i].complete_before);
		if (rows[i].completed_by_username != NULL) {
			adm_add_id(o, "by_id", rows[i].completed_by);
			cJSON_AddStringToObject(o, "by", rows[i].completed_by_username);
		}
	}
	if (count > (int64_t)n)
		cJSON_AddTrueToObject(ctx, "completions_more");
	return 0;
}
