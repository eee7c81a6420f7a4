/*
 * telegram_link: tying a Telegram account to a user.  One-time link codes
 * (32 lowercase hex characters, stored only as SHA-256 digests, one live
 * code per user), the confirm rule shared by the API and the bot, the
 * "Bot" authentication scheme, and the bot's small persistent state.
 */
#ifndef TASKMGR_TELEGRAM_LINK_H
#define TASKMGR_TELEGRAM_LINK_H

#include <stdint.h>

#include "db.h"

struct arena;
struct config;
struct principal;
struct token_pair;

#define TG_CODE_LEN 32

/*
 * Makes a new link code for uid, valid ttl seconds, replacing (voiding) any
 * earlier code of that user.  The code is written into code.
 */
enum dbrc tg_link_create(struct db *, int64_t uid, int64_t ttl,
	    char code[TG_CODE_LEN + 1]);
/*
 * Consumes code and links tgid to its user, in one transaction (the
 * caller's when one is open, tx.h): of two concurrent confirms with one code
 * exactly one succeeds.  DB_INVALID for a
 * malformed, unknown, used or expired code (or an inactive user);
 * DB_CONFLICT when tgid is linked to another user (the code stays usable).
 * With tp non-NULL a token pair for the user is issued in the same
 * transaction.  The user's id goes to *uid.
 */
enum dbrc tg_link_confirm(struct db *, const struct config *, const char *code,
	    int64_t tgid, struct token_pair *tp, int64_t *uid);
/* Removes uid's Telegram link.  DB_OK even when it was not linked. */
enum dbrc tg_unlink(struct db *, int64_t uid);
/* The active user linked to tgid, username copied into the arena; DB_NOTFOUND if none. */
enum dbrc tg_user_by_telegram(struct db *, int64_t tgid, struct arena *,
	    struct principal *);

/* True when authorization is "Bot <secret>" with the configured secret (constant time). */
int	 tg_bot_secret_ok(const struct config *, const char *authorization);
/* Parses a Telegram id (a positive or negative decimal int64); -1 when not one. */
int	 tg_parse_id(const char *s, int64_t *out);
/*
 * The "Bot" scheme: "Authorization: Bot <secret>" plus "X-Telegram-Id: <id>"
 * act as the user linked to that id.  DB_OK with p filled (VIA_BOT),
 * DB_NOTFOUND for a wrong secret, a malformed id or an unlinked one (p
 * untouched), else a storage failure.
 */
enum dbrc tg_authenticate(struct db *, const struct config *, const char *authorization,
	    const char *telegram_id, struct arena *, struct principal *);

/* A named integer of the bot's state (e.g. the getUpdates offset); def when unset. */
enum dbrc tg_state_get(struct db *, const char *name, int64_t def, int64_t *out);
/* Raises a named integer to value; it never goes down (offsets only advance). */
enum dbrc tg_state_set(struct db *, const char *name, int64_t value);
/*
 * Within a transaction: moves the offset name past id (to id + 1) when
 * it is not past it yet, holding its row to the transaction's end; the
 * first of two transactions claiming one id sets *claimed 1, the other
 * (after the first committed) 0: that update was handled before.
 */
enum dbrc tg_state_claim(struct db *, const char *name, int64_t id, int *claimed);

#endif
