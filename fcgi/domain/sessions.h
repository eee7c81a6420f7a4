/*
 * sessions: the admin pages' login sessions.  A session id is 256 random
 * bits sent as the cookie value and stored only as its SHA-256 digest; each
 * session has its own random CSRF token and an expiry (session_ttl).
 * Expired rows are purged in small batches (sessions_purge).
 */
#ifndef TASKMGR_SESSIONS_H
#define TASKMGR_SESSIONS_H

#include <stdint.h>

#include "db.h"
#include "tokens.h"

struct arena;
struct config;
struct principal;

/* The cookie's name; fcgi/http/authn.h writes and clears it. */
#define SESSION_COOKIE "sessionid"

struct session {
	char	 id[TOKEN_LEN + 1];
	char	 csrf[TOKEN_LEN + 1];
	int64_t	 expires;	/* microseconds */
};

/* Creates a session for user_id (random id stored only as SHA-256, random CSRF token, expiry now+session_ttl). */
enum dbrc sessions_create(struct db *, const struct config *, int64_t user_id, struct session *out);
/* Deletes the session whose cookie value is sid (no-op if unknown). */
enum dbrc sessions_delete(struct db *, const char *sid);
/* Looks a live session of an active user up by cookie value; fills p (via VIA_COOKIE, session_id, csrf, username copied to the arena). */
enum dbrc sessions_check(struct db *, const char *sid, struct arena *, struct principal *p);
/* Deletes every session of user_id (deactivation, password change). */
enum dbrc sessions_delete_user(struct db *, int64_t user_id);
/* Deletes at most limit expired sessions; the number deleted in *n. */
enum dbrc sessions_purge(struct db *, int limit, int *n);

#endif
