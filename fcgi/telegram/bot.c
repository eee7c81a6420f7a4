/* bot: Telegram updates to domain calls and friendly answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "bot.h"
#include "buf.h"
#include "leader.h"
#include "log.h"
#include "request.h"
#include "telegram_link.h"
#include "tgtext.h"
#include "timeutil.h"

#define OFFSET_KEY "offset"

static const char HELP[] =
    "Я бот taskmgr: присылаю уведомления о ваших задачах.\n\n"
    "/tasks — ваши задачи с кнопками «Готово»\n"
    "/unlink — отвязать этот Telegram от аккаунта\n"
    "/help — эта справка\n\n"
    "Чтобы привязать аккаунт, нажмите «Привязать Telegram» в taskmgr "
    "и откройте ссылку, или пришлите /start &lt;код&gt;.";
const char bot_link_first[] =
    "Сначала привяжите аккаунт: нажмите «Привязать Telegram» в taskmgr "
    "и откройте ссылку, или пришлите /start &lt;код&gt;.";

static void drop(struct bot *);

int
bot_open(struct bot *b, struct app *app)
{
	memset(b, 0, sizeof(*b));
	b->app = app;
	b->arena.limit = 4 * 1024 * 1024;
	return tg_open(&b->tg, &app->cfg);
}

void
bot_close(struct bot *b)
{
	drop(b);
	tg_close(&b->tg);
	arena_free(&b->arena);
}

void
bot_queue(struct bot *b, const char *method, cJSON *params)
{
	cJSON	*item;

	if (params == NULL)
		return;
	if (b->outq == NULL && (b->outq = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(params);
		return;
	}
	if ((item = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(params);
		return;
	}
	cJSON_AddItemToArray(item, cJSON_CreateString(method));
	cJSON_AddItemToArray(item, params);
	cJSON_AddItemToArray(b->outq, item);
}

void
bot_reply(struct bot *b, int64_t chat, const char *html, const cJSON *markup)
{
	cJSON	*p = cJSON_CreateObject();

	if (p == NULL)
		return;
	cJSON_AddNumberToObject(p, "chat_id", (double)chat);
	cJSON_AddStringToObject(p, "text", html);
	cJSON_AddStringToObject(p, "parse_mode", "HTML");
	cJSON_AddTrueToObject(p, "disable_web_page_preview");
	if (markup != NULL)
		cJSON_AddItemToObject(p, "reply_markup", cJSON_Duplicate(markup, 1));
	bot_queue(b, "sendMessage", p);
}

/* Makes the queued calls, logging failures ("message is not modified" is no failure). */
static void
flush(struct bot *b)
{
	const cJSON *item, *method;
	struct tg_result res;

	cJSON_ArrayForEach(item, b->outq) {
		method = cJSON_GetArrayItem(item, 0);
		if (!cJSON_IsString(method))
			continue;
		if (tg_call(&b->tg, method->valuestring, cJSON_GetArrayItem(item, 1), 0,
		    &res) != TG_OK && strstr(res.desc, "not modified") == NULL)
			log_warn("bot: %s failed: %s", method->valuestring, res.desc);
		tg_result_free(&res);
	}
	cJSON_Delete(b->outq);
	b->outq = NULL;
}

/* Drops the queued calls (their update was rolled back). */
static void
drop(struct bot *b)
{
	cJSON_Delete(b->outq);
	b->outq = NULL;
}

/* An integer member of a JSON object, 0 when missing. */
static int64_t
jint(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* A string member of a JSON object, NULL when missing. */
static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The linked user of a Telegram id: 1 found, 0 not linked, -1 database failure. */
static int
linked_user(struct bot *b, int64_t from, struct principal *p)
{
	enum dbrc rc;

	memset(p, 0, sizeof(*p));
	rc = tg_user_by_telegram(&b->app->db, from, &b->arena, p);
	if (rc == DB_OK)
		return 1;
	return rc == DB_NOTFOUND ? 0 : -1;
}

/* /start with or without a code. */
static int
cmd_start(struct bot *b, int64_t chat, int64_t from, const char *arg)
{
	struct principal p;
	struct buf out = { 0 };
	int64_t	 uid;
	enum dbrc rc;
	int	 k;

	if (*arg == '\0') {
		if ((k = linked_user(b, from, &p)) < 0)
			return -1;
		if (k == 0) {
			bot_reply(b, chat, "Здравствуйте! Это бот taskmgr.\n\n"
			    "Чтобы получать уведомления о задачах, привяжите аккаунт: "
			    "нажмите «Привязать Telegram» в taskmgr и откройте ссылку "
			    "(или пришлите /start &lt;код&gt;). Код действует ограниченное время.",
			    NULL);
			return 0;
		}
		buf_puts(&out, "Этот Telegram привязан к пользователю <b>");
		tg_escape(&out, p.username, strlen(p.username));
		buf_puts(&out, "</b>.\n/tasks — ваши задачи, /help — справка.");
		goto send;
	}
	rc = tg_link_confirm(&b->app->db, &b->app->cfg, arg, from, NULL, &uid);
	if (rc == DB_BUSY || rc == DB_ERROR)
		return -1;
	if (rc == DB_INVALID) {
		bot_reply(b, chat, "Код недействителен или устарел. Получите новую ссылку "
		    "в taskmgr («Привязать Telegram») и попробуйте снова.", NULL);
		return 0;
	}
	if (rc == DB_CONFLICT) {
		bot_reply(b, chat, "Этот Telegram уже привязан к другому пользователю. "
		    "Отвяжите его командой /unlink и откройте ссылку ещё раз.", NULL);
		return 0;
	}
	if (rc != DB_OK || (k = linked_user(b, from, &p)) < 0)
		return -1;
	buf_puts(&out, "Готово! Telegram привязан к пользователю <b>");
	if (k > 0)
		tg_escape(&out, p.username, strlen(p.username));
	buf_puts(&out, "</b>. Сюда будут приходить уведомления о ваших задачах.\n"
	    "/tasks — ваши задачи.");
send:
	if (!out.oom)
		bot_reply(b, chat, out.p, NULL);
	buf_free(&out);
	return 0;
}

/* /unlink */
static int
cmd_unlink(struct bot *b, int64_t chat, int64_t from)
{
	struct principal p;
	int	 k;

	if ((k = linked_user(b, from, &p)) < 0)
		return -1;
	if (k == 0) {
		bot_reply(b, chat, "Этот Telegram не привязан ни к одному аккаунту.", NULL);
		return 0;
	}
	if (tg_unlink(&b->app->db, p.id) != DB_OK)
		return -1;
	bot_reply(b, chat, "Telegram отвязан от аккаунта. Уведомления сюда больше "
	    "не придут.", NULL);
	return 0;
}

/* A message: a command from the sender. */
static int
on_message(struct bot *b, const cJSON *m)
{
	const cJSON *chat_o = cJSON_GetObjectItemCaseSensitive(m, "chat");
	const cJSON *from_o = cJSON_GetObjectItemCaseSensitive(m, "from");
	const char *text = jstr(m, "text"), *arg;
	int64_t	 chat = jint(chat_o, "id"), from = jint(from_o, "id");
	const char *type = jstr(chat_o, "type");
	char	 cmd[33];
	size_t	 n;

	if (chat == 0 || from == 0 || text == NULL)
		return 0;
	/* task lists and link codes are private: groups get a pointer to the private chat */
	if (type == NULL || strcmp(type, "private") != 0) {
		if (text[0] == '/')
			bot_reply(b, chat, "Я работаю только в личном чате: напишите мне напрямую.", NULL);
		return 0;
	}
	/* "/cmd@botname arg": the command word, without the bot's name */
	if (text[0] != '/') {
		bot_reply(b, chat, HELP, NULL);
		return 0;
	}
	n = strcspn(text, " @\n\t");
	if (n >= sizeof(cmd))
		n = sizeof(cmd) - 1;
	memcpy(cmd, text, n);
	cmd[n] = '\0';
	arg = text + strcspn(text, " \n\t");
	arg += strspn(arg, " \n\t");
	if (strcmp(cmd, "/start") == 0)
		return cmd_start(b, chat, from, arg);
	if (strcmp(cmd, "/tasks") == 0)
		return bot_tasks_send(b, chat, from, 0);
	if (strcmp(cmd, "/unlink") == 0)
		return cmd_unlink(b, chat, from);
	bot_reply(b, chat, HELP, NULL);
	return 0;
}

int
bot_update(struct bot *b, const cJSON *u)
{
	struct db *db = &b->app->db;
	int64_t	 id = jint(u, "update_id");
	const cJSON *m;
	int	 rc = 0, claimed;

	arena_reset(&b->arena);
	drop(b);
	if (db_begin(db) != DB_OK)
		return -1;
	/* the offset moves past the update first: a bot that took over and
	 * fetched it too waits here, then finds it handled */
	if (tg_state_claim(db, OFFSET_KEY, id, &claimed) != DB_OK)
		goto fail;
	if (!claimed) {
		db_rollback(db);
		return 0;	/* handled before */
	}
	if ((m = cJSON_GetObjectItemCaseSensitive(u, "message")) != NULL)
		rc = on_message(b, m);
	else if ((m = cJSON_GetObjectItemCaseSensitive(u, "callback_query")) != NULL)
		rc = bot_on_callback(b, m);
	/* the update's changes and the offset past it commit together */
	if (rc < 0 || db_commit(db) != DB_OK)
		goto fail;
	flush(b);
	return 0;
fail:
	db_rollback(db);
	drop(b);
	return -1;
}

int
bot_poll(struct bot *b)
{
	struct app *app = b->app;
	struct tg_result res;
	const cJSON *u;
	cJSON	*p = NULL, *allowed;
	int64_t	 offset;
	enum tg_kind k;
	int	 n = 0;

	if (tg_state_get(&app->db, OFFSET_KEY, 0, &offset) != DB_OK)
		return -1;
	if ((p = cJSON_CreateObject()) == NULL)
		return -1;
	if (offset > 0)
		cJSON_AddNumberToObject(p, "offset", (double)offset);
	cJSON_AddNumberToObject(p, "timeout", (double)app->cfg.telegram_poll_timeout);
	allowed = cJSON_AddArrayToObject(p, "allowed_updates");
	cJSON_AddItemToArray(allowed, cJSON_CreateString("message"));
	cJSON_AddItemToArray(allowed, cJSON_CreateString("callback_query"));
	/* a long poll is abandoned at once on SIGTERM (nothing is lost); a reply is not */
	b->tg.stop = b->stop;
	k = tg_call(&b->tg, "getUpdates", p,
	    (long)(app->cfg.telegram_poll_timeout + app->cfg.telegram_timeout), &res);
	b->tg.stop = NULL;
	if (k != TG_OK) {
		if (!b->stop || !*b->stop)
			log_warn("bot: getUpdates failed: %s", res.desc);
		n = -1;
		goto out;
	}
	cJSON_ArrayForEach(u, res.result) {
		/* the lead lost during the long poll: the new leader reads these again */
		if (b->lead != NULL && !leader_held(b->lead))
			break;
		if (bot_update(b, u) < 0) {
			/* the offset stays before it: read again in the next round */
			n = -1;
			break;
		}
		n++;
	}
out:
	tg_result_free(&res);
	cJSON_Delete(p);
	return n;
}

/* Sleeps ms milliseconds, or less when *stop gets set. */
static void
nap(int64_t ms, volatile sig_atomic_t *stop)
{
	struct timespec ts;

	while (ms > 0 && !*stop) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 100 ? 100 : ms) * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

int
bot_run(struct app *app, int once, volatile sig_atomic_t *stop, struct leader *lead)
{
	struct bot b;
	int64_t	 delay = 0;
	int	 n, status = 0;

	if (*app->cfg.telegram_bot_token == '\0') {
		log_error("bot: telegram_bot_token is not set");
		return 1;
	}
	if (bot_open(&b, app) < 0) {
		log_error("bot: cannot start the HTTP client");
		return 1;
	}
	b.stop = stop;
	b.lead = lead;
	log_info("bot: polling for updates");
	while (!*stop && (lead == NULL || leader_held(lead))) {
		n = bot_poll(&b);
		if (once) {
			status = n < 0;
			break;
		}
		if (n >= 0) {
			delay = 0;
			continue;
		}
		/* Telegram or the database failed: wait a growing while */
		delay = delay == 0 ? app->cfg.telegram_retry_base_ms : delay * 2;
		if (delay > 30000)
			delay = 30000;
		nap(delay, stop);
	}
	log_info("bot: stopped");
	bot_close(&b);
	return status;
}

int
bot_webhook_update(struct app *app, const cJSON *update)
{
	struct bot *b;

	if (app->bot == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return -1;
		if (bot_open(b, app) < 0) {
			bot_close(b);
			free(b);
			return -1;
		}
		app->bot = b;
	}
	return bot_update(app->bot, update);
}

void
bot_free(struct bot *b)
{
	if (b == NULL)
		return;
	bot_close(b);
	free(b);
}
