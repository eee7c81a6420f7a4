/*
 * powercut_vfs: the power-cut model of the crash test (see powercut_vfs.h).
 *
 * A side file holds one record per unsynced write, oldest first: a header
 * (offset, length, the file's size before the write, how many of the
 * replaced bytes existed) and those bytes.  The record is appended before
 * the write is made, both under the side file's flock, so a process killed
 * between the two leaves a record whose undo changes nothing, and one
 * killed while appending leaves a short last record, which is ignored.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "powercut_vfs.h"

#define PCUT_NAME	"powercut"

struct rec {
	int64_t		 off;
	int64_t		 len;		/* bytes written */
	int64_t		 size;		/* the file's size before */
	int64_t		 plen;		/* replaced bytes that existed: min(len, size - off) */
};

struct pcfile {
	sqlite3_file	 base;		/* pMethods: &pc_io */
	sqlite3_file	*real;		/* the underlying VFS's file, after this */
	int		 logfd;		/* the side file; -1: not recorded */
	int		 main_db;	/* 1: the database file, 0: a WAL */
};

#define REAL_OFFSET	((sizeof(struct pcfile) + 15) & ~(size_t)15)

static sqlite3_vfs	 vfs;
static sqlite3_vfs	*base_vfs;
static struct pcut_shared *shared;
static int		 armed;
static sqlite3_io_methods pc_io;

uint64_t
pcut_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static sqlite3_file *
real_of(sqlite3_file *f)
{
	return ((struct pcfile *)f)->real;
}

/* The power is off: this process does nothing more (its parent kills it). */
static void
stop(void)
{
	for (;;)
		pause();
}

/* Takes the side file's lock; stops the process when the power is off. */
static void
enter(struct pcfile *p)
{
	while (flock(p->logfd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (__atomic_load_n(&shared->cut, __ATOMIC_SEQ_CST))
		stop();
}

static void
leave(struct pcfile *p)
{
	flock(p->logfd, LOCK_UN);
}

static int
write_all(int fd, const void *buf, size_t n)
{
	const char *s = buf;
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
pc_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
	struct pcfile *p = (struct pcfile *)f;
	sqlite3_int64 size = 0;
	struct rec r;
	char	*buf;
	int	 rc;

	if (!armed || p->logfd < 0)
		return p->real->pMethods->xWrite(p->real, data, n, off);
	enter(p);
	if (__atomic_add_fetch(&shared->writes, 1, __ATOMIC_SEQ_CST) >= shared->target) {
		__atomic_store_n(&shared->cut, 1, __ATOMIC_SEQ_CST);
		stop();
	}
	if (p->main_db)
		__atomic_add_fetch(&shared->db_writes, 1, __ATOMIC_SEQ_CST);
	if ((rc = p->real->pMethods->xFileSize(p->real, &size)) != SQLITE_OK)
		goto out;
	r.off = off;
	r.len = n;
	r.size = size;
	r.plen = size - off < 0 ? 0 : size - off > n ? n : size - off;
	rc = SQLITE_IOERR_WRITE;
	if ((buf = malloc(sizeof(r) + (size_t)r.plen)) == NULL)
		goto out;
	memcpy(buf, &r, sizeof(r));
	if (r.plen > 0 && p->real->pMethods->xRead(p->real, buf + sizeof(r), (int)r.plen,
	    off) != SQLITE_OK) {
		free(buf);
		goto out;
	}
	if (write_all(p->logfd, buf, sizeof(r) + (size_t)r.plen) < 0) {
		free(buf);
		goto out;
	}
	free(buf);
	rc = p->real->pMethods->xWrite(p->real, data, n, off);
out:
	leave(p);
	return rc;
}

/* A sync: what was written is durable, the side file starts over. */
static int
pc_sync(sqlite3_file *f, int flags)
{
	struct pcfile *p = (struct pcfile *)f;
	int	 rc = SQLITE_OK;

	if (!armed || p->logfd < 0)
		return p->real->pMethods->xSync(p->real, flags);
	enter(p);
	__atomic_add_fetch(p->main_db ? &shared->db_syncs : &shared->syncs, 1, __ATOMIC_SEQ_CST);
	if (ftruncate(p->logfd, 0) < 0)
		rc = SQLITE_IOERR_FSYNC;
	leave(p);
	return rc;
}

/*
 * A truncation that shortens the file counts as a sync of it (SQLite
 * shortens a WAL only past journal_size_limit, and a database only when it
 * shrank: never in the test; shared->shortened says).  One to the file's
 * size or beyond changes no byte and is made as it is (a checkpoint sets
 * the database's size so before it syncs).
 */
static int
pc_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct pcfile *p = (struct pcfile *)f;
	sqlite3_int64 cur = 0;
	int	 rc;

	if (!armed || p->logfd < 0)
		return p->real->pMethods->xTruncate(p->real, size);
	enter(p);
	if ((rc = p->real->pMethods->xFileSize(p->real, &cur)) == SQLITE_OK && size < cur) {
		__atomic_add_fetch(&shared->shortened, 1, __ATOMIC_SEQ_CST);
		if (ftruncate(p->logfd, 0) < 0)
			rc = SQLITE_IOERR_TRUNCATE;
	}
	if (rc == SQLITE_OK)
		rc = p->real->pMethods->xTruncate(p->real, size);
	leave(p);
	return rc;
}

static int
pc_close(sqlite3_file *f)
{
	struct pcfile *p = (struct pcfile *)f;
	int	 rc = p->real->pMethods->xClose(p->real);

	if (p->logfd >= 0)
		close(p->logfd);
	p->logfd = -1;
	return rc;
}

static int
pc_read(sqlite3_file *f, void *d, int n, sqlite3_int64 off)
{
	return real_of(f)->pMethods->xRead(real_of(f), d, n, off);
}

static int
pc_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int
pc_lock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int
pc_unlock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int
pc_reserved(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int
pc_control(sqlite3_file *f, int op, void *arg)
{
	return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int
pc_sector(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int
pc_device(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int
pc_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return real_of(f)->pMethods->xShmMap(real_of(f), pg, pgsz, extend, pp);
}

static int
pc_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return real_of(f)->pMethods->xShmLock(real_of(f), off, n, flags);
}

static void
pc_shm_barrier(sqlite3_file *f)
{
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int
pc_shm_unmap(sqlite3_file *f, int del)
{
	return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

static int
pc_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return real_of(f)->pMethods->xFetch(real_of(f), off, n, pp);
}

static int
pc_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static sqlite3_io_methods pc_io = {
	3,
	pc_close,
	pc_read,
	pc_write,
	pc_truncate,
	pc_sync,
	pc_size,
	pc_lock,
	pc_unlock,
	pc_reserved,
	pc_control,
	pc_sector,
	pc_device,
	pc_shm_map,
	pc_shm_lock,
	pc_shm_barrier,
	pc_shm_unmap,
	pc_fetch,
	pc_unfetch,
};

static int
pc_open(sqlite3_vfs *self, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct pcfile *p = (struct pcfile *)f;
	char	 side[4096];
	int	 rc;

	(void)self;
	if (name == NULL || !(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
		return base_vfs->xOpen(base_vfs, name, f, flags, out);
	memset(p, 0, sizeof(*p));
	p->logfd = -1;
	p->real = (sqlite3_file *)((char *)f + REAL_OFFSET);
	if ((size_t)snprintf(side, sizeof(side), "%s%s", name, PCUT_SUFFIX) >= sizeof(side))
		return SQLITE_CANTOPEN;
	rc = base_vfs->xOpen(base_vfs, name, p->real, flags, out);
	if (rc != SQLITE_OK || p->real->pMethods == NULL) {
		p->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	if ((p->logfd = open(side, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		p->real->pMethods->xClose(p->real);
		p->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	p->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
	p->base.pMethods = &pc_io;
	return SQLITE_OK;
}

int
pcut_register(struct pcut_shared *sh)
{
	shared = sh;
	if ((base_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return -1;
	vfs = *base_vfs;
	vfs.pNext = NULL;
	vfs.zName = PCUT_NAME;
	vfs.szOsFile = (int)REAL_OFFSET + base_vfs->szOsFile;
	vfs.xOpen = pc_open;
	return sqlite3_vfs_register(&vfs, 1) == SQLITE_OK ? 0 : -1;
}

void
pcut_arm(void)
{
	armed = 1;
}

void
pcut_reset(int64_t target)
{
	memset(shared, 0, sizeof(*shared));
	shared->target = target;
}

static int
pwrite_all(int fd, const char *buf, size_t n, off_t off)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = pwrite(fd, buf, n, off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/*
 * Reverts [from, to) of the write in r (prior: its replaced bytes) in fd:
 * the bytes that existed get their old value, the rest zeros.
 */
static int
revert(int fd, const struct rec *r, const char *prior, int64_t from, int64_t to)
{
	static const char zeros[4096];
	int64_t	 p, n;

	for (p = from; p < to; p += n) {
		if (p < r->off + r->plen) {
			n = (r->off + r->plen < to ? r->off + r->plen : to) - p;
			if (pwrite_all(fd, prior + (p - r->off), (size_t)n, p) < 0)
				return -1;
		} else {
			n = to - p > (int64_t)sizeof(zeros) ? (int64_t)sizeof(zeros) : to - p;
			if (pwrite_all(fd, zeros, (size_t)n, p) < 0)
				return -1;
		}
	}
	return 0;
}

int
pcut_apply(const char *path, int piece, uint64_t *rnd, struct pcut_result *res)
{
	char	 side[4096], *log = NULL;
	struct stat st;
	size_t	*recs = NULL;		/* each record's place in log */
	struct rec r;
	unsigned char *fate = NULL;	/* per piece: 0 undecided, 1 kept, 2 lost */
	size_t	 nrec = 0, pos, i, len;
	int64_t	 synced, end, p, q, kept_end, npieces, unit;
	int	 fd = -1, lfd = -1, ret = -1;
	ssize_t	 got;

	memset(res, 0, sizeof(*res));
	snprintf(side, sizeof(side), "%s%s", path, PCUT_SUFFIX);
	if ((lfd = open(side, O_RDWR | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0 || fstat(lfd, &st) < 0) {
		ret = errno == ENOENT ? 0 : -1;
		goto done;
	}
	len = (size_t)st.st_size;
	if (len > 0 && ((log = malloc(len)) == NULL ||
	    (got = pread(lfd, log, len, 0)) < 0 || (size_t)got != len))
		goto done;
	if ((recs = calloc(len / sizeof(r) + 1, sizeof(*recs))) == NULL)
		goto done;
	/* the records, oldest first; a short last one was never written */
	for (pos = 0; pos + sizeof(r) <= len; pos += sizeof(r) + (size_t)r.plen) {
		memcpy(&r, log + pos, sizeof(r));
		if (pos + sizeof(r) + (size_t)r.plen > len)
			break;
		recs[nrec++] = pos;
	}
	if (fstat(fd, &st) < 0)
		goto done;
	unit = piece > 0 ? piece : 4096;
	npieces = st.st_size / unit + 1;
	for (i = 0; i < nrec; i++) {
		memcpy(&r, log + recs[i], sizeof(r));
		if ((r.off + r.len) / unit + 1 > npieces)
			npieces = (r.off + r.len) / unit + 1;
	}
	if ((fate = calloc((size_t)npieces, 1)) == NULL)
		goto done;
	synced = st.st_size;
	if (nrec > 0) {
		memcpy(&r, log + recs[0], sizeof(r));
		synced = r.size;
	}
	kept_end = synced;
	/* newest first: a piece's fate is drawn at its newest write; when it
	 * is lost, every older write of it is undone too, down to the synced
	 * bytes; when it survives, it keeps the newest bytes */
	for (i = nrec; i-- > 0;) {
		memcpy(&r, log + recs[i], sizeof(r));
		end = r.off + r.len;
		for (p = r.off; p < end; p = q) {
			q = (p / unit + 1) * unit;
			if (q > end)
				q = end;
			if (fate[p / unit] == 0) {
				res->pieces++;
				fate[p / unit] = piece > 0 && (pcut_rand(rnd) & 1) ? 1 : 2;
				if (fate[p / unit] == 2)
					res->lost++;
			}
			if (fate[p / unit] == 1) {
				if (q > kept_end)
					kept_end = q;
			} else if (revert(fd, &r, log + recs[i] + sizeof(r), p, q) < 0)
				goto done;
		}
	}
	/* the file keeps its synced size, or as far as a surviving piece goes */
	if (nrec > 0 && kept_end < st.st_size && ftruncate(fd, kept_end) < 0)
		goto done;
	if (ftruncate(lfd, 0) < 0)
		goto done;
	ret = 0;
done:
	if (ret < 0)
		fprintf(stderr, "pcut_apply %s: %s\n", path, strerror(errno));
	free(fate);
	free(recs);
	free(log);
	if (fd >= 0)
		close(fd);
	close(lfd);
	return ret;
}
