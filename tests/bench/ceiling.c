/*
 * ceiling: the fastest FastCGI responder we can compare ourselves with.  It
 * answers every request with the same 1 KB JSON body and the headers
 * taskmgr sends, doing no other work, so that nginx + FastCGI + the client
 * are all it measures.  Started by tests/bench/bench.py under spawn-fcgi.
 */
#include <signal.h>
#include <string.h>

#include <fcgiapp.h>

#include "ceiling_answer.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

int
main(void)
{
	static char resp[CEILING_BODY + 256];
	FCGX_Request fr;
	struct sigaction sa;
	int	 n;

	n = ceiling_answer(resp);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&fr) >= 0) {
		FCGX_PutStr(resp, n, fr.out);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return 0;
}
