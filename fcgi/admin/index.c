/* index: the admin home page: counts and recent changes. */
#include "adm.h"
#include "admin_data.h"
#include "app.h"
#include "request.h"
#include "timeutil.h"

#define RECENT	10

/* The page folder and the label of a kind of object. */
static const char *const kinds[] = { "lists", "tasks", "users" };
static const char *const labels[] = { "List", "Task", "User" };
static const char *const nouns[] = { "list", "task", "user" };

/* GET the index */
int
adm_index(struct req *r)
{
	struct admq_counts c;
	struct admq_change *ch = NULL;
	size_t	 n = 0, i, k;
	enum dbrc rc;
	cJSON	*ctx, *o, *list;

	if ((rc = admq_counts(&r->app->db, now_us(), &c)) != DB_OK ||
	    (rc = admq_recent(&r->app->db, &r->arena, RECENT, &ch, &n)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Site administration", "index")) == NULL)
		return 500;
	o = cJSON_AddObjectToObject(ctx, "counts");
	cJSON_AddNumberToObject(o, "users", (double)c.users);
	cJSON_AddNumberToObject(o, "staff", (double)c.staff);
	cJSON_AddNumberToObject(o, "active", (double)c.active);
	cJSON_AddNumberToObject(o, "linked", (double)c.linked);
	cJSON_AddNumberToObject(o, "lists", (double)c.lists);
	cJSON_AddNumberToObject(o, "tasks", (double)c.tasks);
	cJSON_AddNumberToObject(o, "pending", (double)c.pending);
	cJSON_AddNumberToObject(o, "in_progress", (double)c.in_progress);
	cJSON_AddNumberToObject(o, "completed", (double)c.completed);
	cJSON_AddNumberToObject(o, "overdue", (double)c.overdue);
	cJSON_AddNumberToObject(o, "past_due", (double)c.past_due);
	cJSON_AddBoolToObject(ctx, "has_recent", n > 0);
	list = cJSON_AddArrayToObject(ctx, "recent");
	for (i = 0; i < n && list != NULL; i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(list, o);
		k = ch[i].kind <= ADMQ_USER ? ch[i].kind : ADMQ_USER;
		cJSON_AddStringToObject(o, "kind", kinds[k]);
		cJSON_AddStringToObject(o, "kind_label", labels[k]);
		if (ch[i].deleted) {
			cJSON_AddTrueToObject(o, "deleted");
			cJSON_AddStringToObject(o, "noun", nouns[k]);
		}
		adm_add_id(o, "id", ch[i].id);
		cJSON_AddStringToObject(o, "name", ch[i].name);
		cJSON_AddStringToObject(o, "where", ch[i].where);
		adm_add_time(r, o, "updated", ch[i].updated_at);
	}
	return adm_render(r, 200, "index", ctx);
}
