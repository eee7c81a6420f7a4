/*
 * ceiling_own: the ceiling responder (ceiling.c) on taskmgr's own FastCGI
 * layer (fcgi/core/fcgiconn) instead of libfcgi.  The same 1 KB JSON body
 * and headers, no other work: what nginx + FastCGI + the client cost when
 * the FastCGI side is the one taskmgr.fcgi uses.  bench.py reports every
 * case against both ceilings.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fcgiconn.h"

#define BODY_LEN 1024

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Fills body with a JSON object of exactly BODY_LEN bytes (as ceiling.c). */
static void
make_body(char *body)
{
	static const char head[] = "{\"detail\":\"ceiling\",\"pad\":\"";
	static const char tail[] = "\"}";
	size_t	 h = sizeof(head) - 1, t = sizeof(tail) - 1;

	memcpy(body, head, h);
	memset(body + h, 'x', BODY_LEN - h - t);
	memcpy(body + BODY_LEN - t, tail, t);
}

int
main(void)
{
	static char resp[BODY_LEN + 256];
	struct fcgi_conn fc;
	struct sigaction sa;
	int	 n;

	n = snprintf(resp, sizeof(resp), "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %d\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n", BODY_LEN);
	make_body(resp + n);
	n += BODY_LEN;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fcgi_init(&fc, 0) != 0)
		return 1;
	while (!stopping && fcgi_accept(&fc, &stopping) > 0)
		(void)fcgi_finish(&fc, resp, (size_t)n);
	fcgi_free(&fc);
	return 0;
}
