/*
 * auth: the authentication hook of the request pipeline.  Reads the
 * Authorization header (Bearer) or the admin session cookie and fills
 * r->user.
 */
#ifndef TASKMGR_AUTH_H
#define TASKMGR_AUTH_H

struct req;

/* 0 (anonymous or authenticated), or 401 with the body set for bad credentials. */
int	 auth_authenticate(struct req *);

#endif
