/*
 * api: the JSON API's route table and handlers, one file per resource.
 */
#ifndef TASKMGR_API_H
#define TASKMGR_API_H

#include <stddef.h>

#include "router.h"

extern const struct route api_routes[];
extern const size_t n_api_routes;

struct req;

/* health.c */
int	 api_health(struct req *);
/* accounts.c */
int	 api_token(struct req *);
int	 api_register(struct req *);
int	 api_token_refresh(struct req *);
int	 api_token_blacklist(struct req *);
int	 api_logout(struct req *);
int	 api_me(struct req *);
/* users.c */
int	 api_users(struct req *);

/* Maps a storage result to a response: 404, 409, 503 or 500. */
int	 api_dbfail(struct req *, int dbrc);

#endif
