/* netaddr: the address classifier of outgoing requests. */
#include <string.h>

#include <netinet/in.h>

#include "netaddr.h"

/* a/bits: the IPv4 ranges refused, in host byte order */
static const struct {
	unsigned long	 net;
	int		 bits;
	const char	*why;
} v4_refused[] = {
	{ 0x00000000UL, 8, "unspecified" },	/* 0.0.0.0/8: this network */
	{ 0x0a000000UL, 8, "private" },		/* 10/8 */
	{ 0x64400000UL, 10, "CGNAT" },		/* 100.64/10 */
	{ 0x7f000000UL, 8, "loopback" },	/* 127/8 */
	{ 0xa9fe0000UL, 16, "link-local" },	/* 169.254/16 */
	{ 0xac100000UL, 12, "private" },	/* 172.16/12 */
	{ 0xc0000000UL, 24, "reserved" },	/* 192.0.0/24: IETF protocol assignments */
	{ 0xc0a80000UL, 16, "private" },	/* 192.168/16 */
	{ 0xc6120000UL, 15, "reserved" },	/* 198.18/15: benchmarking */
	{ 0xe0000000UL, 4, "multicast" },	/* 224/4 */
	{ 0xf0000000UL, 4, "reserved" },	/* 240/4 and the broadcast address */
};

const char *
netaddr_refusal4(unsigned long a)
{
	size_t	 i;
	unsigned long mask;

	a &= 0xffffffffUL;
	for (i = 0; i < sizeof(v4_refused) / sizeof(v4_refused[0]); i++) {
		mask = (0xffffffffUL << (32 - v4_refused[i].bits)) & 0xffffffffUL;
		if ((a & mask) == v4_refused[i].net)
			return v4_refused[i].why;
	}
	return NULL;
}

/* The IPv4 address of 4 bytes at p, in host byte order. */
static unsigned long
v4_at(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | (unsigned long)p[3];
}

/* The classifier of one IPv6 address (16 bytes). */
static const char *
refusal6(const unsigned char *b)
{
	static const unsigned char zero[16], mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	}, nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	const char *why;

	if (memcmp(b, zero, 16) == 0)
		return "unspecified";
	if (memcmp(b, zero, 15) == 0 && b[15] == 1)
		return "loopback";
	/* IPv4-mapped, IPv4-compatible (deprecated) and NAT64: the IPv4 inside */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0 ||
	    memcmp(b, nat64, 12) == 0)
		return netaddr_refusal4(v4_at(b + 12));
	/* 6to4 (2002::/16) relays to the IPv4 address that follows */
	if (b[0] == 0x20 && b[1] == 0x02 && (why = netaddr_refusal4(v4_at(b + 2))) != NULL)
		return why;
	if (b[0] == 0xff)
		return "multicast";
	if ((b[0] & 0xfe) == 0xfc)
		return "private";		/* fc00::/7 unique local */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local";		/* fe80::/10 */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return "private";		/* fec0::/10 site-local (deprecated) */
	return NULL;
}

const char *
netaddr_refusal(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (sa == NULL)
		return "not an IP address";
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(*s4)) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return netaddr_refusal4(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(*s6)) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return refusal6(s6->sin6_addr.s6_addr);
	}
	return "not an IP address";
}
