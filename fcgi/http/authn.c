/* authn: the request's credentials to r->user, and the session cookie. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "authn.h"
#include "pats.h"
#include "ratelimit.h"
#include "request.h"
#include "router.h"
#include "sessions.h"
#include "telegram_link.h"
#include "timeutil.h"
#include "tokens.h"

/* The DRF-compatible answer for a token that is not valid. */
static int
bad_token(struct req *r)
{
	r->status = 401;
	buf_reset(&r->body_out);
	buf_puts(&r->body_out, "{\"detail\":\"Given token not valid for any token type\","
	    "\"code\":\"token_not_valid\"}");
	return 401;
}

/*
 * Settles a credential check that filled r->user: 0 for DB_OK; else
 * r->user is cleared and the answer is -1 for DB_NOTFOUND (not valid),
 * the storage failure's status otherwise.
 */
static int
settle(struct req *r, enum dbrc rc)
{
	if (rc == DB_OK)
		return 0;
	memset(&r->user, 0, sizeof(r->user));
	return rc == DB_NOTFOUND ? -1 : http_db_status(rc);
}

/* The "Bot" scheme: 0 with r->user set, 401 for a wrong secret or an unlinked id, 5xx. */
static int
bot_authenticate(struct req *r)
{
	int	 st;

	st = settle(r, tg_authenticate(&r->app->db, &r->app->cfg, r->authorization,
	    r->telegram_id, &r->arena, &r->user));
	if (st >= 0)
		return st;
	return resp_detail(r, 401, "Invalid bot credentials or Telegram account not linked.");
}

/* True for the routes no personal token may use: accounts, tokens, webhooks. */
static int
pat_refused_route(const struct route *rt)
{
	return rt == NULL || strncmp(rt->pattern, "/api/auth/", 10) == 0 ||
	    strncmp(rt->pattern, "/api/webhooks/", 14) == 0;
}

/*
 * A personal token (tmpat_...): 0 with r->user set, 401 as for any bad
 * token (a failure costs an anonymous request), 403 when its scope does not
 * cover the route and method.  Its last_used_at is written at most once a
 * minute, outside the request's read snapshot.
 */
static int
pat_authenticate(struct req *r, const char *tok)
{
	struct db *db = &r->app->db;
	int	 st, touch = 0, reading;

	st = settle(r, pats_check(db, tok, &r->arena, &r->user, &touch));
	if (st < 0) {
		if ((st = http_anon_hit(r)) != 0)
			return st;
		return bad_token(r);
	}
	if (st > 0)
		return st;
	if (pat_refused_route(r->route) || (!(r->user.scopes & PAT_WRITE) &&
	    (r->method & (M_POST | M_PUT | M_PATCH | M_DELETE | M_OTHER)))) {
		memset(&r->user, 0, sizeof(r->user));
		return resp_detail(r, 403, "This token does not allow this action.");
	}
	if (touch) {
		reading = db->in_read;
		(void)pats_touch(db, r->user.token_id);
		if (reading)
			(void)db_read_begin(db);
	}
	return 0;
}

/*
 * Bearer wins when both a token and the session cookie are present; a bad
 * token is a 401, a bad or expired cookie leaves the request anonymous.
 * Admin pages (R_HTML) look at the session cookie alone: there any
 * Authorization header is ignored.  A failed Bearer token or bot secret
 * costs an anonymous request of the client address (http_anon_hit), so
 * guessing is throttled (429); a valid token costs nothing more.
 */
int
http_authenticate(struct req *r)
{
	const char *h = r->authorization, *sid;
	int	 st;

	if (r->route != NULL && (r->route->flags & R_HTML))
		h = NULL;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		if (strncmp(h, PAT_PREFIX, PAT_PREFIX_LEN) == 0)
			return pat_authenticate(r, h);
		st = settle(r, tokens_check_access(&r->app->db, h, &r->arena, &r->user));
		if (st >= 0)
			return st;
		if ((st = http_anon_hit(r)) != 0)
			return st;
		return bad_token(r);
	}
	if (h != NULL && strncasecmp(h, "Bot ", 4) == 0) {
		/* over the limit, the secret is not even compared: no answer tells a guess */
		if ((st = http_anon_over(r)) != 0)
			return st;
		if (!tg_bot_secret_ok(&r->app->cfg, h) && (st = http_anon_hit(r)) != 0)
			return st;
		return bot_authenticate(r);
	}
	/* an unknown scheme is ignored, as DRF does; the cookie may still apply */
	if ((sid = req_cookie(r, SESSION_COOKIE)) == NULL || *sid == '\0')
		return 0;
	st = settle(r, sessions_check(&r->app->db, sid, &r->arena, &r->user));
	return st < 0 ? 0 : st;
}

/* Writes one Set-Cookie header with the common attributes. */
static void
put_cookie(struct req *r, const char *value, int64_t max_age)
{
	char	 v[256];

	snprintf(v, sizeof(v), "%s=%s; Max-Age=%lld;%s Path=/; HttpOnly; SameSite=Lax%s",
	    SESSION_COOKIE, value, (long long)max_age,
	    max_age == 0 ? " Expires=Thu, 01 Jan 1970 00:00:00 GMT;" : "",
	    r->https ? "; Secure" : "");
	resp_header(r, "Set-Cookie", v);
}

void
http_session_cookie(struct req *r, const struct session *s)
{
	int64_t	 left = (s->expires - now_us()) / 1000000;

	put_cookie(r, s->id, left > 0 ? left : 0);
}

void
http_session_clear(struct req *r)
{
	put_cookie(r, "", 0);
}
