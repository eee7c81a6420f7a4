/* bot_tasks: /tasks and its "done" buttons. */
#include <string.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "bot.h"

int
bot_tasks_send(struct bot *b, int64_t chat, int64_t from, int64_t msg_id)
{
	struct tg_result res;

	(void)from;
	(void)msg_id;
	tg_send_html(&b->tg, chat, "Список задач пока недоступен.", NULL, &res);
	tg_result_free(&res);
	return 0;
}

int
bot_on_callback(struct bot *b, const cJSON *q)
{
	(void)b;
	(void)q;
	return 0;
}
