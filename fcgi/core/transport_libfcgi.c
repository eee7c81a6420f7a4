/*
 * transport_libfcgi: the transport over libfcgi's FCGX_Accept_r
 * (./configure --with-libfcgi), the FastCGI library the product was first
 * specified with.
 *
 * Connections are accepted here, not by libfcgi, so that each request's
 * deadline (request_timeout) starts at its accept as in fcgiconn.c: the
 * connection is handed to FCGX_Accept_r as one it keeps, and libfcgi is
 * given no listening socket of its own (a connection it drops ends its
 * call instead of a wait in accept()).  The deadline is a one-shot timer
 * whose signal shuts the connection down: libfcgi's blocked read or write
 * then fails and the request is dropped unanswered.  What libfcgi does not
 * bound (the README's "FastCGI transports"): the idle waits inside a
 * request, the size of its parameters.  The connection is closed after
 * each request, as fcgiconn.c closes it.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fcgiconn.h"
#include "log.h"
#include "request.h"
#include "timeutil.h"
#include "transport.h"

struct transport {
	FCGX_Request	 fr;
	int		 listen_fd;
	int		 deadline_ms;
	int		 open;		/* a request accepted, not yet finished */
	int		 expired;	/* its deadline passed (logged) */
	int64_t		 started;
	struct req_env	*env;		/* fr.envp split into names and values */
	size_t		 nenv, envcap;
};

const char transport_name[] = "libfcgi";

/* The connection the deadline's signal shuts down (-1: none), and whether it did. */
static volatile sig_atomic_t watched_fd = -1;
static volatile sig_atomic_t deadline_hit;

static void
on_deadline(int sig)
{
	int	 fd = watched_fd;

	(void)sig;
	if (fd >= 0) {
		shutdown(fd, SHUT_RDWR);
		deadline_hit = 1;
	}
}

/* Starts the deadline of the request on fd (none when ms is 0). */
static void
arm(int fd, int ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	deadline_hit = 0;
	watched_fd = fd;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
disarm(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	watched_fd = -1;
}

/* Marks the request expired when its deadline cut it, logging it once; whether it did. */
static int
check_expired(struct transport *t)
{
	if (deadline_hit && !t->expired) {
		t->expired = 1;
		log_warn("FastCGI request not done %d ms after its connection was "
		    "accepted (request_timeout): connection dropped", t->deadline_ms);
	}
	return t->expired;
}

struct transport *
transport_open(int listen_fd, int deadline_ms)
{
	struct transport *t;
	struct sigaction usr1, sa;
	int	 rc;

	/*
	 * libfcgi takes SIGUSR1, when nothing else did, as a request to stop
	 * after the current request, a stop the caller would not see: the
	 * signal keeps the meaning it has in the fcgiconn build (multiwatch
	 * sends it to end its children).
	 */
	sigaction(SIGUSR1, NULL, &usr1);
	rc = FCGX_Init();
	sigaction(SIGUSR1, &usr1, NULL);
	if (rc != 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	/* no listening socket for libfcgi: connections come from transport_accept */
	if (FCGX_InitRequest(&t->fr, -1, 0) != 0) {
		free(t);
		return NULL;
	}
	t->listen_fd = listen_fd;
	t->deadline_ms = deadline_ms;
	/* interrupted calls go on (SA_RESTART): the shut connection ends them */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_deadline;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	return t;
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	disarm();
	if (t->open)
		FCGX_Finish_r(&t->fr);
	FCGX_Free(&t->fr, 1);
	free(t->env);
	free(t);
}

/* Splits the NAME=value strings of the request into t->env; -1 when out of memory. */
static int
split_env(struct transport *t)
{
	char	**e;
	const char *eq;

	t->nenv = 0;
	for (e = t->fr.envp; e != NULL && *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		if (t->nenv == t->envcap) {
			size_t	 ncap = t->envcap ? 2 * t->envcap : 32;
			struct req_env *ne = realloc(t->env, ncap * sizeof(*ne));

			if (ne == NULL)
				return -1;
			t->env = ne;
			t->envcap = ncap;
		}
		t->env[t->nenv].name = *e;
		t->env[t->nenv].nlen = (size_t)(eq - *e);
		t->env[t->nenv].value = eq + 1;
		t->env[t->nenv].vlen = strlen(eq + 1);
		t->nenv++;
	}
	return 0;
}

int
transport_accept(struct transport *t, volatile sig_atomic_t *stop)
{
	int	 fd, rc;

	for (;;) {
		/* blocking: libfcgi reads and writes the connection itself */
		if ((fd = fcgi_accept_fd(t->listen_fd, SOCK_CLOEXEC, stop)) < 0)
			return *stop ? 0 : -1;
		t->fr.ipcFd = fd;
		/* FCGX_Accept_r first ends the previous request: this connection stays */
		t->fr.keepConnection = 1;
		t->started = mono_us();
		t->expired = 0;
		arm(fd, t->deadline_ms);
		rc = FCGX_Accept_r(&t->fr);
		/*
		 * libfcgi ends the parameters where the connection ends: a
		 * request cut short is dropped, as fcgiconn.c drops it
		 */
		if (rc == 0 && !deadline_hit && FCGX_GetError(t->fr.in) == 0 &&
		    split_env(t) == 0) {
			t->open = 1;
			return 1;
		}
		check_expired(t);
		if (rc == 0) {
			t->fr.keepConnection = 0;
			FCGX_Finish_r(&t->fr);
		} else if (t->fr.ipcFd >= 0) {
			close(t->fr.ipcFd);	/* libfcgi closes it, unless it failed first */
			t->fr.ipcFd = -1;
		}
		disarm();
	}
}

const struct req_env *
transport_params(struct transport *t, size_t *n)
{
	*n = t->nenv;
	return t->env;
}

int64_t
transport_started(struct transport *t)
{
	return t->started;
}

ssize_t
transport_read(struct transport *t, char *p, size_t n)
{
	int	 got;

	if (n > INT_MAX)
		n = INT_MAX;
	got = FCGX_GetStr(p, (int)n, t->fr.in);
	/* a short count is the body's end, or a broken, aborted or late request */
	if (got == 0 && FCGX_GetError(t->fr.in) != 0) {
		check_expired(t);
		return -1;
	}
	return got;
}

int
transport_expired(struct transport *t)
{
	return check_expired(t);
}

int
transport_finish(struct transport *t, const char *out, size_t len)
{
	int	 rc = 0;

	if (!t->open)
		return -1;
	if (check_expired(t))
		rc = -1;	/* dropped unanswered */
	while (rc == 0 && len > 0) {
		int	 k = len > INT_MAX ? INT_MAX : (int)len;

		if (FCGX_PutStr(out, k, t->fr.out) != k)
			rc = -1;
		out += k;
		len -= (size_t)k;
	}
	if (rc == 0 && (FCGX_FFlush(t->fr.out) != 0 || FCGX_GetError(t->fr.out) != 0))
		rc = -1;
	if (check_expired(t))
		rc = -1;
	/* one request per connection, as in fcgiconn.c (the deadline still bounds its end) */
	t->fr.keepConnection = 0;
	FCGX_Finish_r(&t->fr);
	disarm();
	t->open = 0;
	return rc;
}
