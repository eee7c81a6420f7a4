/* passwords: argon2id hashing and verification, quality rules through libpwquality. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <argon2.h>
#include <pwquality.h>

#include "config.h"
#include "passwords.h"

#define SALT_LEN 16
#define HASH_LEN 32

static long argon2_verifies;	/* process-wide count, for tests */

long
password_verify_count(void)
{
	return argon2_verifies;
}

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
	argon2_verifies++;
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

/* The libpwquality settings: one for the dictionary, one for the name checks. */
static pwquality_settings_t *
pwq_settings(int dict)
{
	static pwquality_settings_t *s[2];

	if (s[dict] == NULL && (s[dict] = pwquality_default_settings()) != NULL) {
		/* our own rules do the length; /etc/security/pwquality.conf is not read */
		pwquality_set_int_value(s[dict], PWQ_SETTING_MIN_LENGTH, 6);
		pwquality_set_int_value(s[dict], PWQ_SETTING_DICT_CHECK, dict);
		pwquality_set_int_value(s[dict], PWQ_SETTING_USER_CHECK, !dict);
		pwquality_set_int_value(s[dict], PWQ_SETTING_GECOS_CHECK, 0);
	}
	return s[dict];
}

/* 1 when libpwquality says pw contains name in some form (also reversed). */
static int
similar_to(const char *pw, const char *name)
{
	pwquality_settings_t *s = pwq_settings(0);
	void	*aux = NULL;

	if (s == NULL || name == NULL || *name == '\0')
		return 0;
	return pwquality_check(s, pw, NULL, name, &aux) == PWQ_ERROR_USER_CHECK;
}

/* 1 when cracklib finds pw in its dictionaries or too simple. */
static int
too_common(const char *pw)
{
	pwquality_settings_t *s = pwq_settings(1);
	void	*aux = NULL;
	int	 rc;

	if (s == NULL)
		return 0;
	rc = pwquality_check(s, pw, NULL, NULL, &aux);
	return rc == PWQ_ERROR_CRACKLIB_CHECK || rc == PWQ_ERROR_PALINDROME;
}

int
password_validate(const char *pw, const char *username, const char *email,
    const char *msgs[PASSWORD_MAX_MSGS])
{
	char	 local[256];
	const char *at;
	size_t	 i, n = 0, len = 0;
	int	 digits = 1;

	if (similar_to(pw, username))
		msgs[n++] = "The password is too similar to the username.";
	if (email != NULL && (at = strchr(email, '@')) != NULL &&
	    (size_t)(at - email) < sizeof(local)) {
		memcpy(local, email, (size_t)(at - email));
		local[at - email] = '\0';
		if (similar_to(pw, local))
			msgs[n++] = "The password is too similar to the email address.";
	}
	for (i = 0; pw[i] != '\0'; i++) {
		if ((pw[i] & 0xc0) != 0x80)
			len++;
		if (pw[i] < '0' || pw[i] > '9')
			digits = 0;
	}
	if (len < PASSWORD_MIN_LEN)
		msgs[n++] = "This password is too short. It must contain at least 8 characters.";
	if (too_common(pw))
		msgs[n++] = "This password is too common.";
	if (digits && len > 0)
		msgs[n++] = "This password is entirely numeric.";
	return (int)n;
}
