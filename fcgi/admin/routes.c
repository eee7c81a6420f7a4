/* routes: the admin pages' route table, on the path below admin_prefix. */
#include "adm.h"
#include "admin.h"
#include "request.h"

#define PAGE	(R_STAFF | R_HTML | R_NO_THROTTLE)
#define FORM	(PAGE | R_FORM)

const struct route admin_routes[] = {
	{ M_GET, "login/", adm_login_get, R_HTML | R_NO_THROTTLE },
	{ M_POST, "login/", adm_login_post, R_HTML | R_FORM | R_NO_THROTTLE },
	{ M_POST, "logout/", adm_logout, R_AUTH | R_HTML | R_FORM | R_NO_THROTTLE },
	{ M_GET, "", adm_index, PAGE },
	{ M_GET, "users/", adm_users, PAGE },
	{ M_GET | M_POST, "users/add/", adm_user_add, FORM },
	{ M_GET | M_POST, "users/{id}/", adm_user_edit, FORM },
	{ M_GET | M_POST, "users/{id}/password/", adm_user_password, FORM },
	{ M_POST, "users/{id}/unlink-telegram/", adm_user_unlink, FORM },
	{ M_POST, "users/{id}/tokens/{id}/revoke/", adm_user_token_revoke, FORM },
	{ M_GET, "lists/", adm_lists, PAGE },
	{ M_GET | M_POST, "lists/add/", adm_list_add, FORM },
	{ M_GET | M_POST, "lists/{id}/", adm_list_edit, FORM },
	{ M_GET | M_POST, "lists/{id}/delete/", adm_list_delete, FORM },
	{ M_POST, "lists/{id}/members/", adm_list_member_add, FORM },
	{ M_POST, "lists/{id}/members/{id}/", adm_list_member_edit, FORM },
	{ M_GET, "tasks/", adm_tasks, PAGE },
	{ M_POST, "tasks/", adm_tasks_bulk, FORM },
	{ M_GET | M_POST, "tasks/add/", adm_task_add, FORM },
	{ M_GET | M_POST, "tasks/{id}/", adm_task_edit, FORM },
	{ M_GET | M_POST, "tasks/{id}/delete/", adm_task_delete, FORM },
	{ M_POST, "tasks/{id}/comments/", adm_task_comment, FORM },
	{ M_POST, "comments/{id}/delete/", adm_comment_delete, FORM },
};

const size_t n_admin_routes = sizeof(admin_routes) / sizeof(admin_routes[0]);
