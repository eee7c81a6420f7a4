/* Unit tests: the address classifier of webhook deliveries (core/netaddr). */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "netaddr.h"
#include "tap.h"

/* The classifier's answer for a textual IPv4 or IPv6 address ("(public)" for NULL). */
static const char *
why(const char *text)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const char *w;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		w = netaddr_refusal((struct sockaddr *)&s4, sizeof(s4));
	} else if (inet_pton(AF_INET6, text, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		w = netaddr_refusal((struct sockaddr *)&s6, sizeof(s6));
	} else
		return "(unparsable)";
	return w != NULL ? w : "(public)";
}

int
main(void)
{
	static const struct { const char *addr, *want; } cases[] = {
		/* IPv4: each refused range, its first and last address, and its neighbours */
		{ "127.0.0.1", "loopback" }, { "127.255.255.255", "loopback" },
		{ "126.255.255.255", "(public)" }, { "128.0.0.0", "(public)" },
		{ "10.0.0.1", "private" }, { "10.255.255.255", "private" },
		{ "9.255.255.255", "(public)" }, { "11.0.0.0", "(public)" },
		{ "172.16.0.0", "private" }, { "172.31.255.255", "private" },
		{ "172.15.255.255", "(public)" }, { "172.32.0.0", "(public)" },
		{ "192.168.0.1", "private" }, { "192.168.255.255", "private" },
		{ "192.167.255.255", "(public)" }, { "192.169.0.0", "(public)" },
		{ "169.254.169.254", "link-local" }, { "169.254.0.0", "link-local" },
		{ "169.253.255.255", "(public)" }, { "169.255.0.0", "(public)" },
		{ "100.64.0.0", "CGNAT" }, { "100.127.255.255", "CGNAT" },
		{ "100.63.255.255", "(public)" }, { "100.128.0.0", "(public)" },
		{ "0.0.0.0", "unspecified" }, { "0.1.2.3", "unspecified" },
		{ "224.0.0.1", "multicast" }, { "239.255.255.255", "multicast" },
		{ "240.0.0.1", "reserved" }, { "255.255.255.255", "reserved" },
		{ "223.255.255.255", "(public)" },
		{ "198.18.0.1", "reserved" }, { "192.0.0.8", "reserved" },
		{ "8.8.8.8", "(public)" }, { "1.1.1.1", "(public)" },
		{ "93.184.216.34", "(public)" },
		/* IPv6 */
		{ "::1", "loopback" }, { "::", "unspecified" },
		{ "::2", "unspecified" },	/* IPv4-compatible 0.0.0.2 */
		{ "fc00::1", "private" }, { "fdff:ffff::1", "private" },
		{ "fe80::1", "link-local" }, { "febf:ffff::1", "link-local" },
		{ "fec0::1", "private" },
		{ "ff02::1", "multicast" }, { "ff0e::1", "multicast" },
		{ "fbff:ffff::1", "(public)" }, { "fe00::1", "(public)" },
		{ "2001:4860:4860::8888", "(public)" }, { "2a00:1450::1", "(public)" },
		/* IPv4 inside IPv6 */
		{ "::ffff:127.0.0.1", "loopback" }, { "::ffff:10.0.0.1", "private" },
		{ "::ffff:169.254.169.254", "link-local" }, { "::ffff:8.8.8.8", "(public)" },
		{ "::ffff:0.0.0.0", "unspecified" }, { "::127.0.0.1", "loopback" },
		{ "64:ff9b::a00:1", "private" }, { "64:ff9b::808:808", "(public)" },
		{ "2002:7f00:1::1", "loopback" }, { "2002:a9fe:a9fe::1", "link-local" },
		{ "2002:808:808::1", "(public)" },
	};
	struct sockaddr sa;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(why(cases[i].addr), cases[i].want, "%s is %s", cases[i].addr,
		    cases[i].want);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	is_str(netaddr_refusal(&sa, sizeof(sa)), "not an IP address", "AF_UNIX is refused");
	sa.sa_family = AF_INET;
	is_str(netaddr_refusal(&sa, 4), "not an IP address", "a short sockaddr is refused");
	is_str(netaddr_refusal(NULL, 0), "not an IP address", "no sockaddr is refused");
	return tap_done();
}
