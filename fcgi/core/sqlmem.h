/*
 * sqlmem: an allocator for SQLite that keeps freed small blocks.
 *
 * Debian's SQLite is built without its lookaside allocator
 * (SQLITE_OMIT_LOOKASIDE), so every cursor a statement opens and every
 * value it grows is a malloc() and a free(): some 20 to 30 pairs for a
 * page of tasks.  This allocator keeps freed blocks of up to 1 KiB on free
 * lists by size (32-byte classes, at most 256 KiB kept per thread) and
 * hands them out again; larger blocks go to malloc() as before.  Under
 * AddressSanitizer no block is kept, so its checks still see every
 * allocation.
 */
#ifndef TASKMGR_SQLMEM_H
#define TASKMGR_SQLMEM_H

/* Makes it SQLite's allocator: call before SQLite initialises.  SQLITE_OK or SQLite's error. */
int	 sqlmem_install(void);

#endif
