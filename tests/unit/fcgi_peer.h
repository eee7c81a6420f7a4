/*
 * fcgi_peer: the web server's side of FastCGI for the unit tests of
 * fcgiconn.c and of the transport (tests/unit/fcgi_peer.c).
 */
#ifndef TASKMGR_FCGI_PEER_H
#define TASKMGR_FCGI_PEER_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <stddef.h>

#include "buf.h"

/* The address peer_listen() bound; client() connects to it. */
extern struct sockaddr_un peer_addr;
extern socklen_t peer_addrlen;

/* A listening socket on an abstract unix address; -1 on failure. */
int	 peer_listen(void);
/* Appends one record (split into records of at most 65535 bytes, padded to 8). */
void	 rec(struct buf *b, int type, int id, const void *p, size_t len);
/* Appends a name-value pair of FCGI_PARAMS. */
void	 pair(struct buf *b, const char *name, size_t nl, const char *value, size_t vl);
/* Appends an FCGI_BEGIN_REQUEST for role. */
void	 begin(struct buf *b, int id, int role);
/*
 * Appends a POST request to /api/x/?a=1 (a param of big bytes when big
 * is not 0), its body blen bytes and the body's end.
 */
void	 request(struct buf *b, int id, const char *body, size_t blen, size_t big);
/*
 * Runs a client process: connects (after idle_first, a connection that
 * sends nothing; after first, a connection that sends it, shuts its side
 * and reads to the end), sends msg in pieces of step bytes (0: at once),
 * shuts its side, then reads the answer to its end into the file out.
 * Returns its pid.
 */
pid_t	 client(const struct buf *first, const struct buf *msg, size_t step, int idle_first,
	    const char *out);
/*
 * Runs a slow client process: waits delay_ms, connects, sends msg's first
 * fast bytes at once and the rest one byte every interval_ms, then (with
 * noread_ms) stays that long without reading, or reads the answer to its
 * end into the file out.  Its exit status: 3 when the server closed the
 * connection before the whole request was sent, else 0.
 */
pid_t	 slow_client(const struct buf *msg, size_t fast, int interval_ms, int delay_ms,
	    int noread_ms, const char *out);
/*
 * The records of an answer file: the FCGI_STDOUT bytes in *out, the
 * others' types as digits in types ('e' for the end of FCGI_STDOUT), the
 * FCGI_END_REQUEST's protocol status in *end_status.
 */
int	 parse_answer(const char *path, struct buf *out, char *types, size_t tlen,
	    int *end_status);

#endif
