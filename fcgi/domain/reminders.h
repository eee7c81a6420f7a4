/*
 * reminders: notices before a task's deadline, scheduled as rows of the
 * reminders table (sql/014_reminders.sql) and sent by `taskmgr worker`.
 *
 * The recipient of a task's reminders is its assignee, or its list's owner
 * when it is unassigned.  The offsets (minutes before the deadline) are the
 * task's own list (tasks.reminders), else the recipient's reminder_offsets,
 * else REM_DEFAULT_OFFSET.  One row per (task, deadline, offset,
 * recipient): reminders_sync keeps the waiting rows equal to what the task
 * wants now, in the caller's transaction; a row once sent or dropped stays,
 * so that reminder never goes out again.  A Completed task, or one without
 * a deadline or whose deadline has passed, wants none.
 *
 * Every write that can change a task's deadline, status, recipient or
 * reminders calls reminders_sync(db, task_id) inside its transaction; a
 * change of a user's reminder_offsets calls reminders_sync_recipient.
 */
#ifndef TASKMGR_REMINDERS_H
#define TASKMGR_REMINDERS_H

#include <stdint.h>

#include "db.h"
#include "user_settings.h"

struct tz;

#define REM_MAX_OFFSETS		USER_MAX_OFFSETS
#define REM_MAX_MINUTES		USER_OFFSET_MAX		/* a year */
#define REM_DEFAULT_OFFSET	USER_DEFAULT_OFFSET
/* the canonical text of a list of offsets: "[525600,...]" and its NUL */
#define REM_TEXT_BYTES		(2 + REM_MAX_OFFSETS * 7 + 1)

/* Why a list of offsets was refused (rem_offsets_check). */
enum rem_bad {
	REM_OK = 0,
	REM_TOO_MANY,		/* more than REM_MAX_OFFSETS */
	REM_TOO_SMALL,		/* an offset below 1 */
	REM_TOO_BIG,		/* an offset above REM_MAX_MINUTES */
	REM_DUPLICATE,		/* the same offset twice */
	REM_NOT_NUMBER,		/* typed text that is not a list of numbers */
};

/*
 * The one check of a list of offsets, a task's reminders as a user's
 * reminder_offsets: n offsets (minutes), at most REM_MAX_OFFSETS, distinct,
 * in 1..REM_MAX_MINUTES.  Writes their canonical text ("[60,1440]", in the
 * given order) into out.  REM_OK, or why not (out then ""): too many first,
 * then a value out of range, then a duplicate.
 */
enum rem_bad rem_offsets_check(const int64_t *v, int n, char out[REM_TEXT_BYTES]);
/*
 * Reads a canonical text back into off (REM_MAX_OFFSETS room): the number
 * of offsets, or -1 when text is not one (NULL included).
 */
int	 rem_offsets_parse(const char *text, int *off);

/*
 * The same from text a person typed (the admin form): numbers separated by
 * commas or spaces, "none" for [], blank for the default (*dflt set, out
 * "").
 */
enum rem_bad rem_offsets_typed(const char *s, char out[REM_TEXT_BYTES], int *dflt);
/* A canonical text as a person reads it ("60, 1440", "none"); "" for NULL. */
void	 rem_offsets_show(const char *text, char out[REM_TEXT_BYTES * 2]);

/*
 * A task's offsets: its own list (own: tasks.reminders, NULL when it has
 * none), else its recipient's defaults (dflt: users.reminder_offsets),
 * else REM_DEFAULT_OFFSET; into off (REM_MAX_OFFSETS room).  Returns how
 * many.  The one rule for the worker's reminders and the calendar's alarms.
 */
int	 rem_offsets_effective(const char *own, const char *dflt, int *off);

/* One wanted reminder: its offset and when it is due. */
struct rem_slot {
	int		 offset_min;
	int64_t		 due_at;
};

/*
 * The scheduling rule, without the database: the reminders a task with
 * this deadline (TIME_NULL: none) and status (enum task_status) wants at
 * now for its n offsets, into slots (n room).  Returns how many: none for
 * a Completed task or a deadline not after now.
 */
int	 rem_plan(int64_t deadline, int status, int64_t now, const int *off, int n,
	    struct rem_slot *slots);

/*
 * Makes the task's waiting reminder rows what it wants at now_us(): deletes
 * those no longer wanted, inserts the missing ones (a sent one is never
 * inserted again).  Runs in the caller's transaction (opens one if none);
 * a task that is gone has nothing to do.
 */
enum dbrc reminders_sync(struct db *, int64_t task_id);
/* reminders_sync for every open task with a deadline whose recipient is user_id
 * and that follows the recipient's offsets (its reminders are null). */
enum dbrc reminders_sync_recipient(struct db *, int64_t user_id);

/*
 * The worker's pass: every waiting reminder with due_at <= now becomes one
 * notice (outbox and a 'task_reminder' event, the deadline written in the
 * recipient's zone, zone when the user has none) and is marked sent in the
 * same transaction; one whose deadline is not after now is marked dropped.
 * Batches of a few hundred; *sent and *dropped count them.
 */
enum dbrc reminders_send_due(struct db *, int64_t now, const struct tz *zone,
	    int64_t *sent, int64_t *dropped);
/* The due_at of the next waiting reminder into *at, TIME_NULL when none. */
enum dbrc reminders_next_due(struct db *, int64_t *at);
/* How many reminders wait (GET /metrics). */
enum dbrc reminders_pending(struct db *, int64_t *n);

/*
 * Writes "YYYY-MM-DD HH:MM ABBR" (the instant us in zone) into out
 * (REM_TIME_BYTES).
 */
#define REM_TIME_BYTES 48
void	 rem_format_time(const struct tz *zone, int64_t us, char out[REM_TIME_BYTES]);

#endif
