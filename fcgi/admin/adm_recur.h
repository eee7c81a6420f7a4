/*
 * adm_recur: the recurring-task parts of the task admin pages -- the
 * recurrence fields of the task form, the rule as text, and the task's
 * completions (admin/task_recur.c).
 */
#ifndef TASKMGR_ADM_RECUR_H
#define TASKMGR_ADM_RECUR_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct form;
struct recurrence;
struct req;
struct task_input;

/* The recurrence fields of a posted task form, as typed. */
struct tz;

struct rec_form {
	const char	*every, *unit, *from, *until;
};

/*
 * Reads the recurrence fields of f into in->rec and sets TF_RECURRENCE
 * (an empty "every" is no rule); typed keeps what was posted.  NULL, or a
 * message for the field named in *field.
 */
const char *adm_rec_read(const struct form *f, const struct tz *zone,
	    struct rec_form *typed, struct task_input *in, const char **field);
/* Adds the recurrence values (typed, else of rec) to fo and their selects to ctx. */
void	 adm_rec_values(const struct req *, cJSON *ctx, cJSON *fo,
	    const struct rec_form *typed, const struct recurrence *rec);
/* Adds "repeats" (the rule as text, e.g. "every 2 weeks, until ...") to o; none for no rule. */
void	 adm_rec_text(const struct req *, cJSON *o, const struct recurrence *);
/* Adds the task's newest completions ("completions") and their count; 0 or an HTTP status. */
int	 adm_rec_completions(struct req *, cJSON *ctx, int64_t task_id);

#endif
