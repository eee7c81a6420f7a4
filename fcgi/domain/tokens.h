/*
 * tokens: opaque bearer tokens (256 random bits, base64url) stored only as
 * SHA-256 digests.  An access token is tied to the refresh token it was
 * issued with; a login is a family of rotated refresh tokens.
 */
#ifndef TASKMGR_TOKENS_H
#define TASKMGR_TOKENS_H

#include <stddef.h>
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
/* SHA-256 of the string s, of len octets at s. */
void	 token_digest(const char *s, unsigned char out[32]);
void	 token_digest_n(const void *s, size_t len, unsigned char out[32]);
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
/* Its statement's text (a test reads its plan). */
extern const char tokens_check_sql[];

/*
 * Rotates the refresh token tok: it stops working and a new pair of the
 * same login is issued into tp (its own transaction).  DB_NOTFOUND for an
 * unknown or expired token or an inactive user; DB_INVALID when tok was
 * already rotated or revoked: the whole login is then revoked (reuse).
 */
enum dbrc tokens_rotate(struct db *, const struct config *, const char *tok,
	    struct token_pair *tp);
/*
 * Revokes the refresh token tok and the access tokens issued with it (its
 * own transaction); with uid != 0 only a token of that user counts.
 * DB_NOTFOUND and DB_INVALID as for tokens_rotate.
 */
enum dbrc tokens_revoke(struct db *, const char *tok, int64_t uid);
/*
 * Revokes every token of a user, personal tokens included, and ends the
 * user's calendar feed (deactivation, password change).
 */
enum dbrc tokens_revoke_user(struct db *, int64_t uid);
/* Deletes at most limit expired token rows; the number deleted in *n. */
enum dbrc tokens_purge(struct db *, int limit, int *n);

#endif
