/* accounts: /api/auth/ -- login. */
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "passwords.h"
#include "request.h"
#include "tokens.h"
#include "users.h"

/* Writes {access, refresh, access_expires_in, refresh_expires_at}. */
static void
write_pair(struct req *r, const struct token_pair *tp)
{
	int	 first = 1;

	buf_putc(&r->body_out, '{');
	jw_str(&r->body_out, "access", tp->access, &first);
	jw_str(&r->body_out, "refresh", tp->refresh, &first);
	jw_int(&r->body_out, "access_expires_in", r->app->cfg.access_token_ttl, &first);
	jw_time(&r->body_out, "refresh_expires_at", tp->refresh_expires, &first);
	buf_putc(&r->body_out, '}');
}

/* POST /api/auth/token/ {username, password} */
int
api_token(struct req *r)
{
	struct app *app = r->app;
	const char *username = NULL, *password = NULL;
	struct user u;
	struct token_pair tp;
	char	 phc[PASSWORD_PHC_MAX];
	enum dbrc rc;

	jr_str(r, r->json, "username", JF_REQUIRED, 0, &username);
	jr_str(r, r->json, "password", JF_REQUIRED, 0, &password);
	if (r->errors != NULL)
		return resp_errors(r);
	rc = users_find_by_name(&app->db, username, &r->arena, &u);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return api_dbfail(r, rc);
	if (rc == DB_NOTFOUND) {
		password_dummy_verify(&app->cfg, password);
		return resp_detail(r, 401, "No active account found with the given credentials");
	}
	if (!password_verify(u.password, password) || !u.is_active)
		return resp_detail(r, 401, "No active account found with the given credentials");
	/* hashes made with older cost settings are replaced, hashed outside the transaction */
	phc[0] = '\0';
	if (password_needs_rehash(&app->cfg, u.password) &&
	    password_hash(&app->cfg, password, phc, sizeof(phc)) < 0)
		phc[0] = '\0';
	if ((rc = db_begin(&app->db)) != DB_OK)
		return api_dbfail(r, rc);
	if (phc[0] != '\0' && (rc = users_set_password(&app->db, u.id, phc)) != DB_OK)
		goto fail;
	if ((rc = users_touch_login(&app->db, u.id)) != DB_OK ||
	    (rc = tokens_issue(&app->db, &app->cfg, u.id, 0, &tp)) != DB_OK ||
	    (rc = db_commit(&app->db)) != DB_OK)
		goto fail;
	write_pair(r, &tp);
	return 200;
fail:
	db_rollback(&app->db);
	return api_dbfail(r, rc);
}
