/* auth: credentials to a principal. */
#include <string.h>
#include <strings.h>

#include "app.h"
#include "request.h"
#include "router.h"
#include "sessions.h"
#include "telegram_link.h"
#include "throttle.h"
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
 * Bearer wins when both a token and the session cookie are present; a bad
 * token is a 401, a bad or expired cookie leaves the request anonymous.
 * Admin pages (R_HTML) look at the session cookie alone: there any
 * Authorization header is ignored.  A failed Bearer token or bot secret
 * costs an anonymous request of the client address (throttle_anon), so
 * guessing is throttled (429); a valid token costs nothing more.
 */
int
auth_authenticate(struct req *r)
{
	const char *h = r->authorization, *sid;
	enum dbrc rc;
	int	 st;

	if (r->route != NULL && (r->route->flags & R_HTML))
		h = NULL;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		rc = tokens_check_access(&r->app->db, h, &r->arena, &r->user);
		if (rc == DB_OK)
			return 0;
		memset(&r->user, 0, sizeof(r->user));
		if (rc == DB_BUSY)
			return 503;
		if (rc != DB_NOTFOUND)
			return 500;
		if ((st = throttle_anon_hit(r)) != 0)
			return st;
		return bad_token(r);
	}
	if (h != NULL && strncasecmp(h, "Bot ", 4) == 0) {
		/* over the limit, the secret is not even compared: no answer tells a guess */
		if ((st = throttle_anon_over(r)) != 0)
			return st;
		if (!tg_bot_secret_ok(&r->app->cfg, h) && (st = throttle_anon_hit(r)) != 0)
			return st;
		return tg_authenticate(r);
	}
	/* an unknown scheme is ignored, as DRF does; the cookie may still apply */
	if ((sid = req_cookie(r, SESSION_COOKIE)) == NULL || *sid == '\0')
		return 0;
	rc = sessions_check(&r->app->db, sid, &r->arena, &r->user);
	if (rc == DB_OK)
		return 0;
	memset(&r->user, 0, sizeof(r->user));
	if (rc == DB_BUSY)
		return 503;
	return rc == DB_NOTFOUND ? 0 : 500;
}
