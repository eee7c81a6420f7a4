/*
 * ceiling: the fastest FastCGI responder we can compare ourselves with.  It
 * answers every request with the same 1 KB JSON body and the headers
 * taskmgr sends, doing no other work, so that nginx + FastCGI + the client
 * are all it measures.  Started by tests/bench/bench.py under spawn-fcgi.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#define BODY_LEN 1024

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/* Fills body with a JSON object of exactly BODY_LEN bytes. */
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
	FCGX_Request fr;
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
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&fr) >= 0) {
		FCGX_PutStr(resp, n, fr.out);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return 0;
}
