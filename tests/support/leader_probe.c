/*
 * leader_probe WHAT DATABASE: a contender in the election of core/leader.h,
 * for tests/api/test_standby.py (the PostgreSQL side).  Prints "leads" on
 * standard output when it takes the lead and "lost" when leader_held()
 * says it is gone (then waits again); the log goes to standard error.
 * SIGTERM ends it with status 0; a lock it cannot use, status 1.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "leader.h"
#include "log.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char *argv[])
{
	struct leader l;
	struct sigaction sa;
	struct timespec ts = { 0, 50000000L };
	char	 err[256];

	if (argc != 3) {
		fprintf(stderr, "usage: leader_probe WHAT DATABASE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	if (leader_init(&l, argv[1], argv[2], err, sizeof(err)) < 0) {
		fprintf(stderr, "leader_probe: %s\n", err);
		return 1;
	}
	while (!stopping) {
		if (leader_wait(&l, &stopping, -1) <= 0)
			break;
		printf("leads\n");
		fflush(stdout);
		while (!stopping && leader_held(&l))
			nanosleep(&ts, NULL);
		if (!stopping) {
			printf("lost\n");
			fflush(stdout);
		}
	}
	leader_free(&l);
	return 0;
}
