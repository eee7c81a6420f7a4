/*
 * task_rows: the reads a task write starts with (domain-internal, for
 * tasks.c and task_sweep.c): the row as the API answers it, the head a
 * write checks its rules against, the list a new task goes into.
 */
#ifndef TASK_ROWS_H
#define TASK_ROWS_H

#include <stdint.h>

#include "db.h"
#include "recurrence.h"
#include "tasks.h"

/* What a write needs to know of the current row. */
struct task_head {
	int64_t		 list_id;
	int64_t		 member_count;
	int64_t		 hook_gen;	/* the list's (webhooks.h) */
	int		 access;	/* enum task_access */
	int64_t		 owner_id;
	int64_t		 assigned_to;
	int64_t		 complete_before;
	int64_t		 updated_at;
	int		 status;
	struct recurrence rec;
	int64_t		 anchor;
	char		 name[NAME_BYTES];
};

/*
 * Reads the head of a task the actor may see (inside the write
 * transaction); with desc, its description too (the history records it).
 * DB_NOTFOUND when the actor may not see it.
 */
enum dbrc task_head_read(struct db *, const struct actor *, int64_t id,
	    struct task_head *, struct buf *desc);
/* task_head_read's answer from the whole row, read into t (strings in a). */
enum dbrc task_head_row(struct db *, const struct actor *, int64_t id,
	    struct arena *, struct task *t, struct task_head *);
/*
 * The owner and member count of a list the actor may add tasks to, and
 * with a its name (in a); DB_FORBIDDEN for a viewer, DB_NOTFOUND otherwise.
 */
enum dbrc task_list_owner(struct db *, const struct actor *, int64_t list_id,
	    int64_t *owner, int64_t *members, int64_t *hook_gen, struct arena *,
	    const char **name);
/* DB_OK when id is an active user (its name in a), DB_INVALID when not. */
enum dbrc task_assignee_check(struct db *, int64_t id, struct arena *, const char **name);
/* Sets a task's status and moves updated_at on; the task must exist. */
enum dbrc task_set_status(struct db *, int64_t id, int status, int64_t now);

#endif
