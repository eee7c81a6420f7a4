/*
 * hashtime: how long one argon2id hash and one verification take with the
 * cost settings of a taskmgr configuration -- the floor of a login's time.
 * Prints one JSON object: {"t_cost", "m_cost_kib", "parallelism",
 * "hash_ms", "verify_ms", "rounds", "concurrent", "verify_concurrent_ms"}
 * with the median of the rounds.  With --concurrent N (default 1), N
 * processes also verify at the same time, as N responders on N cores do
 * under a login load: argon2id's work areas then compete for the caches and
 * the memory bandwidth, and verify_concurrent_ms is the median of all
 * their rounds -- what bounds the login rate of N cores.
 *
 *   hashtime [--config FILE] [--rounds N] [--concurrent N]
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "passwords.h"
#include "timeutil.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Times rounds verifications of phc in each of n processes started
 * together; the median of all n * rounds times in *ms.  0, or -1 on failure.
 */
static int
concurrent_verify(const char *phc, int n, int rounds, double *ms)
{
	int64_t	*all, t0;
	int	 go[2], res[2], i, k, got = 0, status, ok = 1;
	pid_t	 pid;
	char	 c;

	if ((all = calloc((size_t)n * (size_t)rounds, sizeof(*all))) == NULL ||
	    pipe(go) < 0) {
		free(all);
		return -1;
	}
	if (pipe(res) < 0) {
		close(go[0]);
		close(go[1]);
		free(all);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((pid = fork()) < 0) {
			ok = 0;
			break;
		}
		if (pid == 0) {
			int64_t	 t[64];

			close(go[1]);
			close(res[0]);
			/* every child starts when the parent closes the pipe */
			(void)read(go[0], &c, 1);
			for (k = 0; k < rounds; k++) {
				t0 = mono_us();
				if (!password_verify(phc, "benchmark-password-1"))
					_exit(1);
				t[k] = mono_us() - t0;
			}
			_exit(write(res[1], t, sizeof(t[0]) * (size_t)rounds) ==
			    (ssize_t)(sizeof(t[0]) * (size_t)rounds) ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);
	close(res[1]);
	while (ok && got < n * rounds) {
		ssize_t	 r = read(res[0], all + got, sizeof(*all) * (size_t)(n * rounds - got));

		if (r <= 0)
			break;
		got += (int)(r / (ssize_t)sizeof(*all));
	}
	close(res[0]);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	if (!ok || got != n * rounds) {
		free(all);
		return -1;
	}
	qsort(all, (size_t)got, sizeof(*all), cmp_i64);
	*ms = all[got / 2] / 1000.0;
	free(all);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	const char *path = NULL;
	char	 err[512], phc[PASSWORD_PHC_MAX];
	int64_t	 th[64], tv[64], t0;
	double	 conc_ms = 0;
	int	 i, rounds = 7, concurrent = 1, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--concurrent") == 0 && i + 1 < argc)
			concurrent = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: hashtime [--config FILE] [--rounds N]"
			    " [--concurrent N]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64)
		rounds = 7;
	if (concurrent < 1 || concurrent > 64)
		concurrent = 1;
	if (config_load(&cfg, config_path(path), err, sizeof(err)) < 0) {
		fprintf(stderr, "hashtime: %s\n", err);
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		t0 = mono_us();
		if (password_hash(&cfg, "benchmark-password-1", phc, sizeof(phc)) < 0) {
			fprintf(stderr, "hashtime: argon2id hashing failed\n");
			goto out;
		}
		th[i] = mono_us() - t0;
		t0 = mono_us();
		if (!password_verify(phc, "benchmark-password-1")) {
			fprintf(stderr, "hashtime: verification failed\n");
			goto out;
		}
		tv[i] = mono_us() - t0;
	}
	fflush(stdout);
	if (concurrent_verify(phc, concurrent, rounds, &conc_ms) < 0) {
		fprintf(stderr, "hashtime: concurrent verification failed\n");
		goto out;
	}
	qsort(th, (size_t)rounds, sizeof(th[0]), cmp_i64);
	qsort(tv, (size_t)rounds, sizeof(tv[0]), cmp_i64);
	printf("{\"t_cost\": %lld, \"m_cost_kib\": %lld, \"parallelism\": %lld, "
	    "\"hash_ms\": %.3f, \"verify_ms\": %.3f, \"rounds\": %d, "
	    "\"concurrent\": %d, \"verify_concurrent_ms\": %.3f}\n",
	    (long long)cfg.argon2_t_cost, (long long)cfg.argon2_m_cost_kib,
	    (long long)cfg.argon2_parallelism, th[rounds / 2] / 1000.0,
	    tv[rounds / 2] / 1000.0, rounds, concurrent, conc_ms);
	rc = 0;
out:
	config_free(&cfg);
	return rc;
}
