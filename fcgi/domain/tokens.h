/*
 * tokens: opaque bearer tokens (256 random bits, base64url) stored only as
 * SHA-256 digests.  An access token is tied to the refresh token it was
 * issued with; a login is a family of rotated refresh tokens.
 */
#ifndef TASKMGR_TOKENS_H
#define TASKMGR_TOKENS_H

#include <stdint.h>

#include "db.h"

struct config;
struct principal;
struct arena;

#define TOKEN_LEN 43		/* base64url of 32 bytes, no padding */
#define TOKEN_ACCESS 1
#define TOKEN_REFRESH 2

struct token_pair {
	char	 access[TOKEN_LEN + 1];
	char	 refresh[TOKEN_LEN + 1];
	int64_t	 access_expires;	/* microseconds */
	int64_t	 refresh_expires;
	int64_t	 refresh_id;
};

/* Fills out with a new random token; -1 when the OS has no randomness. */
int	 token_random(char out[TOKEN_LEN + 1]);
/* SHA-256 of s. */
void	 token_digest(const char *s, unsigned char out[32]);
/*
 * Issues a refresh and an access token for user_id.  family 0 starts a new
 * login.  Runs inside the caller's transaction if one is open.
 */
enum dbrc tokens_issue(struct db *, const struct config *, int64_t user_id,
	    int64_t family, struct token_pair *);
/*
 * Looks up a live access token of an active user and fills p (username
 * copied into the arena).  DB_NOTFOUND for unknown, expired or revoked.
 */
enum dbrc tokens_check_access(struct db *, const char *token, struct arena *,
	    struct principal *p);

#endif
