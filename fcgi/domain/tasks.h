/*
 * tasks: tasks in lists -- visibility, the status machine, optimistic
 * locking and the overdue sweep (the pages: task_pages.h).  Every writer (API,
 * admin pages, worker, bot) goes through these functions, so the rules below
 * hold everywhere.
 *
 * Visibility and rights: members.h (task_access(): a task is seen by its
 * list's owner and members and by its assignee; viewers read; the assignee
 * also updates and completes; editors and the owner also create and
 * delete; an actor with sees_all may do everything).  Not visible:
 * DB_NOTFOUND; visible but not allowed: DB_FORBIDDEN.
 *
 * Status machine (task_settle() is the one place):
 *   - on every save (create, update), a task with an assignee whose status
 *     is Pending becomes In Progress;
 *   - complete (tasks_complete) only from In Progress, else DB_INVALID with
 *     RULE_NOT_COMPLETABLE and nothing changed;
 *   - the sweep (tasks_mark_overdue) turns every task whose deadline has
 *     passed and whose status is Pending or In Progress into Overdue.
 *
 * Locking: tasks_update_locked compares updated_at with the value the
 * client read and writes in one transaction (DB_CONFLICT on mismatch).
 * Every write sets updated_at = max(now, old + 1): strictly increasing.
 *
 * Recurring tasks (recurrence.h, task_recur.h): a task with a rule needs a
 * deadline (RULE_NEEDS_DEADLINE).  Every change to Completed -- complete,
 * or an update that sets the status -- records a completion; a recurring
 * task then moves to its next deadline (In Progress when assigned, else
 * Pending) in the same transaction, or stays Completed once its rule ends.
 *
 * Reminders (reminders.h) are rescheduled in the same transaction by
 * every write that changes a deadline, status, assignee or reminders.
 *
 * Change records (notices.h) are written in the same transaction:
 * task_updated events to owner, assignee and the list's members on create,
 * update, delete, complete and overdue; notices on assignee changes and on
 * overdue; and one row of the task's history (activity.h) per create,
 * update that changes a field, complete and overdue, with the fields' old
 * and new values (one INSERT: the old values are those the write already
 * read); and the webhook deliveries of task.created, task.updated (overdue
 * too), task.completed and task.deleted (webhooks.h).
 */
#ifndef TASKMGR_TASKS_H
#define TASKMGR_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "lists.h"
#include "recurrence.h"

struct arena;

enum task_status { TS_PENDING = 0, TS_IN_PROGRESS, TS_COMPLETED, TS_OVERDUE };
/* "Pending", "In Progress", "Completed", "Overdue", NULL: indexed by enum task_status. */
extern const char *const task_status_names[];

struct task {
	int64_t		 id;
	int64_t		 list_id;
	int64_t		 owner_id;	/* the list's owner */
	const char	*name;
	const char	*description;
	const char	*list_name;
	int64_t		 assigned_to;	/* 0: nobody */
	const char	*assignee_name;	/* NULL: nobody */
	int64_t		 complete_before;	/* TIME_NULL: no deadline */
	int		 status;	/* enum task_status */
	int64_t		 created_at;
	int64_t		 updated_at;
	struct recurrence rec;		/* rec.every 0: not recurring */
	int64_t		 rec_anchor;	/* recurrence.h; read by tasks_get_visible only */
	/* read by tasks_get_visible only (pages leave them 0) */
	int		 access;	/* the reader's enum task_access (members.h) */
	int64_t		 member_count;	/* the list's members */
	int64_t		 hook_gen;	/* the list's (webhooks.h) */
	const char	*reminders;	/* canonical offsets ("[60]", "[]"); NULL: the recipient's */
};

/* The fields a create or update sets (TF_* bits in set). */
#define TF_NAME		0x01
#define TF_DESCRIPTION	0x02
#define TF_ASSIGNED_TO	0x04
#define TF_DEADLINE	0x08
#define TF_STATUS	0x10
#define TF_RECURRENCE	0x20
#define TF_REMINDERS	0x40

struct task_input {
	unsigned	 set;
	const char	*name;
	const char	*description;
	int64_t		 assigned_to;	/* 0: nobody */
	int64_t		 complete_before;	/* TIME_NULL: none */
	int		 status;
	struct recurrence rec;		/* every 0: none */
	const char	*reminders;	/* reminders.h's canonical text; NULL: the recipient's */
};

/* A page callback: one task row, valid only during the call. */
typedef void (*task_row_fn)(void *ctx, const struct task *);

/* The stored status text ("Pending", ...) as enum task_status. */
int	 task_status_of(const char *);

/*
 * Checks the values of in and trims its texts (tasks_create and
 * tasks_update_locked do, first): *v is in with the name trimmed into nbuf
 * (NAME_BYTES) and the description trimmed to its first *dlen bytes (not
 * NUL-terminated).  RULE_OK or RULE_BAD_VALUE.
 */
enum rule task_input_check(const struct task_input *in, struct task_input *v,
	    char *nbuf, size_t *dlen);

/*
 * Creates a task in list_id, which the actor must own or edit (DB_FORBIDDEN
 * for a viewer, else DB_NOTFOUND).
 * in->name is required; the other fields default (empty description,
 * nobody, no deadline, Pending).  DB_INVALID with *why: NAME_TAKEN,
 * BAD_VALUE, BAD_ASSIGNEE (not an active user).  With out (may be NULL),
 * the new task as stored, strings in the arena, without reading it back.
 */
enum dbrc tasks_create(struct db *, const struct actor *, int64_t list_id,
	    const struct task_input *in, int64_t *id, enum rule *why,
	    struct arena *, struct task *out);
/* Reads a task the actor may see into t (strings in the arena); DB_NOTFOUND otherwise. */
enum dbrc tasks_get_visible(struct db *, const struct actor *, int64_t id,
	    struct arena *, struct task *t);
/*
 * Applies the fields of in to a visible task when its updated_at still
 * equals expect, in one transaction: DB_CONFLICT when it changed,
 * DB_NOTFOUND when not visible, DB_FORBIDDEN for a viewer (who is not the
 * assignee), DB_INVALID with *why.  Then the status
 * machine runs and the change records are written.  With out (may be
 * NULL), the task as updated, strings in the arena, without reading it
 * back.
 */
enum dbrc tasks_update_locked(struct db *, const struct actor *, int64_t id,
	    int64_t expect, const struct task_input *in, enum rule *why,
	    struct arena *, struct task *out);
/*
 * Deletes a task: the owner and editors may, a viewer or the assignee gets
 * DB_FORBIDDEN, others DB_NOTFOUND.
 */
enum dbrc tasks_delete(struct db *, const struct actor *, int64_t id);
/* What a completion did (tasks_complete). */
struct task_done {
	int		 recurring;	/* the task has a rule */
	int64_t		 next;		/* its new deadline; TIME_NULL: completed for good */
};

/*
 * Completes a visible task that is In Progress (DB_FORBIDDEN for a viewer
 * who is not the assignee); otherwise DB_INVALID with RULE_NOT_COMPLETABLE
 * and the task unchanged.  The completion is recorded (task_recur.h); a
 * recurring task moves to its next deadline instead of staying Completed,
 * unless its rule has ended.  done may be NULL.
 */
enum dbrc tasks_complete(struct db *, const struct actor *, int64_t id,
	    enum rule *why, struct task_done *done);
/*
 * The overdue sweep: every task whose complete_before < now and whose
 * status is Pending or In Progress becomes Overdue (events to owner and
 * assignee, a notice to the assignee), in transactions of a few hundred
 * tasks.  *marked counts them.
 */
enum dbrc tasks_mark_overdue(struct db *, int64_t now, int64_t *marked);

#endif
