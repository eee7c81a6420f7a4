/*
 * transport: the responder's FastCGI side behind one interface: accept the
 * next request, its parameters, its body, its answer.
 *
 * Two implementations, one compiled in per build (configure chooses, no
 * indirection at run time): transport_fcgiconn.c over our own fcgiconn.c
 * (the default), and transport_libfcgi.c over libfcgi's FCGX_Accept_r
 * (./configure --with-libfcgi).  One request at a time per transport.
 */
#ifndef TASKMGR_TRANSPORT_H
#define TASKMGR_TRANSPORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct req_env;
struct transport;

/* The implementation's name, for the log: "fcgiconn" or "libfcgi". */
extern const char transport_name[];

/*
 * A transport accepting on listen_fd (spawn-fcgi's socket), each request
 * given deadline_ms from its accept (request_timeout), or NULL when out of
 * memory or the library could not be set up.  The caller frees it with
 * transport_free().
 */
struct transport *transport_open(int listen_fd, int deadline_ms);
void	 transport_free(struct transport *);
/*
 * Waits for the next request and reads it up to the end of its
 * parameters.  1: a request; 0: *stop was set (a signal); -1: the
 * listening socket failed.
 */
int	 transport_accept(struct transport *, volatile sig_atomic_t *stop);
/* The accepted request's parameters (*n of them), valid until transport_finish(). */
const struct req_env *transport_params(struct transport *, size_t *n);
/* mono_us() when the accepted request's connection was accepted. */
int64_t	 transport_started(struct transport *);
/*
 * Reads up to n bytes of the body: the count, 0 at its end, -1 on a broken
 * or aborted request or one past its deadline.
 */
ssize_t	 transport_read(struct transport *, char *p, size_t n);
/* Whether the request's deadline passed (logged once): it is to be dropped unanswered. */
int	 transport_expired(struct transport *);
/*
 * Sends out[0..len) as the answer and ends the request: 0, or -1 when it
 * could not be sent.  A request past its deadline is only closed.
 */
int	 transport_finish(struct transport *, const char *out, size_t len);

#endif
