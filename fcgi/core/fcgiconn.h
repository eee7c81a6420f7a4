/*
 * fcgiconn: the responder's side of the FastCGI protocol, one connection
 * and one request at a time (FastCGI 1.0, the responder role).
 *
 * A request's records are read into one buffer kept across requests; its
 * parameters are split in place (each value NUL-terminated where it lies)
 * and the answer leaves in one writev() of its FCGI_STDOUT records and the
 * FCGI_END_REQUEST.  The connection is closed after each request: the web
 * server's FCGI_KEEP_CONN is not honoured (a process serves one request at
 * a time, and a kept connection would tie it to one client of nginx).
 * Requests on other ids of the same connection are refused with
 * FCGI_CANT_MPX_CONN, other roles with FCGI_UNKNOWN_ROLE; FCGI_GET_VALUES
 * is answered.
 *
 * Two clocks bound a connection: each wait for the peer (a byte to read,
 * room to write) lasts at most a few seconds, and the whole request at most
 * deadline_ms from its accept (the request_timeout key), so a client that
 * sends one byte at a time cannot hold a responder.  A wait ended by the
 * deadline sets expired and logs one warning; the request is then dropped
 * unanswered (fcgi_finish only closes it).
 */
#ifndef TASKMGR_FCGICONN_H
#define TASKMGR_FCGICONN_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "request.h"

struct fcgi_conn {
	int		 listen_fd;
	int		 fd;		/* the request's connection; -1 between requests */
	unsigned	 id;		/* the request's id; 0: none begun */
	int		 params_done;	/* the empty FCGI_PARAMS record was read */
	int		 stdin_done;	/* the empty FCGI_STDIN record was read */
	char		*in;		/* bytes received: in[pos..len) not yet used */
	size_t		 pos, len, cap;
	const char	*rec;		/* the rest of the FCGI_STDIN record being read */
	size_t		 rec_left;
	struct buf	 params;	/* the FCGI_PARAMS stream */
	struct req_env	*env;		/* its pairs */
	size_t		 nenv, envcap;
	int		 deadline_ms;	/* a request's time from accept; fcgi_init: 30 s */
	int64_t		 started;	/* mono_us() at accept (the access line's start) */
	int64_t		 deadline;	/* started + deadline_ms: no wait goes past it */
	int		 expired;	/* the deadline ended a wait: the request is dropped */
};

/* Sets c up to accept on listen_fd (deadline_ms may be changed after); -1 when out of memory. */
int	 fcgi_init(struct fcgi_conn *c, int listen_fd);
void	 fcgi_free(struct fcgi_conn *c);
/* What accept() failing with an errno calls for (fcgi_accept_retry). */
enum accept_retry {
	ACCEPT_FAIL,	/* the listening socket failed: give up */
	ACCEPT_AGAIN,	/* a signal, a connection lost before it was accepted: at once */
	ACCEPT_NAP	/* out of descriptors or memory: after a short nap */
};

/*
 * Which accept() errors are retried: EINTR, ECONNABORTED, EPROTO, EPERM
 * at once; EMFILE, ENFILE, ENOBUFS, ENOMEM after a nap, so the process
 * neither spins nor exits while it lasts; any other fails.
 */
enum accept_retry fcgi_accept_retry(int err);
/*
 * The next connection on listen_fd, accept4()ed with flags, errors retried
 * as fcgi_accept_retry says (a nap is 10 ms); both transports take their
 * connections here.  -1 when *stop was set or the listening socket failed
 * (errno).
 */
int	 fcgi_accept_fd(int listen_fd, int flags, volatile sig_atomic_t *stop);
/*
 * Waits for the next connection and reads its request up to the end of
 * its parameters (c->env, c->nenv).  Connections that end, break the
 * protocol, send nothing for 2 seconds or reach the deadline are closed
 * and the next one is taken.  1: a request; 0: *stop was set (a signal); -1: the listening
 * socket failed.
 */
int	 fcgi_accept(struct fcgi_conn *c, volatile sig_atomic_t *stop);
/*
 * Reads up to n bytes of the request's body (FCGI_STDIN) into p: the count,
 * 0 at its end, -1 when the connection failed, the request was aborted or
 * its deadline passed (c->expired).
 */
ssize_t	 fcgi_read(struct fcgi_conn *c, char *p, size_t n);
/*
 * Sends out[0..len) as the request's FCGI_STDOUT and ends the request, then
 * closes the connection (after reading what the web server still sends
 * when the body was not read to its end).  0, or -1 when the answer could
 * not be sent.  A request past its deadline (c->expired) is only closed.
 */
int	 fcgi_finish(struct fcgi_conn *c, const char *out, size_t len);

#endif
