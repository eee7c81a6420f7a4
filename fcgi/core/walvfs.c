/*
 * walvfs: joins a commit's WAL writes into one (see walvfs.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walvfs.h"

#define FRAME_HEADER	24		/* a WAL frame's header (WAL file format) */
/* A run's longest: the unix VFS writes at most 128 KiB - 1 bytes a call
 * (it masks longer lengths).  29 frames of 4 KiB pages. */
#define BUF_MAX		(120 * 1024)

struct walfile {
	sqlite3_file	 base;		/* pMethods: &walfile_io */
	sqlite3_file	*real;		/* the default VFS's file, after this */
	unsigned char	*buf;		/* bytes not yet written ... */
	size_t		 len;		/* (BUF_MAX bytes, from the first write) */
	sqlite3_int64	 off;		/* ... to the file from here */
	int		 commit;	/* the last write was a commit's last frame header */
};

/* The default VFS's file lies this far into ours (aligned for any type). */
#define REAL_OFFSET	((sizeof(struct walfile) + 15) & ~(size_t)15)

static sqlite3_vfs	 vfs;
static sqlite3_vfs	*base_vfs;
static struct walvfs_stats stats;

static const sqlite3_io_methods walfile_io;

static sqlite3_file *
real_of(sqlite3_file *f)
{
	return ((struct walfile *)f)->real;
}

/* Writes the buffered run.  The run is dropped even when the write fails:
 * it belongs to the operation the failure is reported to, which SQLite
 * then abandons. */
static int
flush(struct walfile *w)
{
	int	 rc;

	if (w->len == 0)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	stats.syscalls++;
	w->len = 0;
	return rc;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Room for n more bytes in w's buffer after what it holds: 1, or 0 when
 * they must be written without it (after what it holds). */
static int
reserve(struct walfile *w, size_t n)
{
	if (w->len + n > BUF_MAX)
		return 0;
	if (w->buf == NULL && (w->buf = malloc(BUF_MAX)) == NULL)
		return 0;
	return 1;
}

static int
wal_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
	struct walfile *w = (struct walfile *)f;
	int	 completes = w->commit;
	int	 rc;

	stats.writes++;
	w->commit = 0;
	if (w->len > 0 && off != w->off + (sqlite3_int64)w->len &&
	    (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (n > 0 && !reserve(w, (size_t)n) && (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (n <= 0 || !reserve(w, (size_t)n)) {
		/* longer than a run: written alone */
		stats.syscalls++;
		return w->real->pMethods->xWrite(w->real, data, n, off);
	}
	if (w->len == 0)
		w->off = off;
	memcpy(w->buf + w->len, data, (size_t)n);
	w->len += (size_t)n;
	if (completes)
		return flush(w);
	/* bytes 4-7 of a frame header: the database's size after a commit,
	 * zero in every frame but a commit's last */
	if (n == FRAME_HEADER && be32((const unsigned char *)data + 4) != 0)
		w->commit = 1;
	return SQLITE_OK;
}

static int
wal_close(sqlite3_file *f)
{
	struct walfile *w = (struct walfile *)f;
	int	 rc, crc;

	rc = flush(w);
	free(w->buf);
	w->buf = NULL;
	crc = w->real->pMethods->xClose(w->real);
	return rc != SQLITE_OK ? rc : crc;
}

static int
wal_read(sqlite3_file *f, void *data, int n, sqlite3_int64 off)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xRead(real_of(f), data, n, off);
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int
wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int
wal_lock(sqlite3_file *f, int level)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int
wal_unlock(sqlite3_file *f, int level)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int
wal_reserved(sqlite3_file *f, int *out)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int
wal_control(sqlite3_file *f, int op, void *arg)
{
	int	 rc;

	if ((rc = flush((struct walfile *)f)) != SQLITE_OK)
		return rc;
	return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int
wal_sector(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int
wal_device(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

/*
 * Version 1: SQLite keeps its shared memory and its memory mapping on the
 * database file and never asks them of a WAL.
 */
static const sqlite3_io_methods walfile_io = {
	1,
	wal_close,
	wal_read,
	wal_write,
	wal_truncate,
	wal_sync,
	wal_size,
	wal_lock,
	wal_unlock,
	wal_reserved,
	wal_control,
	wal_sector,
	wal_device,
	NULL, NULL, NULL, NULL, NULL, NULL
};

static int
vfs_open(sqlite3_vfs *self, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct walfile *w = (struct walfile *)f;
	int	 rc;

	(void)self;
	if (!(flags & SQLITE_OPEN_WAL))
		return base_vfs->xOpen(base_vfs, name, f, flags, out);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)f + REAL_OFFSET);
	rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out);
	if (rc != SQLITE_OK || w->real->pMethods == NULL) {
		w->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	w->base.pMethods = &walfile_io;
	return SQLITE_OK;
}

int
walvfs_register(void)
{
	static int result = 1;

	if (result != 1)
		return result;
	result = -1;
	if ((base_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return result;
	/* the default VFS's own methods, but for opening; pAppData too,
	 * which they may read */
	vfs = *base_vfs;
	vfs.pNext = NULL;
	vfs.zName = WALVFS_NAME;
	vfs.szOsFile = (int)REAL_OFFSET + base_vfs->szOsFile;
	vfs.xOpen = vfs_open;
	if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK)
		return result;
	return result = 0;
}

void
walvfs_stats(struct walvfs_stats *out)
{
	*out = stats;
}
