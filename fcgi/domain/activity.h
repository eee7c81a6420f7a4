/*
 * activity: each task's history -- one task_activity row per change, written
 * by the change's writer inside its transaction (sql/013_comments_activity.sql).
 *
 * A row: who (actor_id, NULL for the worker), when, the action (created,
 * updated, completed, commented, reminded, overdue) and changes, a JSON
 * object {field: [old, new]} of the task fields that changed, in the API's
 * spelling: name and description as strings, assigned_to as a user id,
 * complete_before as an RFC 3339 time, status as its name; null for none.
 * What each action records:
 *   created    every field that is not at its default, old value null
 *              (name and status always; description when not empty;
 *              assigned_to and complete_before when set);
 *   updated    the fields whose value really changed (a save that changes
 *              none records nothing); "completed" instead when the save
 *              made the task Completed;
 *   completed  {"status": [old, "Completed"]} (tasks_complete);
 *   overdue    {"status": [old, "Overdue"]} (the sweep, actor NULL);
 *   commented  {} (comments_create);
 *   reminded   what the caller passes (the reminders worker).
 * The changes are built in a struct buf by the act_* writers below, without
 * cJSON: the create and update paths are hot.
 */
#ifndef TASKMGR_ACTIVITY_H
#define TASKMGR_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct buf;
struct task_input;

/*
 * Writes one history row: actor 0 is the worker (NULL), changes a JSON
 * object (NULL: {}).  One prepared INSERT; call it inside the change's
 * transaction.
 */
enum dbrc activity_record(struct db *, int64_t task_id, int64_t actor,
	    const char *action, const char *changes, int64_t now);

/* Writers of a changes object: act_begin, then one act_* per field, act_end. */
void	 act_begin(struct buf *);
/* "field": [old, new] of texts (NULL: null), of old_n and new_n bytes. */
void	 act_text(struct buf *, const char *field, const char *old, size_t old_n,
	    const char *new, size_t new_n);
/* Of ids (0 or less: null). */
void	 act_id(struct buf *, const char *field, int64_t old, int64_t new);
/* Of times (TIME_NULL: null). */
void	 act_time(struct buf *, const char *field, int64_t old, int64_t new);
void	 act_end(struct buf *);

/*
 * The records of tasks.c's writes.  activity_created: a new task, in its
 * values (in: name; desc: the description's dlen bytes; the assignee, 0:
 * none; the settled status; a deadline when in->set has TF_DEADLINE).
 * activity_updated: the fields of mask (TF_* bits) from old (name,
 * assigned_to, complete_before, status) and the old description od (odlen
 * bytes) to w (the description's first dlen bytes); nothing when mask is
 * 0.  activity_status: {"status": [from, to]} (enum task_status).
 */
enum dbrc activity_created(struct db *, int64_t task_id, int64_t actor,
	    const struct task_input *in, const char *desc, size_t dlen,
	    int64_t assignee, int status, int64_t now);
enum dbrc activity_updated(struct db *, int64_t task_id, int64_t actor,
	    const char *action, unsigned mask, const struct task_input *old,
	    const char *od, size_t odlen, const struct task_input *w, size_t dlen,
	    int64_t now);
enum dbrc activity_status(struct db *, int64_t task_id, int64_t actor,
	    const char *action, int from, int to, int64_t now);

struct activity {
	int64_t		 id;
	int64_t		 at;
	int64_t		 actor_id;	/* 0: the worker (null) */
	const char	*actor_username;	/* NULL with actor_id 0 */
	const char	*action;
	const char	*changes;	/* a JSON object, as stored */
};

/* The number of history rows of a task (visibility is the caller's). */
enum dbrc activity_count(struct db *, int64_t task_id, int64_t *n);
/*
 * Calls fn for the task's history rows, newest first, skipping offset and
 * at most limit of them; the strings are valid during the call only.
 */
enum dbrc activity_page(struct db *, int64_t task_id, int64_t limit,
	    int64_t offset, void (*fn)(void *, const struct activity *), void *ctx);

#endif
