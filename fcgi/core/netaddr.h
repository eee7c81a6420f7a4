/*
 * netaddr: which addresses an outgoing request (a webhook delivery) may
 * connect to.  Public unicast addresses may; loopback, private, link-local,
 * CGNAT, multicast, unspecified and reserved ones may not, nor an IPv6
 * address that carries one of those in IPv4 form (::ffff:a.b.c.d,
 * ::a.b.c.d, 64:ff9b::a.b.c.d, 2002:aabb:ccdd::/48).
 */
#ifndef TASKMGR_NETADDR_H
#define TASKMGR_NETADDR_H

#include <sys/socket.h>

/*
 * NULL when the address (AF_INET or AF_INET6) is public, else why not:
 * "loopback", "private", "link-local", "CGNAT", "multicast", "unspecified",
 * "reserved" (or "not an IP address" for another family or a short len).
 */
const char *netaddr_refusal(const struct sockaddr *sa, socklen_t len);

/* The same for an IPv4 address in host byte order. */
const char *netaddr_refusal4(unsigned long a);

#endif
