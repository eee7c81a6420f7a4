/* passwords: argon2id hashing and verification. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <argon2.h>

#include "config.h"
#include "passwords.h"

#define SALT_LEN 16
#define HASH_LEN 32

int
password_hash(const struct config *cfg, const char *pw, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN];

	if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		return -1;
	if (argon2id_hash_encoded((uint32_t)cfg->argon2_t_cost,
	    (uint32_t)cfg->argon2_m_cost_kib, (uint32_t)cfg->argon2_parallelism,
	    pw, strlen(pw), salt, sizeof(salt), HASH_LEN, out, outlen) != ARGON2_OK)
		return -1;
	return 0;
}

int
password_verify(const char *phc, const char *pw)
{
	if (phc == NULL || strncmp(phc, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(phc, pw, strlen(pw)) == ARGON2_OK;
}

int
password_needs_rehash(const struct config *cfg, const char *phc)
{
	char	 want[64];

	snprintf(want, sizeof(want), "$argon2id$v=%d$m=%lld,t=%lld,p=%lld$",
	    ARGON2_VERSION_NUMBER, (long long)cfg->argon2_m_cost_kib,
	    (long long)cfg->argon2_t_cost, (long long)cfg->argon2_parallelism);
	return strncmp(phc, want, strlen(want)) != 0;
}

void
password_dummy_verify(const struct config *cfg, const char *pw)
{
	/* a hash with the configured cost, made once per process */
	static char dummy[PASSWORD_PHC_MAX];
	static long long made_m, made_t, made_p;

	if (dummy[0] == '\0' || made_m != cfg->argon2_m_cost_kib ||
	    made_t != cfg->argon2_t_cost || made_p != cfg->argon2_parallelism) {
		if (password_hash(cfg, "not the password of anyone", dummy,
		    sizeof(dummy)) < 0)
			return;
		made_m = cfg->argon2_m_cost_kib;
		made_t = cfg->argon2_t_cost;
		made_p = cfg->argon2_parallelism;
	}
	(void)password_verify(dummy, pw);
}
