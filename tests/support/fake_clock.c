/*
 * fake_clock: now_us() for the test-only programs under tests/fakeclock/.
 *
 * The real time plus an offset in seconds read from the file named by the
 * environment variable TMTEST_CLOCK_FILE (a decimal integer, maybe negative,
 * maybe with a fraction), re-read at every call so a test moves time by
 * rewriting the file.  No variable, no file, or an unreadable file: no
 * offset.  The installed programs never contain this code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "timeutil.h"

int64_t
now_us(void)
{
	struct timespec	 ts;
	const char	*path = getenv("TMTEST_CLOCK_FILE");
	double		 off = 0;
	FILE		*f;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (path != NULL && (f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%lf", &off) != 1)
			off = 0;
		fclose(f);
	}
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
	    (int64_t)(off * 1e6);
}
