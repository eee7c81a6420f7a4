/* test_passwords: argon2id hashing, rehash detection, the dummy verify, the quality rules. */
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "config.h"
#include "passwords.h"
#include "tap.h"
#include "timeutil.h"

/* Runs password_validate and joins its messages with '|'. */
static const char *
rules(const char *pw, const char *user, const char *email)
{
	static char out[1024];
	const char *msgs[PASSWORD_MAX_MSGS];
	int	 i, n = password_validate(pw, user, email, msgs);

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, msgs[i]);
	}
	return out;
}

int
main(void)
{
	struct config cfg, other;
	char	 err[256], phc[PASSWORD_PHC_MAX], phc2[PASSWORD_PHC_MAX];
	long	 before;

	ok(config_load(&cfg, NULL, err, sizeof(err)) == 0, "defaults load");
	is_int(cfg.argon2_m_cost_kib, 19456, "default memory: OWASP's 19 MiB");
	is_int(cfg.argon2_t_cost, 2, "default passes: 2");
	cfg.argon2_m_cost_kib = 1024;
	cfg.argon2_t_cost = 1;

	ok(password_hash(&cfg, "s3cret pass", phc, sizeof(phc)) == 0, "hash");
	ok(strncmp(phc, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0, "argon2id PHC string: %s", phc);
	ok(strstr(phc, "s3cret") == NULL, "no clear password in the hash");
	ok(password_hash(&cfg, "s3cret pass", phc2, sizeof(phc2)) == 0, "hash again");
	ok(strcmp(phc, phc2) != 0, "a fresh salt each time");
	ok(password_verify(phc, "s3cret pass") == 1, "verify the right password");
	ok(password_verify(phc, "s3cret pasS") == 0, "refuse a wrong one");
	ok(password_verify(phc, "") == 0, "refuse empty");
	ok(password_verify("", "s3cret pass") == 0, "an empty hash never matches");
	ok(password_verify("$2b$12$abc", "s3cret pass") == 0, "another scheme never matches");
	ok(password_verify("$argon2id$v=19$m=1024,t=1,p=1$junk", "x") == 0, "malformed");
	{
		/* a PHC string made by libargon2 itself, other costs: same answers */
		char	 lib[PASSWORD_PHC_MAX], bad[PASSWORD_PHC_MAX], *h;
		const unsigned char salt[16] = "0123456789abcdef";
		const char *broken[] = {
			"$argon2id$v=19$m=2048,t=3,p=2$",
			"$argon2id$v=20$m=2048,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
			"$argon2id$v=19$m=99999999,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
			"$argon2id$v=19$m=2048,t=0,p=2$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
			"$argon2id$v=19$m=2048,t=3,p=0$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
			"$argon2id$v=19$m=2048,t=3,p=2$MDEy*zQ1Njc4OWFiY2RlZg$AAAAAAAAAAA",
			"$argon2id$v=19$m=2048,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$A",
			"$argon2id$v=19$m=2048,t=3,p=2,x=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAA",
			"$argon2id$v=19$m=2048,t=3$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAA",
			"$argon2id$v=19$m=-2048,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAA",
			NULL,
		};
		int	 k;

		ok(argon2id_hash_encoded(3, 2048, 2, "s3cret pass", 11, salt, sizeof(salt), 24,
		    lib, sizeof(lib)) == ARGON2_OK, "libargon2 hash, t=3 m=2048 p=2: %s", lib);
		ok(password_verify(lib, "s3cret pass") == 1, "verified by our decoder");
		ok(password_verify(lib, "s3cret pass ") == 0, "a wrong one refused");
		/* the hash's last character changed: its value or its spare bits */
		snprintf(bad, sizeof(bad), "%s", lib);
		h = bad + strlen(bad) - 1;
		*h = *h == 'A' ? 'B' : 'A';
		ok(password_verify(bad, "s3cret pass") == 0, "a changed hash refused");
		snprintf(bad, sizeof(bad), "%s", lib);
		h = strrchr(bad, '$') - 1;
		*h = *h == 'A' ? 'B' : 'A';
		ok(password_verify(bad, "s3cret pass") == 0, "a changed salt refused");
		for (k = 0; broken[k] != NULL; k++)
			ok(password_verify(broken[k], "s3cret pass") == 0, "malformed %d refused", k);
	}
	/* the work area is kept for the next verification, then given back */
	ok(password_verify(phc, "s3cret pass") == 1, "verify again");
	is_int(password_idle(mono_us()), 1, "the work area is kept");
	is_int(password_idle(mono_us() + 2000000), 0, "given back after a second unused");
	ok(password_verify(phc, "s3cret pass") == 1, "and made anew for the next");

	ok(password_needs_rehash(&cfg, phc) == 0, "same cost: no rehash");
	other = cfg;
	other.argon2_t_cost = 2;
	ok(password_needs_rehash(&other, phc) == 1, "other passes: rehash");
	other = cfg;
	other.argon2_m_cost_kib = 2048;
	ok(password_needs_rehash(&other, phc) == 1, "other memory: rehash");
	other = cfg;
	other.argon2_parallelism = 2;
	ok(password_needs_rehash(&other, phc) == 1, "other lanes: rehash");

	/* the unknown-user path spends one real argon2 verification, like a known user */
	password_dummy_verify(&cfg, "warm up");
	before = password_verify_count();
	(void)password_verify(phc, "a guess");
	is_int(password_verify_count() - before, 1, "a known user: one argon2 verify");
	before = password_verify_count();
	password_dummy_verify(&cfg, "a guess");
	is_int(password_verify_count() - before, 1, "an unknown user: one argon2 verify too");
	other = cfg;
	other.argon2_t_cost = 2;
	before = password_verify_count();
	password_dummy_verify(&other, "a guess");
	is_int(password_verify_count() - before, 1, "after a cost change: still one verify");

	is_str(rules("correct-horse-battery", "alice", "alice@example.com"), "", "a good one");
	is_str(rules("xK9#m2p", "alice", NULL),
	    "This password is too short. It must contain at least 8 characters.", "short");
	ok(strstr(rules("xK9€m2p", NULL, NULL), "too short") != NULL,
	    "7 characters in 9 bytes are too short");
	is_str(rules("xK9€m2pQ", NULL, NULL), "", "8 characters in 10 bytes are enough");
	is_str(rules("password123", NULL, NULL), "This password is too common.", "dictionary");
	is_str(rules("12345678", NULL, NULL),
	    "This password is too common.|This password is entirely numeric.", "numeric and common");
	ok(strstr(rules("8302749165", NULL, NULL), "This password is entirely numeric.") != NULL,
	    "numeric");
	is_str(rules("zanzibar-77x", "zanzibar", NULL),
	    "The password is too similar to the username.", "username inside");
	is_str(rules("rabiznaz-77x", "zanzibar", NULL),
	    "The password is too similar to the username.", "username reversed");
	is_str(rules("ZANZIBAR-77x", "zanzibar", NULL),
	    "The password is too similar to the username.", "username in capitals");
	is_str(rules("Oswaldo-1988x", "pw5", "oswaldo@example.com"),
	    "The password is too similar to the email address.", "email local part");
	is_str(rules("", NULL, NULL),
	    "This password is too short. It must contain at least 8 characters.",
	    "empty: too short (and not numeric, as in Django)");

	config_free(&cfg);
	return tap_done();
}
