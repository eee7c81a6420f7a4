/* Unit tests: the shared rate-limit table (GCRA, sharing across processes, a holder's death, eviction). */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ratemap.h"
#include "tap.h"

#define SEC 1000000LL

/* 3 per minute: one every 20 s, a burst of 3 */
#define T	(20 * SEC)
#define TAU	(40 * SEC)

static int
take(struct ratemap *m, const char *key, int64_t now)
{
	int64_t	 tat;

	return ratemap_take(m, key, now, T, TAU, &tat);
}

int
main(void)
{
	char	 dir[] = "/tmp/taskmgr-ratemap-XXXXXX", path[256], err[256], key[32];
	struct ratemap *m, *m2;
	struct stat st;
	int64_t	 now = 1000 * SEC, tat;
	pid_t	 pid;
	int	 i, status, allowed;

	ok(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(path, sizeof(path), "%s/taskmgr.db-limits", dir);
	m = ratemap_open(path, err, sizeof(err));
	ok(m != NULL, "open: %s", m ? "ok" : err);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "file made, mode 0600");

	/* GCRA: a burst of 3, then one every 20 s; a refusal costs nothing */
	for (i = 0; i < 3; i++)
		is_int(take(m, "k", now), 1, "request %d allowed", i + 1);
	is_int(ratemap_take(m, "k", now, T, TAU, &tat), 0, "4th refused");
	is_int(tat - TAU - now, 20 * SEC, "free again in 20 s");
	is_int(take(m, "k", now + 5 * SEC), 0, "refused 5 s later");
	is_int(take(m, "other", now), 1, "another key has its own budget");
	is_int(take(m, "k", now + 20 * SEC), 1, "allowed after 20 s");
	is_int(take(m, "k", now + 20 * SEC), 0, "then refused again");
	is_int((int64_t)ratemap_live(m, now), 2, "two live keys");

	/* peek: the same verdict as a take, counting nothing, storing no new key */
	is_int(ratemap_peek(m, "k", now + 20 * SEC, TAU, &tat), 0, "peek: k is over");
	is_int(tat - TAU - (now + 20 * SEC), 20 * SEC, "peek: free again in 20 s");
	is_int(ratemap_peek(m, "other", now, TAU, &tat), 1, "peek: other has budget");
	is_int(ratemap_peek(m, "other", now, TAU, &tat), 1, "peek: ... and still has");
	is_int(take(m, "other", now), 1, "peeks took none of other's 3: 2nd");
	is_int(take(m, "other", now), 1, "... 3rd");
	is_int(ratemap_peek(m, "other", now, TAU, &tat), 0, "peek: other is now over");
	is_int(ratemap_peek(m, "unseen", now, TAU, &tat), 1, "peek: an unseen key has budget");
	is_int((int64_t)ratemap_live(m, now), 2, "a peek stores no key");
	is_int((int64_t)ratemap_live(m, now + 3600 * SEC), 0, "none an hour later");

	/* another process, another mapping of the same file: one budget */
	pid = fork();
	if (pid == 0) {
		struct ratemap *c = ratemap_open(path, err, sizeof(err));

		_exit(c != NULL && take(c, "shared", now) == 1 && take(c, "shared", now) == 1 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "a child took 2 of the key's 3");
	is_int(take(m, "shared", now), 1, "the parent the 3rd");
	is_int(take(m, "shared", now), 0, "and no 4th");

	/* reopening keeps the state (a responder's restart) */
	m2 = ratemap_open(path, err, sizeof(err));
	ok(m2 != NULL, "reopened");
	is_int(take(m2, "shared", now), 0, "still refused through the new mapping");
	ratemap_close(m2);

	/* a process killed while it held the lock does not stop the others */
	pid = fork();
	if (pid == 0) {
		struct ratemap *c = ratemap_open(path, err, sizeof(err));

		if (c == NULL)
			_exit(1);
		ratemap_test_lock_and_die(c);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	    "a child died holding the lock");
	is_int(take(m, "after-death", now), 1, "the table still answers");

	/* many keys: the table never refuses a new key, it gives up the slot that frees soonest */
	allowed = 0;
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "flood-%d", i);
		allowed += take(m, key, now);
	}
	is_int(allowed, 200000, "every new key starts with its budget");
	ok(ratemap_live(m, now) <= RATEMAP_SLOTS, "live keys bounded by the table");

	/* a file of another size (an older layout) is set up anew */
	ratemap_close(m);
	ok(truncate(path, 4096) == 0, "file cut short");
	m = ratemap_open(path, err, sizeof(err));
	ok(m != NULL && ratemap_live(m, now) == 0, "set up anew, empty");
	ok(stat(path, &st) == 0 && st.st_size > 1000000, "full size again");
	ratemap_close(m);

	unlink(path);
	rmdir(dir);
	return tap_done();
}
