/* transport_fcgiconn: the transport over our own FastCGI layer (fcgiconn.c). */
#include <stdlib.h>

#include "fcgiconn.h"
#include "transport.h"

struct transport {
	struct fcgi_conn c;
};

const char transport_name[] = "fcgiconn";

struct transport *
transport_open(int listen_fd, int deadline_ms)
{
	struct transport *t;

	if ((t = malloc(sizeof(*t))) == NULL)
		return NULL;
	if (fcgi_init(&t->c, listen_fd) != 0) {
		fcgi_free(&t->c);
		free(t);
		return NULL;
	}
	t->c.deadline_ms = deadline_ms;
	return t;
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	fcgi_free(&t->c);
	free(t);
}

int
transport_accept(struct transport *t, volatile sig_atomic_t *stop)
{
	return fcgi_accept(&t->c, stop);
}

const struct req_env *
transport_params(struct transport *t, size_t *n)
{
	*n = t->c.nenv;
	return t->c.env;
}

int64_t
transport_started(struct transport *t)
{
	return t->c.started;
}

ssize_t
transport_read(struct transport *t, char *p, size_t n)
{
	return fcgi_read(&t->c, p, n);
}

int
transport_expired(struct transport *t)
{
	return t->c.expired;
}

int
transport_finish(struct transport *t, const char *out, size_t len)
{
	return fcgi_finish(&t->c, out, len);
}
