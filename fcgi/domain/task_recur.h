/*
 * task_recur: the storage side of recurring tasks and completions -- the
 * zone a task's deadlines step in, the completion records, the move to the
 * next deadline, and the completions page.  The arithmetic is
 * recurrence.h's; the rules of when a completion happens are tasks.h's.
 */
#ifndef TASKMGR_TASK_RECUR_H
#define TASKMGR_TASK_RECUR_H

#include <stdint.h>

#include "db.h"
#include "recurrence.h"

struct arena;
struct tz;

/*
 * A task's rule and its own reminders as one result column, for statements
 * that read many rows (the task pages): each result column costs a page of
 * 20 rows about 5,000 instructions, and most tasks have neither.  NULL for
 * a task with neither; the reminders text ("[60,1440]", it starts with '[')
 * for one with reminders only; else "every unit from until reminders"
 * ("2 week deadline - [60]": until in microseconds or "-", the reminders
 * text or nothing).  Read back by task_extras_unpack.
 */
#define TASK_EXTRAS_SQL(t) \
	"CASE WHEN " t ".rec_every IS NULL THEN " t ".reminders ELSE " \
	t ".rec_every || ' ' || " t ".rec_unit || ' ' || " t ".rec_from || ' ' || " \
	"coalesce(CAST(" t ".rec_until AS TEXT), '-') || ' ' || coalesce(" t ".reminders, '')" \
	" END"
/* Fills r and *reminders (NULL: none; points into s) from TASK_EXTRAS_SQL's s. */
void	 task_extras_unpack(const char *s, struct recurrence *r, const char **reminders);
/* A task's rule columns (rec_every, rec_unit, rec_from, rec_until) from column col of st. */
void	 task_rec_read(sqlite3_stmt *st, int col, struct recurrence *r);
/* Binds a rule to ?i .. ?i+3 (all NULL when not recurring). */
void	 task_rec_bind(sqlite3_stmt *st, int i, const struct recurrence *r);

/*
 * The zone a task's deadlines step in: its recipient's (the assignee, else
 * the list's owner).  Until users have a time zone of their own, the
 * server's (the time_zone setting); never NULL (UTC at worst).
 */
const struct tz *task_zone(struct db *, int64_t owner_id, int64_t assignee_id);

/*
 * Records that task id was completed at now by user by (0: nobody), its
 * deadline having been deadline; then, when rec is a rule, computes the
 * next deadline (recurrence.h, from anchor in the task's zone) and moves
 * the task there: complete_before, status (In Progress when assigned,
 * else Pending) and updated_at = stamp.  *next is that deadline, or
 * TIME_NULL when the task was not moved (no rule, or the rule has ended):
 * the caller then keeps it Completed.  Inside the caller's transaction.
 */
enum dbrc task_completion(struct db *, int64_t id, int64_t by, int64_t owner_id,
	    int64_t assignee_id, int64_t deadline, const struct recurrence *rec,
	    int64_t anchor, int64_t now, int64_t stamp, int64_t *next);

/*
 * The records of a recurring task's move (task_completion moved it from
 * deadline from to to): an "updated" event to its owner and assignee and a
 * history row {complete_before, status: [Completed, the new status]} by
 * actor.  Inside the caller's transaction, after the completion's own.
 */
enum dbrc task_moved(struct db *, int64_t id, int64_t actor, int64_t owner_id,
	    int64_t assignee_id, int64_t from, int64_t to, int64_t now);

/* One completion, as the completions page shows it. */
struct completion {
	int64_t		 id;
	int64_t		 completed_at;
	int64_t		 complete_before;	/* TIME_NULL: the task had none */
	int64_t		 completed_by;		/* 0: a user since deleted, or nobody */
	const char	*completed_by_username;	/* NULL with completed_by 0 */
};

/*
 * The completions of task task_id, newest first: *count of them, and
 * limit of them from offset into *rows (*n; strings in the arena), read
 * in one snapshot.  The caller checked that the task may be seen.
 */
enum dbrc task_completions_page(struct db *, int64_t task_id, int64_t limit,
	    int64_t offset, struct arena *, int64_t *count, struct completion **rows,
	    size_t *n);

#endif
