/*
 * notices: the change records of tasks, written inside the caller's
 * transaction so a change and its records commit or roll back together.
 *
 * Two tables (sql/003_lists_tasks.sql):
 *   events  -- the feed of GET /api/events/, one row per recipient:
 *              type 'task_updated' (action created, updated, deleted,
 *              completed, overdue, commented) tells the task's owner and
 *              assignee that it changed; type 'task_notify' (action assigned,
 *              unassigned, overdue, commented) carries a notice text in
 *              message; type 'task_reminder' (action reminder) a
 *              reminder's text.
 *   outbox  -- one row per notice for `taskmgr worker` to deliver to the
 *              recipient's Telegram chat (status 0 = pending, next_attempt_at
 *              = now), with the task it is about (task_id, NULL for none);
 *              the worker decides whether the user is linked.
 *
 * The rule every writer obeys through these functions: a user is never sent
 * a notice about their own action (actor == recipient); the overdue sweep
 * has no actor (pass 0) and so always notifies the assignee.
 */
#ifndef TASKMGR_NOTICES_H
#define TASKMGR_NOTICES_H

#include <stdint.h>

#include "db.h"

/* Notice texts: what comes before and after the task name. */
#define NOTICE_ASSIGNED		"Вам назначена задача: ", ""
#define NOTICE_UNASSIGNED	"Задача '", "' больше не назначена вам"
#define NOTICE_OVERDUE		"Задача '", "' просрочена!"
/* A comment: the task name, the author's username, the text cut at NOTICE_CUT characters. */
#define NOTICE_COMMENT		"Новый комментарий к задаче '", "' от ", ": "
#define NOTICE_CUT		500

/*
 * Writes a 'task_updated' event with action for the task's owner and for its
 * assignee (once when they are the same user; assignee 0 = none).
 */
enum dbrc notices_task_event(struct db *, int64_t task_id, const char *action,
	    int64_t owner_id, int64_t assignee_id, int64_t now);
/*
 * A webhook delivery carried on an events row (sql/030_webhook_carrier.sql):
 * hook is the webhook's id * 16 + the event's index, data the JSON (len
 * bytes).  hook 0: none.
 */
struct event_hook {
	int64_t		 hook;
	const char	*data;
	size_t		 len;
};
/* notices_task_event whose owner's row carries h (NULL or h->hook 0: none). */
enum dbrc notices_task_event_hook(struct db *, int64_t task_id, const char *action,
	    int64_t owner_id, int64_t assignee_id, int64_t now,
	    const struct event_hook *h);
/*
 * Writes one notice: a 'task_notify' event with action and the text, and a
 * pending outbox row with the same text, both for user_id.
 */
enum dbrc notices_notify(struct db *, int64_t user_id, int64_t task_id,
	    const char *action, const char *text, int64_t now);
/* Queues text to user_id's Telegram chat (an outbox row, no event). */
enum dbrc notices_outbox(struct db *, int64_t user_id, const char *text, int64_t now);
/* A reminder: a 'task_reminder' event (action "reminder") and the outbox row. */
enum dbrc notices_reminder(struct db *, int64_t user_id, int64_t task_id,
	    const char *text, int64_t now);
/*
 * The assignee of a task changed from old_id to new_id (0 = nobody) by
 * actor: "assigned" to the new one and "unassigned" to the previous one,
 * neither to the actor.  Nothing when old_id == new_id.
 */
enum dbrc notices_assignment(struct db *, int64_t actor, int64_t task_id,
	    const char *name, int64_t old_id, int64_t new_id, int64_t now);
/* The task became overdue: a notice to its assignee (none when 0). */
enum dbrc notices_overdue(struct db *, int64_t task_id, const char *name,
	    int64_t assignee_id, int64_t now);

/*
 * A comment by author (named username) on a task: a 'task_updated' event
 * "commented" to the owner and the assignee, and the notice NOTICE_COMMENT
 * ("commented") to each of them but the author.
 */
enum dbrc notices_comment(struct db *, int64_t author, const char *username,
	    int64_t task_id, const char *name, int64_t owner_id, int64_t assignee_id,
	    const char *text, int64_t now);

#endif
