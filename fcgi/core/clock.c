/*
 * clock: the wall clock every rule reads (now_us, declared in timeutil.h).
 * In its own object so that test-only programs can link a clock the tests
 * move (tests/support/fake_clock.c); the installed programs link this one.
 */
#include <time.h>

#include "timeutil.h"

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
