/*
 * transport_libfcgi: the transport over libfcgi's FCGX_Accept_r
 * (./configure --with-libfcgi), the FastCGI library the product was first
 * specified with.  It enforces less than fcgiconn.c: no wait is bounded
 * (a web server that stalls holds the responder until it closes), the
 * parameters have no size limit of their own, and after each answer the
 * connection is shut and read until the web server closes it (up to 2 s).
 * The README's "FastCGI transports" says what that means in deployment.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "request.h"
#include "transport.h"

struct transport {
	FCGX_Request	 fr;
	int		 open;		/* a request accepted, not yet finished */
	struct req_env	*env;		/* fr.envp split into names and values */
	size_t		 nenv, envcap;
};

const char transport_name[] = "libfcgi";

struct transport *
transport_open(int listen_fd)
{
	struct transport *t;
	struct sigaction usr1;
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
	/* a signal ends the wait for a connection (the caller's stop flag) */
	if (FCGX_InitRequest(&t->fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
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
	int	 rc;

	for (;;) {
		if (*stop)
			return 0;
		/* libfcgi takes the next connection itself when one breaks */
		if ((rc = FCGX_Accept_r(&t->fr)) < 0) {
			if (*stop)
				return 0;
			if (rc == -EINTR || rc == -ECONNABORTED)
				continue;
			errno = rc > -4096 ? -rc : EIO;
			return -1;
		}
		t->open = 1;
		/*
		 * libfcgi ends the parameters where the connection ends: a
		 * request cut short is dropped, as fcgiconn.c drops it
		 */
		if (FCGX_GetError(t->fr.in) == 0 && split_env(t) == 0)
			return 1;
		FCGX_Finish_r(&t->fr);
		t->open = 0;
	}
}

const struct req_env *
transport_params(struct transport *t, size_t *n)
{
	*n = t->nenv;
	return t->env;
}

ssize_t
transport_read(struct transport *t, char *p, size_t n)
{
	int	 got;

	if (n > INT_MAX)
		n = INT_MAX;
	got = FCGX_GetStr(p, (int)n, t->fr.in);
	/* a short count is the body's end, or a broken or aborted request */
	if (got == 0 && FCGX_GetError(t->fr.in) != 0)
		return -1;
	return got;
}

int
transport_finish(struct transport *t, const char *out, size_t len)
{
	int	 rc = 0;

	if (!t->open)
		return -1;
	while (len > 0 && rc == 0) {
		int	 k = len > INT_MAX ? INT_MAX : (int)len;

		if (FCGX_PutStr(out, k, t->fr.out) != k)
			rc = -1;
		out += k;
		len -= (size_t)k;
	}
	if (FCGX_FFlush(t->fr.out) != 0 || FCGX_GetError(t->fr.out) != 0)
		rc = -1;
	FCGX_Finish_r(&t->fr);
	t->open = 0;
	return rc;
}
