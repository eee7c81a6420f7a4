/*
 * pats: personal API tokens ("tmpat_" + 43 base64url characters) that a
 * user makes for scripts, with a read or read+write scope and an optional
 * expiry.  Stored only as the SHA-256 digest of the whole token; a token
 * is found by that digest with one indexed lookup.  Revoking deletes it.
 */
#ifndef TASKMGR_PATS_H
#define TASKMGR_PATS_H

#include <stdint.h>

#include "db.h"
#include "tokens.h"

struct arena;
struct principal;

#define PAT_PREFIX	"tmpat_"
#define PAT_PREFIX_LEN	6
#define PAT_LEN		(PAT_PREFIX_LEN + TOKEN_LEN)
#define PAT_SHOWN	10	/* characters of the token kept in prefix */
#define PAT_MAX_PER_USER 50
#define PAT_NAME_MAX	100	/* characters */
#define PAT_READ	1
#define PAT_WRITE	2

struct pat {
	int64_t		 id;
	const char	*name;
	const char	*prefix;
	unsigned	 scopes;	/* PAT_READ, PAT_READ | PAT_WRITE */
	int64_t		 expires_at;	/* TIME_NULL: never */
	int64_t		 created_at;
	int64_t		 last_used_at;	/* TIME_NULL: never used */
};

/*
 * Makes a token for uid (its own transaction) and writes it into tok, the
 * row into *out (strings in the arena).  DB_INVALID when uid already has
 * PAT_MAX_PER_USER tokens.
 */
enum dbrc pats_create(struct db *, int64_t uid, const char *name, unsigned scopes,
	    int64_t expires_at, struct arena *, char tok[PAT_LEN + 1], struct pat *out);
/* The number of uid's tokens. */
enum dbrc pats_count(struct db *, int64_t uid, int64_t *n);
/* Calls fn for uid's tokens, newest first, limit from offset. */
enum dbrc pats_page(struct db *, int64_t uid, int64_t limit, int64_t offset,
	    void (*fn)(void *, const struct pat *), void *ctx);
/* Deletes token id of uid; DB_NOTFOUND when uid has no such token. */
enum dbrc pats_delete(struct db *, int64_t uid, int64_t id);
/* Deletes every token of uid (inside the caller's transaction, if any). */
enum dbrc pats_delete_user(struct db *, int64_t uid);
/*
 * Looks up a live token of an active user and fills p (via VIA_PAT,
 * token_id, scopes; username in the arena).  *touch is set when its
 * last_used_at is over a minute old (pats_touch should then run).
 * DB_NOTFOUND for an unknown, expired or revoked token.
 */
enum dbrc pats_check(struct db *, const char *tok, struct arena *,
	    struct principal *p, int *touch);
/* Sets last_used_at of token id to now (its own write transaction). */
enum dbrc pats_touch(struct db *, int64_t id);

#endif
