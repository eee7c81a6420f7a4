/*
 * passwords: argon2id PHC strings through libargon2, with the cost from the
 * configuration.  The clear password is never stored or logged.
 */
#ifndef TASKMGR_PASSWORDS_H
#define TASKMGR_PASSWORDS_H

#include <stddef.h>
#include <stdint.h>

struct config;

#define PASSWORD_PHC_MAX 256
#define PASSWORD_MIN_LEN 8
#define PASSWORD_MAX_MSGS 5

/* Hashes pw with a fresh 16-byte salt into out; 0 ok, -1 on error. */
int	 password_hash(const struct config *, const char *pw, char *out, size_t outlen);
/* 1 when pw matches the PHC string, 0 otherwise (also for a malformed or empty one). */
int	 password_verify(const char *phc, const char *pw);
/*
 * Gives argon2id's work area, kept between verifications, back to the
 * system once none has used it for a second; 1 while it is still kept
 * (call again later), 0 when nothing is kept.
 */
int	 password_idle(int64_t now);
/* 1 when phc was made with other cost settings than the configured ones. */
int	 password_needs_rehash(const struct config *, const char *phc);
/* The number of argon2 verifications this process has run (for tests). */
long	 password_verify_count(void);
/* Spends the time of one verification (one argon2id verify with the configured cost), for unknown users. */
void	 password_dummy_verify(const struct config *, const char *pw);

/*
 * Applies the password rules, in Django's validator order: not too similar
 * to the username or the email's local part (libpwquality), at least
 * PASSWORD_MIN_LEN characters, not a dictionary or common password
 * (cracklib), not entirely numeric.  Stores Django's message for each
 * failed rule in msgs (static strings) and returns how many; 0 = acceptable.
 * username and email may be NULL.
 */
int	 password_validate(const char *pw, const char *username, const char *email,
	    const char *msgs[PASSWORD_MAX_MSGS]);

#endif
