/*
 * replay: runs every file of a fuzz target's corpus through the target once,
 * compiled with the normal compiler, so every input a fuzzer found stays a
 * regression test everywhere.  Prints TAP: one line per file.
 *
 * usage: replay_TARGET [DIR-or-FILE...]; without arguments the corpus is
 * $TOP_SRCDIR/tests/fuzz/corpus/TARGET.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error FUZZ_TARGET must name the target
#endif

static int	 count;

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file into a buffer of exactly its size (so ASan sees overreads). */
static int
run_file(const char *path)
{
	FILE	*f;
	uint8_t	*data = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		printf("not ok %d - %s: cannot read\n", ++count, path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if ((data = malloc(n > 0 ? (size_t)n : 1)) == NULL ||
	    fread(data, 1, (size_t)n, f) != (size_t)n) {
		printf("not ok %d - %s: cannot read\n", ++count, path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	printf("ok %d - %s\n", ++count, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	fflush(stdout);
	return 0;
}

static int
run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR	*d;
	char	**names = NULL, *full, **tmp;
	size_t	 n = 0, cap = 0, i;
	int	 rc = 0;

	if (stat(path, &st) != 0) {
		printf("not ok %d - %s: missing\n", ++count, path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((d = opendir(path)) == NULL) {
		printf("not ok %d - %s: cannot open\n", ++count, path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((tmp = realloc(names, cap * sizeof(*names))) == NULL)
				abort();
			names = tmp;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;

		if ((full = malloc(len)) == NULL)
			abort();
		snprintf(full, len, "%s/%s", path, names[i]);
		if (run_file(full) < 0)
			rc = -1;
		free(full);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *top = getenv("TOP_SRCDIR");
	char	 dir[4096];
	int	 i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i]) < 0)
				rc = 1;
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    top && *top ? top : ".", FUZZ_TARGET);
		if (run_path(dir) < 0)
			rc = 1;
	}
	if (count == 0)
		printf("not ok 1 - no corpus files found\n"), count = 1, rc = 1;
	printf("1..%d\n", count);
	return rc;
}
