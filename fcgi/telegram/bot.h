/*
 * bot: the Telegram bot.  Reads updates (by long polling getUpdates, or
 * pushed to the webhook) and answers the commands /start [code], /tasks,
 * /unlink and /help, and presses of the "done" buttons under /tasks.
 * Every rule it applies lives in domain/; the bot only talks.
 *
 * The next update id to read is kept in SQLite (telegram_state 'offset')
 * and advanced in the same transaction as the update's changes (a link, a
 * completed task), so a restart neither loses nor repeats an update.  The
 * answers are queued while that transaction is open and sent after it
 * commits: no network call ever holds the database's write lock.
 */
#ifndef TASKMGR_BOT_H
#define TASKMGR_BOT_H

#include <signal.h>

#include "arena.h"
#include "tgapi.h"

struct app;
struct cJSON;
struct leader;

struct bot {
	struct app	*app;
	struct tg_client tg;
	struct arena	 arena;		/* per update */
	volatile sig_atomic_t *stop;	/* bot_run's: ends a long poll early */
	struct leader	*lead;		/* bot_run's: updates are handled while it holds */
	struct cJSON	*outq;		/* [[method, params], ...] to send after commit */
};

/* The answer to someone not linked yet (HTML). */
extern const char bot_link_first[];

/* Prepares a bot on the app's database; -1 when the HTTP client cannot start. */
int	 bot_open(struct bot *, struct app *);
void	 bot_close(struct bot *);
/*
 * Handles one update unless its id is below the stored offset, then stores
 * the offset past it.  0, or -1 when the database failed (the update will
 * be read again).
 */
int	 bot_update(struct bot *, const struct cJSON *update);
/*
 * One getUpdates round (long poll of telegram_poll_timeout seconds) and the
 * handling of what it returned.  The number of updates handled, or -1 when
 * Telegram or the database failed.
 */
int	 bot_poll(struct bot *);
/*
 * Runs the polling loop until *stop is set or, with lead (not NULL), the
 * lead is lost (leader_held(), between rounds); with once, one round.  An
 * exit status.
 */
int	 bot_run(struct app *, int once, volatile sig_atomic_t *stop, struct leader *lead);
/* Queues a Bot API call (params taken over) to be made once the update is committed. */
void	 bot_queue(struct bot *, const char *method, struct cJSON *params);
/* Queues a sendMessage of html (already escaped) with an optional inline keyboard (copied). */
void	 bot_reply(struct bot *, int64_t chat, const char *html, const struct cJSON *markup);

/*
 * bot_tasks.c, used by bot.c: sends the user's task list with "done"
 * buttons to chat (or, with msg_id, edits that message into it), and
 * handles a button press.  0, or -1 when the database failed.
 */
int	 bot_tasks_send(struct bot *, int64_t chat, int64_t from, int64_t msg_id);
int	 bot_on_callback(struct bot *, const struct cJSON *query);

/* Handles an update that came to the webhook, with a bot kept for the process; 0 or -1. */
int	 bot_webhook_update(struct app *, const struct cJSON *update);
/* Closes and frees the webhook's bot (app->bot); NULL: nothing. */
void	 bot_free(struct bot *);

#endif
