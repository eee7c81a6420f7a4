/*
 * ceiling_own: the ceiling responder (ceiling.c) on taskmgr's own FastCGI
 * layer (fcgi/core/fcgiconn) instead of libfcgi.  The same 1 KB JSON body
 * and headers, no other work: what nginx + FastCGI + the client cost when
 * the FastCGI side is the one taskmgr.fcgi uses.  bench.py reports every
 * case against both ceilings.
 */
#include <signal.h>
#include <string.h>

#include "ceiling_answer.h"
#include "fcgiconn.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(void)
{
	static char resp[CEILING_BODY + 256];
	struct fcgi_conn fc;
	struct sigaction sa;
	int	 n;

	n = ceiling_answer(resp);

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
