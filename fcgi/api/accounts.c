/* accounts: /api/auth/ -- register, login, refresh, blacklist, logout (me: me.c). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "authn.h"
#include "json.h"
#include "metrics.h"
#include "passwords.h"
#include "ratelimit.h"
#include "request.h"
#include "sessions.h"
#include "throttle.h"
#include "tokens.h"
#include "username.h"
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

/* Limits login attempts per username (its lookup key), from any address. */
static int
login_throttle(struct req *r, const char *username)
{
	char	 key[THROTTLE_KEY_MAX];

	if (r->app->cfg.throttle_login.n == 0)
		return 0;
	throttle_login_key(username, key);
	return http_throttle_hit(r, key, &r->app->cfg.throttle_login);
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
	int	 st;

	/* DRF trims the username; the lookup key is of the trimmed name */
	if (jr_str(r, r->json, "username", JF_REQUIRED, 0, &username) == JR_OK &&
	    username_blank(username))
		req_error(r, "username", username_message(UNAME_BLANK));
	jr_str(r, r->json, "password", JF_REQUIRED, 0, &password);
	if (r->errors != NULL)
		return resp_errors(r);
	if ((st = login_throttle(r, username)) != 0)
		return st;
	rc = users_find_by_name(&app->db, username, &r->arena, &u);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return api_dbfail(r, rc);
	/* an unknown user, or one without a usable hash, costs one verification too */
	if (rc == DB_NOTFOUND || strncmp(u.password, "$argon2id$", 10) != 0) {
		password_dummy_verify(&app->cfg, password);
		metrics_event(MET_LOGIN_FAILED);
		return resp_detail(r, 401, "No active account found with the given credentials");
	}
	if (!password_verify(u.password, password) || !u.is_active) {
		metrics_event(MET_LOGIN_FAILED);
		return resp_detail(r, 401, "No active account found with the given credentials");
	}
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
	metrics_event(MET_LOGIN_OK);
	return 200;
fail:
	db_rollback(&app->db);
	return api_dbfail(r, rc);
}

/* Records Django's password-rule messages for the password field; 1 if any. */
static int
check_password(struct req *r, const char *pw, const char *username, const char *email)
{
	const char *msgs[PASSWORD_MAX_MSGS];
	int	 i, n = password_validate(pw, username, email, msgs);

	for (i = 0; i < n; i++)
		req_error(r, "password", msgs[i]);
	return n > 0;
}

/* POST /api/auth/register/ {username, email?, password, confirm_password} */
int
api_register(struct req *r)
{
	struct app *app = r->app;
	const char *raw = NULL, *email = NULL, *pw = NULL, *confirm = NULL;
	char	 phc[PASSWORD_PHC_MAX], username[USERNAME_BUF];
	struct user u;
	int64_t	 id;
	enum dbrc rc;
	enum uname un;
	int	 name_ok, email_ok = 1;

	/* trimmed, NFKC, one script (username.h); the NFKC form is stored */
	name_ok = jr_str(r, r->json, "username", JF_REQUIRED | JF_BLANK, 0, &raw) == JR_OK;
	if (name_ok && (un = username_clean(raw, username, sizeof(username))) != UNAME_OK) {
		req_error(r, "username", username_message(un));
		name_ok = 0;
	}
	if (name_ok) {
		rc = users_find_by_name(&app->db, username, &r->arena, &u);
		if (rc == DB_OK)
			req_error(r, "username", "A user with that username already exists.");
		else if (rc != DB_NOTFOUND)
			return api_dbfail(r, rc);
	}
	if (jr_str(r, r->json, "email", JF_BLANK | JF_NULL | JF_TRIM, 254, &email) == JR_BAD)
		email_ok = 0;
	else if (email != NULL && *email != '\0' && !users_valid_email(email)) {
		req_error(r, "email", "Enter a valid email address.");
		email_ok = 0;
	}
	if (jr_str(r, r->json, "password", JF_REQUIRED, 4096, &pw) == JR_OK)
		check_password(r, pw, name_ok ? username : NULL, email_ok ? email : NULL);
	jr_str(r, r->json, "confirm_password", JF_REQUIRED, 4096, &confirm);
	if (r->errors != NULL)
		return resp_errors(r);
	if (strcmp(pw, confirm) != 0) {
		req_error(r, "password", "Passwords do not match.");
		return resp_errors(r);
	}
	if (password_hash(&app->cfg, pw, phc, sizeof(phc)) < 0)
		return 500;
	rc = users_create(&app->db, username, email ? email : "", phc, 0, 0, &id);
	if (rc == DB_CONFLICT) {
		/* registered by someone else since the check above */
		req_error(r, "username", "A user with that username already exists.");
		return resp_errors(r);
	}
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	buf_printf(&r->body_out, "{\"message\":\"User registered successfully\","
	    "\"user_id\":%lld}", (long long)id);
	return 201;
}

/* The DRF answer for a refresh token that cannot be used. */
static int
token_invalid(struct req *r)
{
	buf_reset(&r->body_out);
	buf_puts(&r->body_out, "{\"detail\":\"Token is invalid or expired\","
	    "\"code\":\"token_not_valid\"}");
	return 401;
}

/* POST /api/auth/token/refresh/ {refresh} */
int
api_token_refresh(struct req *r)
{
	const char *tok = NULL;
	struct token_pair tp;
	enum dbrc rc;

	jr_str(r, r->json, "refresh", JF_REQUIRED, 0, &tok);
	if (r->errors != NULL)
		return resp_errors(r);
	rc = tokens_rotate(&r->app->db, &r->app->cfg, tok, &tp);
	if (rc == DB_NOTFOUND || rc == DB_INVALID)
		return token_invalid(r);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	write_pair(r, &tp);
	return 200;
}

/* POST /api/auth/token/blacklist/ {refresh} */
int
api_token_blacklist(struct req *r)
{
	const char *tok = NULL;
	enum dbrc rc;

	jr_str(r, r->json, "refresh", JF_REQUIRED, 0, &tok);
	if (r->errors != NULL)
		return resp_errors(r);
	rc = tokens_revoke(&r->app->db, tok, 0);
	if (rc == DB_NOTFOUND || rc == DB_INVALID)
		return token_invalid(r);
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	buf_puts(&r->body_out, "{}");
	return 200;
}

/* POST /api/auth/logout/ {refresh_token}: also ends the admin session sent along. */
int
api_logout(struct req *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "refresh_token");
	const char *sid;
	enum dbrc rc;

	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return resp_kv(r, 400, "error", "Refresh token is required");
	rc = tokens_revoke(&r->app->db, v->valuestring, r->user.id);
	if (rc == DB_NOTFOUND || rc == DB_INVALID)
		return resp_kv(r, 400, "error", "Invalid token");
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	if ((sid = req_cookie(r, SESSION_COOKIE)) != NULL) {
		if ((rc = sessions_delete(&r->app->db, sid)) != DB_OK)
			return api_dbfail(r, rc);
		http_session_clear(r);
	}
	buf_puts(&r->body_out, "{\"message\":\"Successfully logged out\"}");
	return 200;
}
