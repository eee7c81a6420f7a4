/*
 * authn: credentials of a request to its principal (r->user), and the
 * session cookie.  The domain checks a credential and returns a principal
 * (tokens_check_access, sessions_check, tg_authenticate); this layer reads
 * the Authorization header or the session cookie, costs failures against
 * the anonymous rate limit and writes the 401/429 answers.
 */
#ifndef TASKMGR_AUTHN_H
#define TASKMGR_AUTHN_H

struct req;
struct session;

/*
 * The app->authenticate hook: reads Authorization (Bearer, Bot) or the
 * admin session cookie (alone on the admin pages) and fills r->user.
 * 0 (anonymous or authenticated), or 401 with the body set for bad
 * credentials, 429 once the client address has failed too often
 * (throttle_anon), 5xx on a storage failure.
 */
int	 http_authenticate(struct req *);
/*
 * Writes the Set-Cookie header of session s (HttpOnly; SameSite=Lax;
 * Path=/; Secure when r->https; Max-Age the seconds it has left), or one
 * that clears the cookie.
 */
void	 http_session_cookie(struct req *, const struct session *s);
void	 http_session_clear(struct req *);

#endif
