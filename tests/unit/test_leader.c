/* Unit tests: the election's SQLite side (flock beside the database), in one process and across a kill -9. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leader.h"
#include "log.h"
#include "tap.h"

int
main(void)
{
	char	 dir[] = "/tmp/taskmgr-leader-XXXXXX", db[256], lock[300], err[256], buf[32];
	struct leader a, b, c;
	struct stat st;
	pid_t	 pid;
	int	 p[2], status, fd;
	ssize_t	 n;

	log_set_level(LOG_ERROR);
	ok(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(db, sizeof(db), "%s/taskmgr.db", dir);
	snprintf(lock, sizeof(lock), "%s-worker.lock", db);

	is_int(leader_init(&a, "worker", db, err, sizeof(err)), 0, "init a");
	is_int(leader_init(&b, "worker", db, err, sizeof(err)), 0, "init b");
	is_int(leader_init(&c, "bot", db, err, sizeof(err)), 0, "init c (the bot)");
	is_int(leader_held(&a), 0, "nothing held before a try");

	/* one leads, the other waits; the bot's lock is another one */
	is_int(leader_try(&a), 1, "a leads");
	ok(stat(lock, &st) == 0 && (st.st_mode & 0777) == 0600, "%s made, mode 0600", lock);
	fd = open(lock, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	is_int(atol(buf), getpid(), "the file holds the leader's PID");
	is_int(leader_try(&b), 0, "b does not: a leads");
	is_int(leader_try(&c), 1, "the bot leads its own lock");
	is_int(leader_held(&a), 1, "a still leads");
	is_int(leader_wait(&b, NULL, 300), 0, "b waits 300 ms in vain");

	/* a gives up: b takes over */
	leader_free(&a);
	is_int(leader_try(&b), 1, "b takes over once a is freed");
	leader_free(&a);	/* twice: nothing */

	/* the lock file removed: the lead is lost (another could lock a new file) */
	ok(unlink(lock) == 0, "lock file removed");
	is_int(leader_held(&b), 0, "b lost the lead");
	is_int(leader_held(&b), 0, "... and stays without it");
	is_int(leader_try(&b), 1, "b leads again on a new file");
	is_int(leader_held(&b), 1, "held");
	leader_free(&b);

	/* a leader killed -9: the kernel drops its lock, a waiting standby takes over */
	ok(pipe(p) == 0, "pipe");
	if ((pid = fork()) == 0) {
		struct leader k;

		close(p[0]);
		if (leader_init(&k, "worker", db, err, sizeof(err)) < 0 || leader_try(&k) != 1)
			_exit(1);
		(void)!write(p[1], "L", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	ok(pid > 0 && read(p[0], buf, 1) == 1, "the child leads");
	close(p[0]);
	is_int(leader_init(&a, "worker", db, err, sizeof(err)), 0, "init");
	is_int(leader_try(&a), 0, "the parent waits");
	ok(kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	    "the leader killed -9");
	is_int(leader_wait(&a, NULL, 5000), 1, "the standby took over");
	leader_free(&a);
	leader_free(&c);

	/* what cannot be a lock */
	ok(leader_init(&a, "worker", "/nonexistent/dir/taskmgr.db", err, sizeof(err)) == 0 &&
	    leader_try(&a) == -1, "a folder that does not exist: -1");
	leader_free(&a);
#ifndef HAVE_POSTGRESQL
	is_int(leader_init(&a, "worker", "postgresql:///x", err, sizeof(err)), -1,
	    "a URI without --with-postgresql: %s", err);
#endif

	unlink(lock);
	snprintf(lock, sizeof(lock), "%s-bot.lock", db);
	unlink(lock);
	rmdir(dir);
	return tap_done();
}
