/*
 * powercut_vfs: a test-only SQLite VFS that can cut the power (never built
 * into the programs).
 *
 * Layered over the default VFS (it becomes the default, so walvfs, which
 * db_open() uses, sits on top of it: the product's whole stack runs).  A
 * process that has armed it records, before each write to a database or
 * WAL file, the bytes that write replaces, in a side file "<file>-pcut"
 * shared by every process (under flock): the writes since that file's last
 * sync.  A sync empties the side file (the real fsync is skipped: the model
 * decides what is durable, and the test runs faster).  A truncation counts
 * as a sync of that file (SQLite truncates a WAL only past
 * journal_size_limit, never in the test).
 *
 * All armed processes share one counter of writes (pcut_shared, in memory
 * mapped before fork): the write that reaches the target cuts the power.
 * From then on every armed process that writes, syncs or truncates stops
 * (pause() until its parent kills it), so nothing done after the cut
 * reaches the files.  The parent then calls pcut_apply() on each file: it
 * undoes the unsynced writes -- all of them, or a random subset in pieces
 * of a given size (a sector, a page), as a disk that reorders and tears
 * writes may -- and the database is opened again from what is left.  The
 * bytes of a piece that a write did not cover are never changed: the disk
 * is "powersafe overwrite", as SQLite's unix VFS assumes.
 */
#ifndef TASKMGR_POWERCUT_VFS_H
#define TASKMGR_POWERCUT_VFS_H

#include <stdint.h>

#define PCUT_SUFFIX	"-pcut"

/* Shared by the parent and its armed children (MAP_SHARED memory). */
struct pcut_shared {
	int64_t		 writes;	/* recorded writes since pcut_reset() */
	int64_t		 target;	/* the write with this number cuts the power */
	int64_t		 cut;		/* 1: the power is off */
	int64_t		 syncs;		/* syncs of a WAL */
	int64_t		 db_syncs;	/* ... of the database file (a checkpoint's end) */
	int64_t		 db_writes;	/* writes to the database file (checkpoints) */
	int64_t		 shortened;	/* truncations that shortened a file */
};

/*
 * Registers the VFS as the default over the current default; before any
 * database is opened.  0 or -1.  sh must live in memory shared across
 * fork().
 */
int	 pcut_register(struct pcut_shared *sh);
/* In a child: record writes from now on, and obey the cut. */
void	 pcut_arm(void);
/* The power is on again: counters zeroed, the cut at write number target. */
void	 pcut_reset(int64_t target);

/* What pcut_apply() did to a file. */
struct pcut_result {
	int64_t		 pieces;	/* pieces written since the last sync */
	int64_t		 lost;		/* of which reverted to their synced bytes */
};

/*
 * After the cut, with every armed process gone: reverts the unsynced writes
 * of path (its side file tells) and empties the side file.  piece == 0:
 * every unsynced write is lost; else each piece of piece bytes (aligned in
 * the file) of each unsynced write survives or is lost at random, its
 * newest bytes or its synced ones; an extension of the file survives as far
 * as its last surviving piece.  rnd: the caller's random source (state).
 * 0 or -1 (message on stderr).
 */
int	 pcut_apply(const char *path, int piece, uint64_t *rnd, struct pcut_result *);

/* A xorshift64 step: the test's one source of randomness. */
uint64_t pcut_rand(uint64_t *state);

#endif
