/*
 * passwords: argon2id PHC strings through libargon2, with the cost from the
 * configuration.  The clear password is never stored or logged.
 */
#ifndef TASKMGR_PASSWORDS_H
#define TASKMGR_PASSWORDS_H

#include <stddef.h>

struct config;

#define PASSWORD_PHC_MAX 256

/* Hashes pw with a fresh 16-byte salt into out; 0 ok, -1 on error. */
int	 password_hash(const struct config *, const char *pw, char *out, size_t outlen);
/* 1 when pw matches the PHC string, 0 otherwise (also for a malformed or empty one). */
int	 password_verify(const char *phc, const char *pw);
/* 1 when phc was made with other cost settings than the configured ones. */
int	 password_needs_rehash(const struct config *, const char *phc);
/* Spends the time of one verification, for unknown users. */
void	 password_dummy_verify(const struct config *, const char *pw);

#endif
