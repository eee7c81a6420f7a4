/*
 * auth: the authentication hook of the request pipeline.  Reads the
 * Authorization header (Bearer, Bot) or the admin session cookie (alone on
 * the admin pages) and fills r->user.
 */
#ifndef TASKMGR_AUTH_H
#define TASKMGR_AUTH_H

struct req;

/*
 * 0 (anonymous or authenticated), or 401 with the body set for bad
 * credentials, 429 once the client address has failed too often
 * (throttle_anon), 5xx on a storage failure.
 */
int	 auth_authenticate(struct req *);

#endif
