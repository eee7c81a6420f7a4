/* test_username: username cleaning (trim, NFKC, one script), keys, limiter keys. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "throttle.h"
#include "username.h"

/* The key of s, or "(none)". */
static const char *
key(const char *s)
{
	static char out[USERNAME_KEY_BUF];

	if (username_key(s, out, sizeof(out)) < 0)
		return "(none)";
	return out;
}

/* The cleaned form of s, or the refusal's name. */
static const char *
clean(const char *s)
{
	static char out[USERNAME_BUF];
	static const char *const why[] = { "", "blank", "long", "chars", "mixed" };
	enum uname rc = username_clean(s, out, sizeof(out));

	return rc == UNAME_OK ? out : why[rc];
}

/* addr's limiter key. */
static const char *
addr_key(const char *addr)
{
	static char out[THROTTLE_KEY_MAX];

	throttle_addr_key(addr, out, sizeof(out));
	return out;
}

static void
test_clean(void)
{
	char	 big[800];

	is_str(clean("alice"), "alice", "an ASCII name is itself");
	is_str(clean("  alice\t\n"), "alice", "whitespace around is trimmed (DRF CharField)");
	is_str(clean("\xc2\xa0" "bob" "\xe3\x80\x80"), "bob", "Unicode spaces around are trimmed");
	is_str(clean(""), "blank", "empty: blank");
	is_str(clean(" \t \xe2\x80\x83"), "blank", "only whitespace: blank");
	is_str(clean("\xef\xbd\x81\xef\xbd\x84\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x8e"), "admin",
	    "full-width letters: stored in NFKC form");
	is_str(clean("e\xcc\x81mile"), "\xc3\xa9mile", "a combining accent is composed");
	is_str(clean("\xd0\xb0" "dmin"), "mixed", "Cyrillic a with Latin letters: mixed scripts");
	is_str(clean("\xce\xb1" "lpha"), "mixed", "Greek alpha with Latin letters: mixed scripts");
	is_str(clean("adm\xc4\xb1n"), "adm\xc4\xb1n", "dotless i is Latin: one script");
	is_str(clean("\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd_42@.+-\xd1\x8f"),
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd_42@.+-\xd1\x8f",
	    "Cyrillic with digits and @.+-_: one script");
	is_str(clean("\xe5\xb1\xb1\xe7\x94\xb0\xe3\x81\x9f\xe3\x82\x8d\xe3\x81\x86"),
	    "\xe5\xb1\xb1\xe7\x94\xb0\xe3\x81\x9f\xe3\x82\x8d\xe3\x81\x86",
	    "Han with Hiragana (Japanese): one script");
	is_str(clean("a b"), "chars", "an inner space is not allowed");
	is_str(clean("a\xe2\x80\x8b" "b"), "chars", "a zero-width space is not allowed");
	is_str(clean("bad\xff"), "chars", "invalid UTF-8 is refused");
	memset(big, 'a', 150);
	big[150] = '\0';
	is_int(strlen(clean(big)), 150, "150 characters are allowed");
	big[150] = 'a';
	big[151] = '\0';
	is_str(clean(big), "long", "151 characters are too long");
	/* 150 Cyrillic letters: 300 bytes */
	for (int i = 0; i < 150; i++)
		memcpy(big + 2 * i, "\xd0\xb6", 2);
	big[300] = '\0';
	is_int(strlen(clean(big)), 300, "150 Cyrillic letters are allowed");
	ok(username_message(UNAME_MIXED) != NULL &&
	    strstr(username_message(UNAME_MIXED), "one script") != NULL,
	    "the mixed-script message says what is wrong");
	is_str(username_message(UNAME_BLANK), "This field may not be blank.", "DRF's blank message");
}

static void
test_key(void)
{
	is_str(key("Alice"), "alice", "ASCII: lower case");
	is_str(key("  Alice "), "alice", "the key is of the trimmed name");
	is_str(key("\xef\xbc\xa1\xef\xbd\x84\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x8e"), "admin",
	    "full width folds to ASCII");
	is_str(key("adm\xc4\xb1n"), "admin", "dotless i folds to i");
	is_str(key("ADM\xc4\xb0N"), "admin", "dotted capital I folds to i");
	is_str(key("adm\xc2\xadin"), "admin", "a soft hyphen (default ignorable) is dropped");
	is_str(key("STRA\xc3\x9f" "E"), "strasse", "full case folding: sharp s is ss");
	is_str(key("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d"), "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd",
	    "Cyrillic capitals fold to small letters");
	is_str(key(""), "", "empty: empty key");
	is_str(key("bad\xff"), "(none)", "invalid UTF-8 has no key");
}

static void
test_login_key(void)
{
	char	 a[THROTTLE_KEY_MAX], b[THROTTLE_KEY_MAX], up[301], low[301];

	/* 150 Cyrillic letters, upper and lower case: 300 bytes each */
	for (int i = 0; i < 150; i++) {
		memcpy(up + 2 * i, "\xd0\x96", 2);
		memcpy(low + 2 * i, "\xd0\xb6", 2);
	}
	up[300] = low[300] = '\0';
	throttle_login_key(up, a);
	throttle_login_key(low, b);
	is_str(a, b, "a long Cyrillic name's case variants share one login key");
	is_int(strlen(a), 66, "the login key is l: and a hex SHA-256");
	ok(strncmp(a, "l:", 2) == 0, "a key that has a user's key starts l:");
	throttle_login_key("Admin", a);
	throttle_login_key("\xef\xbd\x81" "dm\xc4\xb1n ", b);
	is_str(a, b, "every spelling with one lookup key shares one login key");
	throttle_login_key("admim", b);
	ok(strcmp(a, b) != 0, "another name, another key");
}

static void
test_addr_key(void)
{
	char	 other[THROTTLE_KEY_MAX];

	is_str(addr_key("192.0.2.7"), "a:192.0.2.7", "IPv4 as it is");
	is_str(addr_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "a:2001:db8:1:2::/64",
	    "IPv6: its /64");
	snprintf(other, sizeof(other), "%s", addr_key("2001:db8:1:2:ffff::9"));
	is_str(addr_key("2001:db8:1:2::1"), other, "two addresses of one /64 share a key");
	snprintf(other, sizeof(other), "%s", addr_key("2001:db8:1:3::1"));
	ok(strcmp(addr_key("2001:db8:1:2::1"), other) != 0, "another /64, another key");
	is_str(addr_key("::1"), "a:::/64", "loopback IPv6: its /64");
	is_str(addr_key("::ffff:192.0.2.7"), "a:192.0.2.7", "IPv4-mapped: the IPv4 address");
	is_str(addr_key("::FFFF:c000:0207"), "a:192.0.2.7", "IPv4-mapped in hex: the IPv4 address");
	is_str(addr_key(""), "a:", "no address");
	is_str(addr_key("not:an:address"), "a:not:an:address", "unparsable: as it is");
}

int
main(void)
{
	test_clean();
	test_key();
	test_login_key();
	test_addr_key();
	return tap_done();
}
