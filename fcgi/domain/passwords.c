/* passwords: argon2id hashing and verification, quality rules through libpwquality. */
#include <sys/mman.h>
#include <sys/random.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <argon2.h>
#include <pwquality.h>

#include "config.h"
#include "passwords.h"
#include "timeutil.h"

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

/*
 * argon2id's work area (m_cost KiB), kept between verifications: a login
 * would otherwise map it afresh and fault in its 19 MiB page by page, which
 * costs about half as much again as the hash itself.  The area is mapped
 * 2 MiB-aligned and advised for huge pages (a handful of faults where the
 * kernel allows them), reused by the next verification, and given back by
 * password_idle() once no verification has used it for a second, so an
 * idle responder stays small.
 */
#define AREA_ALIGN	(2u * 1024 * 1024)
#define AREA_IDLE_US	1000000

static struct {
	uint8_t		*p;
	size_t		 size;
	int64_t		 last_used;	/* mono_us() */
} area;

static void
area_release(void)
{
	if (area.p != NULL)
		munmap(area.p, area.size);
	area.p = NULL;
	area.size = 0;
}

/* libargon2's allocator callback: the kept area when large enough. */
static int
area_alloc(uint8_t **mem, size_t n)
{
	size_t	 size;
	void	*p;

	if (area.p == NULL || area.size < n) {
		area_release();
		if (n > SIZE_MAX - AREA_ALIGN)
			return ARGON2_MEMORY_ALLOCATION_ERROR;
		size = (n + AREA_ALIGN - 1) / AREA_ALIGN * AREA_ALIGN;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return ARGON2_MEMORY_ALLOCATION_ERROR;
		(void)madvise(p, size, MADV_HUGEPAGE);
		area.p = p;
		area.size = size;
	}
	*mem = area.p;
	return ARGON2_OK;
}

/* libargon2's deallocator callback: the area stays for the next one. */
static void
area_free(uint8_t *mem, size_t n)
{
	(void)mem;
	(void)n;
	area.last_used = mono_us();
}

int
password_idle(int64_t now)
{
	if (area.p == NULL)
		return 0;
	if (now - area.last_used >= AREA_IDLE_US)
		area_release();
	return area.p != NULL;
}

/* Decodes unpadded standard base64 (the PHC encoding); the length, or -1. */
static int
b64_decode(const char *s, size_t n, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	size_t	 i, o = 0;
	int	 bits = 0, v;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* the bits left over must be zero (one encoding per value) */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)o;
}

/* Reads a decimal in [lo, hi] at *p up to stop; advances *p past it. */
static int
phc_num(const char **p, char stop, unsigned long lo, unsigned long hi, uint32_t *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s++ - '0');
		if (v > hi)
			return -1;
	}
	if (*s != stop || v < lo)
		return -1;
	*out = (uint32_t)v;
	*p = s + 1;
	return 0;
}

int
password_verify(const char *phc, const char *pw)
{
	uint8_t	 salt[64], want[64], got[64];
	argon2_context c;
	const char *p, *d;
	uint32_t version, m, t, lanes;
	int	 saltlen, hashlen, i;
	unsigned diff = 0;

	if (phc == NULL || strncmp(phc, "$argon2id$", 10) != 0)
		return 0;
	argon2_verifies++;
	/* $argon2id$v=19$m=M,t=T,p=P$SALT$HASH, the parameters bounded */
	p = phc + 10;
	if (strncmp(p, "v=", 2) != 0)
		return 0;
	p += 2;
	if (phc_num(&p, '$', ARGON2_VERSION_10, ARGON2_VERSION_13, &version) < 0 ||
	    strncmp(p, "m=", 2) != 0)
		return 0;
	p += 2;
	if (phc_num(&p, ',', 8, 4u * 1024 * 1024, &m) < 0 || strncmp(p, "t=", 2) != 0)
		return 0;
	p += 2;
	if (phc_num(&p, ',', 1, 1000, &t) < 0 || strncmp(p, "p=", 2) != 0)
		return 0;
	p += 2;
	if (phc_num(&p, '$', 1, 64, &lanes) < 0 || m < 8 * lanes ||
	    (d = strchr(p, '$')) == NULL)
		return 0;
	if ((saltlen = b64_decode(p, (size_t)(d - p), salt, sizeof(salt))) < (int)ARGON2_MIN_SALT_LENGTH ||
	    (hashlen = b64_decode(d + 1, strlen(d + 1), want, sizeof(want))) < (int)ARGON2_MIN_OUTLEN)
		return 0;
	memset(&c, 0, sizeof(c));
	c.out = got;
	c.outlen = (uint32_t)hashlen;
	c.pwd = (uint8_t *)(uintptr_t)pw;
	c.pwdlen = (uint32_t)strlen(pw);
	c.salt = salt;
	c.saltlen = (uint32_t)saltlen;
	c.t_cost = t;
	c.m_cost = m;
	c.lanes = lanes;
	c.threads = lanes;
	c.version = version;
	c.allocate_cbk = area_alloc;
	c.free_cbk = area_free;
	c.flags = ARGON2_DEFAULT_FLAGS;
	if (argon2id_ctx(&c) != ARGON2_OK)
		return 0;
	/* every byte compared, whatever differs first */
	for (i = 0; i < hashlen; i++)
		diff |= (unsigned)(got[i] ^ want[i]);
	return diff == 0;
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
