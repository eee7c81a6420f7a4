/*
 * hashtime: how long one argon2id hash and one verification take with the
 * cost settings of a taskmgr configuration -- the floor of a login's time.
 * Prints one JSON object: {"t_cost", "m_cost_kib", "parallelism",
 * "hash_ms", "verify_ms", "rounds"} with the median of the rounds.
 *
 *   hashtime [--config FILE] [--rounds N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "passwords.h"
#include "timeutil.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	const char *path = NULL;
	char	 err[512], phc[PASSWORD_PHC_MAX];
	int64_t	 th[64], tv[64], t0;
	int	 i, rounds = 7, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: hashtime [--config FILE] [--rounds N]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64)
		rounds = 7;
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
	qsort(th, (size_t)rounds, sizeof(th[0]), cmp_i64);
	qsort(tv, (size_t)rounds, sizeof(tv[0]), cmp_i64);
	printf("{\"t_cost\": %lld, \"m_cost_kib\": %lld, \"parallelism\": %lld, "
	    "\"hash_ms\": %.3f, \"verify_ms\": %.3f, \"rounds\": %d}\n",
	    (long long)cfg.argon2_t_cost, (long long)cfg.argon2_m_cost_kib,
	    (long long)cfg.argon2_parallelism, th[rounds / 2] / 1000.0,
	    tv[rounds / 2] / 1000.0, rounds);
	rc = 0;
out:
	config_free(&cfg);
	return rc;
}
