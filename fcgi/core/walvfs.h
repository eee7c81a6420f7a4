/*
 * walvfs: the default SQLite VFS, with a commit's WAL writes joined into
 * one system call.
 *
 * SQLite appends a commit to the write-ahead log as two writes per page
 * (the frame's 24-byte header, then the page): 24 system calls for a
 * 12-page commit, each taking the file's inode lock and updating its
 * times, all while the database's write lock is held.  A WAL opened
 * through this VFS gathers contiguous appends in a buffer and writes them
 * with one call when the commit's last page has arrived (the header of a
 * commit's last frame carries the database size; no other frame header
 * does), before any other operation on the file, before a write that does
 * not continue the buffered run, and when the buffer is full.  So every
 * frame of a commit is in the file before SQLite publishes the commit in
 * the WAL index, as without the buffer, and a failed write fails the
 * commit that made it.  Other files, and every other method, are the
 * default VFS's own; the files on disk are the same.
 */
#ifndef TASKMGR_WALVFS_H
#define TASKMGR_WALVFS_H

#include <stdint.h>

#define WALVFS_NAME	"taskmgr-wal"

/*
 * Registers the VFS under WALVFS_NAME (not as the default) over the
 * default VFS; once per process, later calls return the first result.
 * Returns 0, or -1 when there is no default VFS or registering failed
 * (then open with the default VFS).
 */
int	walvfs_register(void);

/* Counts since the process started, for tests and diagnostics. */
struct walvfs_stats {
	uint64_t	 writes;	/* writes SQLite asked of a WAL */
	uint64_t	 syscalls;	/* writes passed to the default VFS */
};

void	walvfs_stats(struct walvfs_stats *);

#endif
