/* bot_tasks: /tasks with its "done" buttons, and the presses of those buttons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "bot.h"
#include "buf.h"
#include "lists.h"
#include "log.h"
#include "members.h"
#include "request.h"
#include "task_pages.h"
#include "tasks.h"
#include "telegram_link.h"
#include "tgtext.h"
#include "timeutil.h"
#include "tz.h"

#define LIST_MAX 20		/* tasks shown by /tasks */
#define BUTTON_CHARS 40		/* of a task name on its button */

static const char *const status_ru[] = {
	"ожидает", "в работе", "выполнена", "просрочена",
};

struct listing {
	struct buf	*text;		/* HTML */
	cJSON		*rows;		/* inline_keyboard rows */
	int		 n;
	const struct tz	*zone;		/* the reader's */
	int		 shared;	/* the rows are of shared lists: buttons by t->access */
};

/* Appends n bytes of s cut to at most max characters, with "…" when cut. */
static void
put_cut(struct buf *b, const char *s, size_t max)
{
	size_t	 i = 0, chars = 0;

	while (s[i] != '\0' && chars < max) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	buf_add(b, s, i);
	if (s[i] != '\0')
		buf_puts(b, "…");
}

/* One task: a numbered line, and a "done" button when the rules allow completing it. */
static void
put_task(void *arg, const struct task *t)
{
	struct listing *l = arg;
	struct buf label = { 0 };
	char	 data[32], when[TZ_TIME_LEN];
	cJSON	*row, *btn;

	l->n++;
	buf_printf(l->text, "\n%d. ", l->n);
	if (t->status == TS_COMPLETED)
		buf_puts(l->text, "<s>");
	tg_escape(l->text, t->name, strlen(t->name));
	if (t->status == TS_COMPLETED)
		buf_puts(l->text, "</s>");
	buf_puts(l->text, " — ");
	buf_puts(l->text, status_ru[t->status]);
	if (t->complete_before != TIME_NULL) {
		tz_format(l->zone, t->complete_before, TZS_RU, when);
		buf_printf(l->text, ", до %s", when);
	}
	/* a recurring task: the deadline shown is its next occurrence */
	if (t->rec.every > 0)
		buf_puts(l->text, " 🔁");
	/* only a task in progress can be completed (tasks.h), and in a shared
	 * list only by an editor (members.h) */
	if (t->status != TS_IN_PROGRESS || (l->shared && t->access < TA_WORK))
		return;
	buf_puts(&label, "✅ ");
	put_cut(&label, t->name, BUTTON_CHARS);
	snprintf(data, sizeof(data), "done:%lld", (long long)t->id);
	if (label.oom || (row = cJSON_CreateArray()) == NULL) {
		buf_free(&label);
		return;
	}
	btn = cJSON_CreateObject();
	cJSON_AddStringToObject(btn, "text", label.p);
	cJSON_AddStringToObject(btn, "callback_data", data);
	cJSON_AddItemToArray(row, btn);
	cJSON_AddItemToArray(l->rows, row);
	buf_free(&label);
}

/* The list's head, with the count, before its rows (none: no head). */
static void
list_head(void *arg, int64_t count)
{
	struct listing *l = arg;

	if (count > 0)
		buf_printf(l->text, "<b>Ваши задачи</b> (%lld):\n", (long long)count);
}

/* The head of the tasks of shared lists, when any is shown. */
static void
shared_head(void *arg, int64_t count)
{
	struct listing *l = arg;

	l->shared = 1;
	if (count > 0 && l->n < LIST_MAX)
		buf_printf(l->text, "%s<b>Задачи общих списков</b> (%lld):\n",
		    l->n > 0 ? "\n\n" : "", (long long)count);
}

/*
 * Builds the task list of user uid: the HTML text into text and the inline
 * keyboard into *markup (NULL when no button).  DB_OK or the storage error.
 */
static enum dbrc
build_list(struct bot *b, const struct principal *p, struct buf *text, cJSON **markup)
{
	struct db *db = &b->app->db;
	int64_t	 uid = p->id;
	struct actor who = { uid, 0 };
	struct task_query q;
	/* deadlines in the reader's zone, else the time_zone setting */
	struct listing l = { text, NULL, 0, p->zone != NULL ? p->zone : b->app->cfg.tz, 0 };
	int64_t	 count = 0, shared = 0;
	enum dbrc rc;

	*markup = NULL;
	task_query_init(&q, TQ_ASSIGNEE, uid);
	q.limit = LIST_MAX;
	if ((l.rows = cJSON_CreateArray()) == NULL)
		return DB_ERROR;
	/* the tasks assigned to uid, then those of lists shared with uid */
	if ((rc = tasks_page(db, b->app->tasks, &who, &q, list_head, put_task, &l,
	    &count)) == DB_OK)
		rc = members_shared_tasks(db, uid, LIST_MAX - l.n, shared_head, put_task, &l,
		    &shared);
	if (rc != DB_OK || count + shared == 0) {
		cJSON_Delete(l.rows);
		if (rc == DB_OK)
			buf_puts(text, "У вас нет назначенных задач.");
		return rc;
	}
	if (count + shared > l.n)
		buf_printf(text, "\n\n…и ещё %lld — все задачи в taskmgr.",
		    (long long)(count + shared - l.n));
	if (cJSON_GetArraySize(l.rows) == 0) {
		cJSON_Delete(l.rows);
		return DB_OK;
	}
	buf_puts(text, "\n\nНажмите кнопку, чтобы отметить задачу выполненной.");
	if ((*markup = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(l.rows);
		return DB_ERROR;
	}
	cJSON_AddItemToObject(*markup, "inline_keyboard", l.rows);
	return DB_OK;
}

int
bot_tasks_send(struct bot *b, int64_t chat, int64_t from, int64_t msg_id)
{
	struct principal p;
	struct buf text = { 0 };
	cJSON	*markup = NULL, *params;
	enum dbrc rc;
	int	 status = 0;

	memset(&p, 0, sizeof(p));
	rc = tg_user_by_telegram(&b->app->db, from, &b->arena, &p);
	if (rc == DB_NOTFOUND) {
		bot_reply(b, chat, bot_link_first, NULL);
		return 0;
	}
	if (rc != DB_OK || (rc = build_list(b, &p, &text, &markup)) != DB_OK) {
		status = -1;
		goto out;
	}
	if (text.oom)
		goto out;
	if (msg_id == 0) {
		bot_reply(b, chat, text.p, markup);
		goto out;
	}
	if ((params = cJSON_CreateObject()) == NULL)
		goto out;
	cJSON_AddNumberToObject(params, "chat_id", (double)chat);
	cJSON_AddNumberToObject(params, "message_id", (double)msg_id);
	cJSON_AddStringToObject(params, "text", text.p);
	cJSON_AddStringToObject(params, "parse_mode", "HTML");
	/* no markup: the buttons go away */
	cJSON_AddItemToObject(params, "reply_markup", markup != NULL ? markup :
	    cJSON_CreateObject());
	if (markup == NULL)
		cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(params,
		    "reply_markup"), "inline_keyboard", cJSON_CreateArray());
	markup = NULL;
	bot_queue(b, "editMessageText", params);
out:
	cJSON_Delete(markup);
	buf_free(&text);
	return status;
}

/* Answers a callback query with a short notice shown to the user. */
static void
answer(struct bot *b, const char *id, const char *text, int alert)
{
	cJSON	*params = cJSON_CreateObject();

	if (params == NULL)
		return;
	cJSON_AddStringToObject(params, "callback_query_id", id);
	cJSON_AddStringToObject(params, "text", text);
	if (alert)
		cJSON_AddTrueToObject(params, "show_alert");
	bot_queue(b, "answerCallbackQuery", params);
}

int
bot_on_callback(struct bot *b, const cJSON *q)
{
	const cJSON *id_o = cJSON_GetObjectItemCaseSensitive(q, "id");
	const cJSON *from_o = cJSON_GetObjectItemCaseSensitive(q, "from");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(q, "message");
	const cJSON *data_o = cJSON_GetObjectItemCaseSensitive(q, "data");
	const cJSON *v;
	const char *id, *data, *text;
	struct task_done done;
	struct principal p;
	struct actor who;
	char	 next[128], when[TZ_TIME_LEN];
	enum rule why = RULE_OK;
	int64_t	 from = 0, chat = 0, msg_id = 0, task;
	char	*end;
	enum dbrc rc;

	if (!cJSON_IsString(id_o))
		return 0;
	id = id_o->valuestring;
	if ((v = cJSON_GetObjectItemCaseSensitive(from_o, "id")) != NULL && cJSON_IsNumber(v))
		from = (int64_t)v->valuedouble;
	if ((v = cJSON_GetObjectItemCaseSensitive(msg, "message_id")) != NULL && cJSON_IsNumber(v))
		msg_id = (int64_t)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(msg, "chat"), "id");
	if (cJSON_IsNumber(v))
		chat = (int64_t)v->valuedouble;
	data = cJSON_IsString(data_o) ? data_o->valuestring : "";
	if (strncmp(data, "done:", 5) != 0 || data[5] < '1' || data[5] > '9' ||
	    (task = strtoll(data + 5, &end, 10)) <= 0 || *end != '\0') {
		answer(b, id, "Неизвестная кнопка.", 0);
		return 0;
	}
	memset(&p, 0, sizeof(p));
	rc = tg_user_by_telegram(&b->app->db, from, &b->arena, &p);
	if (rc == DB_NOTFOUND) {
		answer(b, id, "Сначала привяжите аккаунт: /start", 1);
		return 0;
	}
	if (rc != DB_OK)
		return -1;
	who.id = p.id;
	who.sees_all = 0;
	rc = tasks_complete(&b->app->db, &who, task, &why, &done);
	switch (rc) {
	case DB_OK:
		text = "Задача выполнена ✅";
		if (done.next != TIME_NULL) {
			tz_format(p.zone != NULL ? p.zone : b->app->cfg.tz, done.next,
			    TZS_RU, when);
			snprintf(next, sizeof(next), "Задача выполнена ✅ Следующий срок: %s", when);
			text = next;
		}
		break;
	case DB_INVALID:
		text = "Эту задачу нельзя отметить выполненной: она не в работе.";
		break;
	case DB_NOTFOUND:
		text = "Задача не найдена.";
		break;
	case DB_FORBIDDEN:
		text = "Вы можете только читать задачи этого списка.";
		break;
	default:
		return -1;	/* busy: the update is read again */
	}
	answer(b, id, text, rc != DB_OK);
	if (chat != 0 && msg_id != 0)
		return bot_tasks_send(b, chat, from, msg_id);
	return 0;
}
