/* task_input: what a task's create or update writes, checked and trimmed. */
#include <string.h>

#include "reminders.h"
#include "tasks.h"
#include "utf8.h"

enum rule
task_input_check(const struct task_input *in, struct task_input *v, char *nbuf,
    size_t *dlen)
{
	int	 off[REM_MAX_OFFSETS];

	*v = *in;
	*dlen = 0;
	if (in->set & TF_NAME) {
		if (name_clean(in->name, nbuf) < 0)
			return RULE_BAD_VALUE;
		v->name = nbuf;
	}
	if (in->set & TF_DESCRIPTION) {
		if (in->description == NULL ||
		    !utf8_valid(in->description, strlen(in->description)))
			return RULE_BAD_VALUE;
		v->description = utf8_strip(in->description, strlen(in->description), dlen);
	}
	if ((in->set & TF_STATUS) && (in->status < TS_PENDING || in->status > TS_OVERDUE))
		return RULE_BAD_VALUE;
	if ((in->set & TF_ASSIGNED_TO) && in->assigned_to < 0)
		return RULE_BAD_VALUE;
	if ((in->set & TF_REMINDERS) && in->reminders != NULL &&
	    rem_offsets_parse(in->reminders, off) < 0)
		return RULE_BAD_VALUE;
	if ((in->set & TF_RECURRENCE) && in->rec.every != 0 &&
	    (in->rec.every < 1 || in->rec.every > REC_EVERY_MAX ||
	    in->rec.unit < RU_DAY || in->rec.unit > RU_YEAR ||
	    in->rec.from < RF_DEADLINE || in->rec.from > RF_COMPLETION))
		return RULE_BAD_VALUE;
	return RULE_OK;
}
