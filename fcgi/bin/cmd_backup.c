/*
 * cmd_backup: taskmgr backup FILE -- an online copy of the database with
 * SQLite's backup API, safe while the responders and the worker write.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "app.h"
#include "commands.h"

#define BACKUP_STEP_PAGES	256	/* pages copied per step (1 MiB at 4 KiB pages) */
#define BACKUP_BUSY_TRIES	600	/* steps that may find the source locked (x 50 ms) */

/* fsync()s the file or directory at path; 0 or -1 with errno set. */
static int
sync_path(const char *path, int dir)
{
	int	 fd, rc;

	if ((fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Runs PRAGMA integrity_check on db; 0 when it answers exactly "ok". */
static int
integrity_ok(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int	 rc = -1, n = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", name, sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *msg = (const char *)sqlite3_column_text(st, 0);

		if (n++ == 0 && msg != NULL && strcmp(msg, "ok") == 0)
			rc = 0;
		else {
			rc = -1;
			fprintf(stderr, "taskmgr backup: %s: integrity check: %s\n",
			    name, msg ? msg : "(null)");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Copies the open database src into a new file tmp, BACKUP_STEP_PAGES pages
 * per step with a progress line on stderr per step.  A read transaction on
 * src is held from the first step to the last, so the copy is one consistent
 * snapshot even while other processes write (in WAL mode they are not
 * blocked, and the backup never has to restart).  Then checks the copy's
 * integrity and syncs it.  0 or -1 (message printed).
 */
static int
copy_db(sqlite3 *src, const char *srcname, const char *tmp, int quiet)
{
	sqlite3	*dst = NULL;
	sqlite3_backup *b = NULL;
	int	 rc, ret = -1, busy = 0, in_tx = 0, total, left, fd;

	/* made 0600 whatever the umask (its -wal takes the same mode); O_EXCL:
	 * never through a link someone left at that name */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    fchmod(fd, 0600) < 0) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", tmp,
		    dst ? sqlite3_errmsg(dst) : "cannot open");
		goto out;
	}
	if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", srcname, sqlite3_errmsg(src));
		goto out;
	}
	in_tx = 1;
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		fprintf(stderr, "taskmgr backup: %s\n", sqlite3_errmsg(dst));
		goto out;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
		total = sqlite3_backup_pagecount(b);
		left = sqlite3_backup_remaining(b);
		if (!quiet && (rc == SQLITE_OK || rc == SQLITE_DONE))
			fprintf(stderr, "backup: %d/%d pages (%d%%)\n", total - left,
			    total, total > 0 ? (int)((total - left) * 100LL / total) : 100);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (++busy > BACKUP_BUSY_TRIES) {
				fprintf(stderr, "taskmgr backup: the database stayed locked\n");
				goto out;
			}
			sqlite3_sleep(50);
			continue;
		}
		if (rc != SQLITE_OK) {
			fprintf(stderr, "taskmgr backup: %s\n", sqlite3_errstr(rc));
			goto out;
		}
	}
	rc = sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_OK) {
		fprintf(stderr, "taskmgr backup: %s\n", sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	in_tx = 0;
	if (integrity_ok(dst, tmp) < 0)
		goto out;
	/* the copy is a standalone file: no -wal beside it once closed */
	if (sqlite3_exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	ret = 0;
out:
	if (b != NULL)
		sqlite3_backup_finish(b);
	if (in_tx)
		sqlite3_exec(src, "ROLLBACK", NULL, NULL, NULL);
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK) {
		fprintf(stderr, "taskmgr backup: %s: cannot close\n", tmp);
		ret = -1;
	}
	if (ret == 0 && sync_path(tmp, 0) < 0) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", tmp, strerror(errno));
		ret = -1;
	}
	return ret;
}

/* Removes path and its -wal, -shm and -journal companions. */
static void
unlink_db(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char	 p[PATH_MAX + 16];
	size_t	 i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		(void)unlink(p);
	}
}

/* -1 (said on stderr) when the folder FILE is to be written in is missing or not a folder. */
static int
folder_missing(const char *file)
{
	char	 dir[PATH_MAX];
	const char *folder;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", file);
	folder = dirname(dir);
	if (stat(folder, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			fprintf(stderr, "taskmgr: backup: folder '%s' does not exist\n", folder);
		else
			fprintf(stderr, "taskmgr: backup: folder '%s': %s\n", folder,
			    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "taskmgr: backup: '%s' is not a folder\n", folder);
		return -1;
	}
	return 0;
}

int
cmd_backup(struct app *app, int argc, char *argv[])
{
	const char *file = NULL, *srcname;
	char	 tmp[PATH_MAX], real_src[PATH_MAX], real_dst[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int	 i, force = 0, quiet = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("backup", "unknown option '%s'", argv[i]);
		else if (file == NULL)
			file = argv[i];
		else
			goto usage;
	}
	if (file == NULL || *file == '\0')
		goto usage;
	if (app->cfg.db_pg) {
		/* not a file to copy: a cluster, backed up by its own tools */
		puts("taskmgr backup: the database is PostgreSQL, which is backed up with its "
		    "own tools; nothing was written.\n"
		    "  logical dump:  pg_dump --format=custom --file=FILE DBNAME "
		    "(restore with pg_restore)\n"
		    "  point-in-time recovery:  pg_basebackup for a base copy, plus WAL "
		    "archiving (archive_mode, archive_command)\n"
		    "See README 'PostgreSQL and several hosts'.");
		return 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= sizeof(tmp)) {
		fprintf(stderr, "taskmgr backup: %s: name too long\n", file);
		return 1;
	}
	if (folder_missing(file) < 0)
		return 1;
	srcname = app->cfg.database;
	if (realpath(srcname, real_src) != NULL && realpath(file, real_dst) != NULL &&
	    strcmp(real_src, real_dst) == 0) {
		fprintf(stderr, "taskmgr backup: %s is the database itself\n", file);
		return 1;
	}
	if (stat(file, &st) == 0) {
		if (!force) {
			fprintf(stderr, "taskmgr backup: %s exists; use --force to "
			    "replace it\n", file);
			return 1;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "taskmgr backup: %s is not a regular file\n", file);
			return 1;
		}
	}
	/* a .tmp left by an interrupted backup is ours to replace */
	unlink_db(tmp);
	if (copy_db(app->db.h, srcname, tmp, quiet) < 0) {
		unlink_db(tmp);
		return 1;
	}
	if (rename(tmp, file) != 0) {
		fprintf(stderr, "taskmgr backup: %s: %s\n", file, strerror(errno));
		unlink_db(tmp);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", file);
	(void)sync_path(dirname(dir), 1);
	if (!quiet)
		fprintf(stderr, "backup: %s written, integrity check ok\n", file);
	return 0;
usage:
	return usage_error("backup", "%s", file != NULL && *file != '\0' ?
	    "one FILE only" : "FILE is required");
}
