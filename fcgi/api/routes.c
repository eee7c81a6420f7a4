/* routes: the JSON API's one route table. */
#include "api.h"
#include "request.h"

const struct route api_routes[] = {
	{ M_GET, "/api/health/", api_health, R_ANY_SCHEMA | R_NO_THROTTLE | R_NO_AUTH },
	{ M_POST, "/api/auth/register/", api_register, 0 },
	{ M_POST, "/api/auth/token/", api_token, 0 },
	{ M_POST, "/api/auth/token/refresh/", api_token_refresh, 0 },
	{ M_POST, "/api/auth/token/blacklist/", api_token_blacklist, 0 },
	{ M_POST, "/api/auth/logout/", api_logout, R_AUTH },
	{ M_GET | M_PATCH, "/api/auth/me/", api_me, R_AUTH },
	{ M_GET, "/api/users/", api_users, R_AUTH },
	{ M_GET | M_POST, "/api/lists/", api_lists, R_AUTH },
	{ M_GET | M_PUT | M_PATCH | M_DELETE, "/api/lists/{id}/", api_list, R_AUTH },
	{ M_GET | M_POST, "/api/lists/{id}/tasks/", api_list_tasks, R_AUTH },
	{ M_GET | M_POST, "/api/lists/{id}/members/", api_list_members, R_AUTH },
	{ M_PATCH | M_DELETE, "/api/lists/{id}/members/{id}/", api_list_member, R_AUTH },
	{ M_GET, "/api/tasks/", api_tasks, R_AUTH },
	{ M_GET | M_PUT | M_PATCH | M_DELETE, "/api/tasks/{id}/", api_task, R_AUTH },
	{ M_POST, "/api/tasks/{id}/complete/", api_task_complete, R_AUTH },
	{ M_GET, "/api/tasks/{id}/completions/", api_task_completions, R_AUTH },
	{ M_GET | M_POST, "/api/tasks/{id}/comments/", api_task_comments, R_AUTH },
	{ M_PATCH | M_DELETE, "/api/comments/{id}/", api_comment, R_AUTH },
	{ M_GET, "/api/tasks/{id}/activity/", api_task_activity, R_AUTH },
	{ M_POST, "/api/auth/telegram/link/", api_tg_link, R_AUTH },
	{ M_POST, "/api/auth/telegram/confirm/", api_tg_confirm, R_NO_AUTH },
	{ M_DELETE, "/api/auth/telegram/", api_tg_unlink, R_AUTH },
	{ M_GET, "/api/events/", api_events, R_AUTH },
	{ M_GET | M_POST, "/api/webhooks/", api_webhooks, R_AUTH },
	{ M_GET | M_PATCH | M_DELETE, "/api/webhooks/{id}/", api_webhook, R_AUTH },
	{ M_POST, "/api/webhooks/{id}/ping/", api_webhook_ping, R_AUTH },
	{ M_GET, "/api/webhooks/{id}/deliveries/", api_webhook_deliveries, R_AUTH },
	{ M_POST, "/api/webhooks/{id}/deliveries/{id}/redeliver/", api_webhook_redeliver,
	    R_AUTH },
	{ M_GET | M_POST, "/api/auth/tokens/", api_pats, R_AUTH },
	{ M_DELETE, "/api/auth/tokens/{id}/", api_pat, R_AUTH },
	{ M_POST | M_DELETE, "/api/auth/calendar/", api_calendar, R_AUTH },
	{ M_GET, "/api/calendar/{key}.ics", api_calendar_feed, R_NO_AUTH },
	{ M_GET, "/api/schema/", api_schema, R_ANY_SCHEMA | R_NO_AUTH },
	{ M_POST, "/api/telegram/webhook/", api_tg_webhook, R_NO_AUTH | R_NO_THROTTLE },
	{ M_GET, "/metrics", api_metrics, R_ANY_SCHEMA | R_NO_THROTTLE | R_NO_AUTH },
	/* last: only a request for the site's root reaches it */
	{ M_GET, "/", api_home, R_ANY_SCHEMA | R_NO_THROTTLE | R_NO_AUTH },
};

const size_t n_api_routes = sizeof(api_routes) / sizeof(api_routes[0]);
