/*
 * principal: who is calling and how they proved it.  The domain fills one
 * from a credential (tokens_check_access, pats_check, sessions_check,
 * tg_user_by_telegram); the HTTP layer (fcgi/http/) puts it on the request
 * as r->user.  Knows nothing of HTTP.
 */
#ifndef TASKMGR_PRINCIPAL_H
#define TASKMGR_PRINCIPAL_H

#include <stdint.h>

struct tz;

enum auth_via { VIA_NONE = 0, VIA_BEARER, VIA_COOKIE, VIA_BOT, VIA_PAT };

struct principal {
	int64_t		 id;		/* 0: anonymous */
	const char	*username;
	int		 is_staff;
	int		 is_superuser;
	enum auth_via	 via;
	int64_t		 token_id;	/* the access token row, VIA_BEARER; the personal token's, VIA_PAT */
	unsigned	 scopes;	/* VIA_PAT: 1 read, 3 read and write */
	int64_t		 session_id;	/* the session row, VIA_COOKIE */
	const char	*csrf;		/* the session's CSRF token, VIA_COOKIE */
	const struct tz	*zone;		/* the user's time_zone; NULL: the server's */
};

#endif
