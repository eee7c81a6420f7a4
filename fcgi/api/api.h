/*
 * api: the JSON API's route table and handlers, one file per resource.
 */
#ifndef TASKMGR_API_H
#define TASKMGR_API_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "json.h"
#include "router.h"

extern const struct route api_routes[];
extern const size_t n_api_routes;

struct req;

/* health.c */
int	 api_health(struct req *);
/* metrics.c: GET /metrics, to the addresses of metrics_allow only (else 404) */
int	 api_metrics(struct req *);
/* home.c: GET / -- an HTML page linking the admin pages and listing the API routes */
int	 api_home(struct req *);
/* accounts.c */
int	 api_token(struct req *);
int	 api_register(struct req *);
int	 api_token_refresh(struct req *);
int	 api_token_blacklist(struct req *);
int	 api_logout(struct req *);
/* me.c: GET, PATCH /api/auth/me/ */
int	 api_me(struct req *);
/*
 * Reads the body's key as a list of reminder offsets: 0..USER_MAX_OFFSETS
 * distinct integers in 1..USER_OFFSET_MAX minutes (domain/user_settings.h)
 * into out[0..*n).  JR_OK, JR_ABSENT, JR_NULL, or JR_BAD with the error
 * recorded under key (the messages of reminder_offsets; a task's reminders
 * follow the same rules).
 */
enum jr	 api_read_offsets(struct req *, const char *key, int *out, int *n);
/* users.c */
int	 api_users(struct req *);

/* lists.c */
/* GET, POST /api/lists/ */
int	 api_lists(struct req *);
/* GET, PUT, PATCH, DELETE /api/lists/{id}/ */
int	 api_list(struct req *);
struct buf;
struct list;
/* Writes one list object as the API shows it (webhook deliveries too). */
void	 api_write_list(struct buf *, const struct list *);
/* members.c */
/* GET, POST /api/lists/{id}/members/ */
int	 api_list_members(struct req *);
/* PATCH, DELETE /api/lists/{id}/members/{user_id}/ */
int	 api_list_member(struct req *);
/* telegram.c */
int	 api_tg_link(struct req *);
int	 api_tg_confirm(struct req *);
int	 api_tg_unlink(struct req *);
int	 api_tg_webhook(struct req *);
/* events.c */
int	 api_events(struct req *);
/* webhooks.c */
/* GET, POST /api/webhooks/ */
int	 api_webhooks(struct req *);
/* GET, PATCH, DELETE /api/webhooks/{id}/ */
int	 api_webhook(struct req *);
/* POST /api/webhooks/{id}/ping/ */
int	 api_webhook_ping(struct req *);
/* GET /api/webhooks/{id}/deliveries/ */
int	 api_webhook_deliveries(struct req *);
/* POST /api/webhooks/{id}/deliveries/{delivery_id}/redeliver/ */
int	 api_webhook_redeliver(struct req *);
/* pats.c: GET, POST /api/auth/tokens/ and DELETE /api/auth/tokens/{id}/ */
int	 api_pats(struct req *);
int	 api_pat(struct req *);
/* calendar.c: POST, DELETE /api/auth/calendar/ and the feed, GET /api/calendar/<secret>.ics */
int	 api_calendar(struct req *);
int	 api_calendar_feed(struct req *);
/* schema.c: GET /api/schema/, the OpenAPI document (docs/openapi.json) */
int	 api_schema(struct req *);

/* tasks.c */
/* GET, POST /api/lists/{id}/tasks/ */
int	 api_list_tasks(struct req *);
/* GET /api/tasks/ */
int	 api_tasks(struct req *);
/* GET, PUT, PATCH, DELETE /api/tasks/{id}/ */
int	 api_task(struct req *);
/* POST /api/tasks/{id}/complete/ */
int	 api_task_complete(struct req *);
struct task;
/* Writes one task object as the API shows it (webhook deliveries too). */
void	 api_write_task(struct buf *, const struct task *);

/* task_recur.c: recurring tasks */
struct recurrence;
struct task_input;
/* GET /api/tasks/{id}/completions/ */
int	 api_task_completions(struct req *);
/* Reads "recurrence" of the body into in (TF_RECURRENCE); errors nested under it. */
void	 api_rec_read(struct req *, struct task_input *);
/* Writes ,"recurrence":... at o (room: API_REC_MAX) and returns the end. */
#define API_REC_MAX	(80 + JW_RAW_INT_MAX + JW_RAW_TIME_MAX)
char	*api_rec_write(char *o, const struct recurrence *);
/* comments.c */
/* GET, POST /api/tasks/{id}/comments/ */
int	 api_task_comments(struct req *);
/* PATCH, DELETE /api/comments/{id}/ */
int	 api_comment(struct req *);
/* GET /api/tasks/{id}/activity/ */
int	 api_task_activity(struct req *);
struct comment;
/* Writes one comment object as the API shows it (webhook deliveries too). */
void	 api_write_comment(struct buf *, const struct comment *);

/* common.c: shared by the handlers */
struct actor;
/*
 * The API's one mapping of a storage result to an answer: 404 (DB_NOTFOUND),
 * 403 (DB_FORBIDDEN) with DRF's body, 503 (DB_BUSY) or 500.
 */
int	 api_dbfail(struct req *, enum dbrc);
/*
 * Ends a write transaction whose answer was written inside it: st is the
 * answer's status; when it is not ok the write is rolled back and st
 * returned, else committed (a failed commit answers as api_dbfail) and ok
 * returned.
 */
int	 api_commit_answer(struct req *, int st, int ok);
/* The domain actor of the request: the authenticated user, normal visibility. */
void	 api_actor(struct req *, struct actor *);
/* Reads "updated_at" of the body for optimistic locking: 0, or a 409 with the body set. */
int	 api_lock_read(struct req *, int64_t *out);

#endif
