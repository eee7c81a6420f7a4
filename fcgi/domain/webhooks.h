/*
 * webhooks: a user's webhooks and the deliveries the changes they subscribe
 * to queue (sql/019_webhooks.sql); the worker's side is webhook_outbox.h.
 *
 * A webhook belongs to its owner: another user's is DB_NOTFOUND.  It sees
 * what its owner sees, at the moment of the event: a change queues a
 * delivery for each active webhook subscribed to the event whose owner sees
 * the object after the change (before it, for a deletion) and whose list,
 * when it has one, is the object's; the object is read as that owner (a
 * task's JSON is the same for every reader: the row the change holds is
 * written once).  Deliveries are written in the caller's transaction, one
 * webhook_inbox row each, so a change and its deliveries commit together;
 * the worker moves them into webhook_deliveries (webhook_outbox.h).  Which
 * webhooks are active each process keeps in memory while webhook_gen's
 * number stays (sql/021_webhook_inbox.sql), and a task write whose list's
 * hook_gen shows no change since (sql/027_list_hook_gen.sql) reads nothing
 * more: with no active webhook it costs no statement at all.
 *
 * The body of a delivery is fixed when it is queued:
 *   {"id": <delivery id>, "event": "...", "created_at": time, "data": <object>}
 * where data is the object as the API shows it, written by the function the
 * program registered with webhooks_writers (the API's own writers) and
 * stored with the id, event and time; the worker writes the body from them.
 */
#ifndef TASKMGR_WEBHOOKS_H
#define TASKMGR_WEBHOOKS_H

#include <stdint.h>

#include "db.h"

struct arena;
struct buf;
struct comment;
struct list;
struct task;

/* The events, one bit each; hook_event_names[i] names bit 1 << i. */
#define HOOK_TASK_CREATED	0x001
#define HOOK_TASK_UPDATED	0x002
#define HOOK_TASK_COMPLETED	0x004
#define HOOK_TASK_DELETED	0x008
#define HOOK_TASK_REMINDER	0x010
#define HOOK_LIST_CREATED	0x020
#define HOOK_LIST_UPDATED	0x040
#define HOOK_LIST_DELETED	0x080
#define HOOK_COMMENT_CREATED	0x100
#define HOOK_ALL		0x1ff
#define HOOK_PING		0x200	/* not subscribable: webhooks_ping only */

#define HOOK_MAX_PER_USER	20	/* webhooks one user may have */
#define HOOK_URL_MAX		2000	/* characters of a URL */
#define HOOK_SECRET_PREFIX	"whsec_"

/* "task.created", ..., "comment.created", "ping", NULL. */
extern const char *const hook_event_names[];
/* The bit of an event name; 0 when it is none of the subscribable ones. */
unsigned hook_event_bit(const char *name);
/* The name of one event bit ("?" when it is not one). */
const char *hook_event_name(unsigned bit);

struct hook_delivery {
	int64_t		 id;
	int64_t		 webhook_id;
	const char	*event;
	int64_t		 created_at;
	const char	*status;	/* pending, delivered, failed, refused */
	int64_t		 attempts;
	int64_t		 last_http_status;	/* 0: none */
	const char	*last_error;		/* NULL: none */
	int64_t		 delivered_at;		/* TIME_NULL: not yet */
};

struct webhook {
	int64_t		 id;
	int64_t		 owner_id;
	const char	*url;
	unsigned	 events;
	int64_t		 list_id;	/* 0: every list the owner sees */
	int		 is_active;
	int64_t		 failure_count;
	int64_t		 created_at;
	int64_t		 updated_at;
	int		 has_last;	/* last: the newest delivery */
	struct hook_delivery last;
};

/* The fields a create or an update sets (HF_* bits in set). */
#define HF_URL		0x01
#define HF_EVENTS	0x02
#define HF_LIST		0x04
#define HF_ACTIVE	0x08

struct hook_input {
	unsigned	 set;
	const char	*url;		/* checked by the caller (scheme, form) */
	unsigned	 events;	/* non-empty subset of HOOK_ALL */
	int64_t		 list_id;	/* 0: every list */
	int		 is_active;
};

/* Why a webhook write was refused (with DB_INVALID). */
enum hook_why { HOOK_OK = 0, HOOK_BAD_LIST, HOOK_TOO_MANY, HOOK_BAD_VALUE };

typedef void (*hook_row_fn)(void *ctx, const struct webhook *);
typedef void (*hook_delivery_fn)(void *ctx, const struct hook_delivery *);
typedef void (*hook_task_writer)(struct buf *, const struct task *);
typedef void (*hook_list_writer)(struct buf *, const struct list *);
typedef void (*hook_comment_writer)(struct buf *, const struct comment *);

/*
 * Registers how a program writes a task, a list and a comment as its API
 * shows them (the data of deliveries).  Without them, data is {"id": N}.
 */
void	 webhooks_writers(hook_task_writer, hook_list_writer, hook_comment_writer);

/*
 * Creates a webhook of owner from in (url and events required), active
 * unless in says otherwise; secret receives its signing secret
 * (HOOK_SECRET_PREFIX and 43 characters).  DB_INVALID with *why:
 * BAD_LIST (a list the owner does not see), TOO_MANY, BAD_VALUE.
 */
enum dbrc webhooks_create(struct db *, int64_t owner, const struct hook_input *in,
	    char secret[64], int64_t *id, enum hook_why *why);
/* Reads one of owner's webhooks (strings in the arena); DB_NOTFOUND otherwise. */
enum dbrc webhooks_get(struct db *, int64_t owner, int64_t id, struct arena *,
	    struct webhook *);
/* How many webhooks owner has. */
enum dbrc webhooks_count(struct db *, int64_t owner, int64_t *n);
/* Owner's webhooks, newest first, limit from offset, each passed to fn. */
enum dbrc webhooks_page(struct db *, int64_t owner, int64_t limit, int64_t offset,
	    hook_row_fn fn, void *ctx);
/*
 * Applies in to one of owner's webhooks whose updated_at still equals
 * expect: DB_CONFLICT when it changed, DB_NOTFOUND, DB_INVALID with *why.
 * Turning it active again starts its failure count afresh.
 */
enum dbrc webhooks_update_locked(struct db *, int64_t owner, int64_t id,
	    int64_t expect, const struct hook_input *in, enum hook_why *why);
/* Deletes one of owner's webhooks and its deliveries. */
enum dbrc webhooks_delete(struct db *, int64_t owner, int64_t id);
/* Queues a "ping" delivery (data {"webhook_id": id}) to one of owner's webhooks. */
enum dbrc webhooks_ping(struct db *, int64_t owner, int64_t id, int64_t *delivery);
/*
 * Queues a new delivery with the event and data of an earlier one of one
 * of owner's webhooks (a new id, so a new body and signature).
 */
enum dbrc webhooks_redeliver(struct db *, int64_t owner, int64_t id,
	    int64_t delivery, int64_t *new_delivery);
/* Reads a delivery of one of owner's webhooks (strings in the arena). */
enum dbrc webhooks_delivery_get(struct db *, int64_t owner, int64_t id,
	    int64_t delivery, struct arena *, struct hook_delivery *);
/* How many deliveries one of owner's webhooks has (DB_NOTFOUND: not owner's). */
enum dbrc webhooks_deliveries_count(struct db *, int64_t owner, int64_t id,
	    int64_t *n);
/* Its deliveries, newest first. */
enum dbrc webhooks_deliveries_page(struct db *, int64_t id, int64_t limit,
	    int64_t offset, hook_delivery_fn fn, void *ctx);

/*
 * Queueing, inside the caller's write transaction.  A scope says who sees
 * the object now: the users (0: none) and the list it is in, whose members
 * see it too.  webhooks_queue writes one delivery of event (a HOOK_* bit)
 * with data (the object's JSON, the same for every reader) and object_key
 * ("comment:7") to every matching webhook.  webhooks_wanted says whether
 * any would match (one cached statement when no webhook is active), so a
 * caller writes data only when it is needed.
 */
struct hook_scope {
	int64_t		 list_id;
	int64_t		 users[2];
};
enum dbrc webhooks_queue(struct db *, const struct hook_scope *, unsigned event,
	    const char *object_key, const char *data);
enum dbrc webhooks_wanted(struct db *, const struct hook_scope *, unsigned event,
	    int *wanted);
/* A list_gen not read: webhooks_task reads webhook_gen instead. */
#define HOOK_GEN_UNKNOWN	(-1)
/*
 * A task changed (event: a HOOK_TASK_* bit): owner and assignee see it
 * (both 0: read from the task), and the members of its list; t, when not
 * NULL, gives its list.  list_gen is its list's hook_gen as the change read
 * it (sql/027_list_hook_gen.sql), or HOOK_GEN_UNKNOWN.  Each
 * matching webhook gets the task read as its owner: one who no longer
 * sees it gets nothing, and each gets their own role in it.
 */
enum dbrc webhooks_task(struct db *, int64_t task_id, unsigned event,
	    int64_t owner, int64_t assignee, int64_t list_gen, const struct task *t);
/*
 * The JSON of t that the change just made wrote for its deliveries
 * (webhooks_task with t, after its last change), at *p for *len bytes,
 * valid until the next change: 1, or 0 when none was written (then the
 * caller writes it).  Asked once: a second call answers 0.
 */
int	webhooks_task_json(const struct task *t, const char **p, size_t *len);
/*
 * webhooks_task for a change that then writes the task's events row for
 * owner (t: the task as the change leaves it): the delivery of one of
 * owner's matching webhooks goes in *h, for that row to carry
 * (notices_task_event_hook, sql/030_webhook_carrier.sql); every other one
 * gets a hook-only events row now.  h->hook 0: nothing to carry.
 */
struct event_hook;
enum dbrc webhooks_task_carry(struct db *, int64_t task_id, unsigned event,
	    int64_t owner, int64_t assignee, int64_t list_gen, const struct task *t,
	    struct event_hook *h);
/* A carried delivery's hook: the webhook's id * HOOK_CARRY_EVENTS + the event's index. */
#define HOOK_CARRY_EVENTS	16
/*
 * A comment was created on task_id, seen by owner and assignee (0: nobody):
 * comment.created, kept in order with the task's own deliveries.
 */
enum dbrc webhooks_comment(struct db *, int64_t comment_id, int64_t task_id,
	    int64_t owner, int64_t assignee);
/* A list changed (event: a HOOK_LIST_* bit); owner sees it. */
enum dbrc webhooks_list(struct db *, int64_t list_id, unsigned event, int64_t owner);
/*
 * user_id was removed from list_id: the deliveries to their webhooks about
 * what they no longer see (the list, its tasks not assigned to them, their
 * comments) not sent yet are withdrawn -- those of the log end as failed,
 * those still in the inbox are dropped -- in the caller's transaction.
 */
enum dbrc webhooks_forget(struct db *, int64_t list_id, int64_t user_id, int64_t now);
/* Queues one delivery of event (a name) with data (a hook-only events row); *id its id. */
enum dbrc hook_insert(struct db *, int64_t webhook_id, const char *event,
	    const char *object_key, const char *data, int64_t *id);

#endif
