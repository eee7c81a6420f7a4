/*
 * login: the admin session login and logout.  Before a session exists the
 * login form is protected by a double-submit token: a random csrftoken
 * cookie that the form repeats in csrfmiddlewaretoken.  From login on the
 * cookie holds the session's CSRF token (the one the admin forms carry and
 * the API wants in X-CSRFToken), new at every login.
 */
#include <stdio.h>
#include <string.h>

#include "adm.h"
#include "app.h"
#include "authn.h"
#include "log.h"
#include "metrics.h"
#include "passwords.h"
#include "request.h"
#include "sessions.h"
#include "throttle.h"
#include "timeutil.h"
#include "tokens.h"
#include "users.h"

#define CSRF_COOKIE	"csrftoken"
#define LOGIN_FAILED	"Please enter the correct username and password for a " \
	"staff account. Note that both fields may be case-sensitive."

/* 1 when s is a token we could have issued (TOKEN_LEN base64url characters). */
static int
token_shape(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != TOKEN_LEN)
		return 0;
	for (i = 0; i < TOKEN_LEN; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Sets the csrftoken cookie to token.  Not HttpOnly, as Django's: a page's
 * script reads it to send X-CSRFToken with the session cookie.
 */
static void
csrf_cookie_set(struct req *r, const char *token)
{
	char	 hdr[160];

	snprintf(hdr, sizeof(hdr), "%s=%s; Path=/; Max-Age=31449600; SameSite=Lax%s",
	    CSRF_COOKIE, token, r->https ? "; Secure" : "");
	resp_header(r, "Set-Cookie", hdr);
}

/* Sets a new random (pre-session) csrftoken cookie and copies it to out; -1 without randomness. */
static int
csrf_cookie_new(struct req *r, char out[TOKEN_LEN + 1])
{
	if (token_random(out) < 0)
		return -1;
	csrf_cookie_set(r, out);
	return 0;
}

/*
 * Whether next is a local path we may redirect to: one leading "/", not
 * "//" or "/\" (another host to browsers), no control characters.
 */
static int
next_is_local(const char *next)
{
	const unsigned char *p;

	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\')
		return 0;
	for (p = (const unsigned char *)next; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}

/* Renders the login form; error NULL for none. */
static int
login_page(struct req *r, int status, const char *csrf, const char *username,
    const char *next, const char *error)
{
	cJSON	*c = adm_ctx(r, "Log in", NULL);

	if (c == NULL)
		return 500;
	/* the login form carries the pre-session token; a session's stays for logout */
	cJSON_AddStringToObject(c, "login_csrf", csrf);
	if (username != NULL)
		cJSON_AddStringToObject(c, "login_username", username);
	if (next_is_local(next))
		cJSON_AddStringToObject(c, "next", next);
	if (error != NULL)
		cJSON_AddStringToObject(c, "error", error);
	if (r->user.id != 0 && !r->user.is_staff)
		cJSON_AddTrueToObject(c, "not_staff");
	return adm_render(r, status, "login", c);
}

/* GET login/ */
int
adm_login_get(struct req *r)
{
	const char *csrf = req_cookie(r, CSRF_COOKIE), *next = adm_param(r, "next");
	char	 fresh[TOKEN_LEN + 1];

	if (r->user.id != 0 && r->user.is_staff)
		return next_is_local(next) ? (resp_html(r),
		    resp_redirect(r, 302, next)) : adm_redirect(r, "");
	if (!token_shape(csrf)) {
		if (csrf_cookie_new(r, fresh) < 0)
			return 500;
		csrf = fresh;
	}
	return login_page(r, 200, csrf, NULL, next, NULL);
}

/*
 * Counts a login attempt against the client address (throttle_anon, the
 * API's key for it) and the folded username (throttle_login, shared with
 * POST /api/auth/token/): DB_OK with *wait 0 when allowed or the seconds
 * to wait, else a storage failure.
 */
static enum dbrc
login_throttled(struct req *r, const char *username, int64_t *wait)
{
	char	 key[THROTTLE_KEY_MAX];
	int64_t	 now = now_us();
	enum dbrc rc;

	throttle_addr_key(r->remote_addr, key, sizeof(key));
	rc = throttle_take(r->app->limits, key, &r->app->cfg.throttle_anon, now, wait);
	if (rc != DB_OK || *wait != 0)
		return rc;
	throttle_login_key(username, key);
	return throttle_take(r->app->limits, key, &r->app->cfg.throttle_login, now, wait);
}

/* Checks the credentials: DB_OK with u filled for an active staff user, DB_NOTFOUND otherwise. */
static enum dbrc
check_login(struct req *r, const char *username, const char *password, struct user *u)
{
	enum dbrc rc;

	rc = users_find_by_name(&r->app->db, username, &r->arena, u);
	if (rc == DB_NOTFOUND) {
		password_dummy_verify(&r->app->cfg, password);
		return DB_NOTFOUND;
	}
	if (rc != DB_OK)
		return rc;
	if (!password_verify(u->password, password) || !u->is_staff || !u->is_active)
		return DB_NOTFOUND;
	return DB_OK;
}

/* Ends the request's current session (if any), starts one for uid and sets the cookies. */
static int
start_session(struct req *r, int64_t uid)
{
	const char *old = req_cookie(r, SESSION_COOKIE);
	struct session s;
	enum dbrc rc;

	if ((rc = db_begin(&r->app->db)) != DB_OK)
		return adm_dbfail(r, rc);
	/* the old id must not survive the login (session fixation) */
	if (old != NULL && *old != '\0' &&
	    (rc = sessions_delete(&r->app->db, old)) != DB_OK)
		goto fail;
	if ((rc = sessions_create(&r->app->db, &r->app->cfg, uid, &s)) != DB_OK)
		goto fail;
	if ((rc = users_touch_login(&r->app->db, uid)) != DB_OK)
		goto fail;
	if ((rc = db_commit(&r->app->db)) != DB_OK)
		goto fail;
	http_session_cookie(r, &s);
	/* from login on the cookie is the new session's token, as Django rotates it */
	csrf_cookie_set(r, s.csrf);
	return 0;
fail:
	db_rollback(&r->app->db);
	return adm_dbfail(r, rc);
}

/* POST login/ */
int
adm_login_post(struct req *r)
{
	const char *cookie = req_cookie(r, CSRF_COOKIE), *tok, *username, *password, *next;
	struct form f;
	struct user u;
	char	 msg[128];
	int64_t	 wait;
	enum dbrc rc;
	int	 st;

	if (form_parse(&r->arena, r->body ? r->body : "", r->body_len, 16, &f) < 0)
		return adm_render(r, 400, "bad_request", adm_ctx(r, "Bad request", NULL));
	tok = form_get(&f, ADM_CSRF_FIELD);
	if (!token_shape(cookie) || tok == NULL || !str_ct_equal(tok, cookie))
		return adm_csrf_failed(r);
	username = form_get(&f, "username");
	password = form_get(&f, "password");
	next = form_get(&f, "next");
	if (username == NULL || *username == '\0' || password == NULL || *password == '\0')
		return login_page(r, 200, cookie, username, next,
		    "Please enter both a username and a password.");
	if ((rc = login_throttled(r, username, &wait)) != DB_OK)
		return adm_dbfail(r, rc);
	if (wait > 0) {
		char	 ra[24];

		snprintf(ra, sizeof(ra), "%lld", (long long)wait);
		resp_header(r, "Retry-After", ra);
		snprintf(msg, sizeof(msg), "Too many login attempts. Try again in "
		    "%lld seconds.", (long long)wait);
		return login_page(r, 429, cookie, username, next, msg);
	}
	switch ((rc = check_login(r, username, password, &u))) {
	case DB_OK:
		break;
	case DB_NOTFOUND:
		log_info("admin login refused for a user name");
		metrics_event(MET_LOGIN_FAILED);
		return login_page(r, 200, cookie, username, next, LOGIN_FAILED);
	default:
		return adm_dbfail(r, rc);
	}
	if ((st = start_session(r, u.id)) != 0)
		return st;
	metrics_event(MET_LOGIN_OK);
	if (next_is_local(next)) {
		resp_html(r);
		return resp_redirect(r, 302, next);
	}
	return adm_redirect(r, "");
}

/* POST logout/ */
int
adm_logout(struct req *r)
{
	const char *sid = req_cookie(r, SESSION_COOKIE);
	struct form f;
	enum dbrc rc;
	int	 st;

	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	if (sid != NULL && (rc = sessions_delete(&r->app->db, sid)) != DB_OK)
		return adm_dbfail(r, rc);
	http_session_clear(r);
	memset(&r->user, 0, sizeof(r->user));
	return adm_render(r, 200, "logged_out", adm_ctx(r, "Logged out", NULL));
}
