/*
 * standby: the election of 'taskmgr worker' and 'taskmgr bot' on the
 * configured database (core/leader.h): one of each leads, the others wait.
 */
#ifndef TASKMGR_STANDBY_H
#define TASKMGR_STANDBY_H

#include <signal.h>

#include "leader.h"

struct app;

/* worker --once, bot --once: how long they wait for a leader to finish */
#define STANDBY_ONCE_WAIT_MS 2000
/* their exit status when another process kept the lead: nothing was done */
#define EXIT_STANDBY 4

/*
 * Takes the lead for what on app's database, waiting as a standby for as
 * long as it takes (once: STANDBY_ONCE_WAIT_MS at most, then "<what>:
 * another <what> runs on this database; nothing done" is printed on
 * standard output).  l is
 * initialised on the first call (zero it before) and freed by the caller
 * with leader_free().  1 leads, 0 did not (*stop set, or once and another
 * leads), -1 the lock cannot be used (logged).
 */
int	 standby_lead(struct leader *l, struct app *app, const char *what, int once,
	    volatile sig_atomic_t *stop);

#endif
