/* sqlmem: SQLite's small blocks kept on free lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlmem.h"

#define GRAIN		32			/* the size classes' step */
#define SMALL_MAX	1024			/* the largest block kept */
#define CLASSES		(SMALL_MAX / GRAIN)
#define KEEP_MAX	(256 * 1024)		/* bytes kept per thread */

#if defined(__SANITIZE_ADDRESS__)
#define KEEP	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP	0
#endif
#endif
#ifndef KEEP
#define KEEP	1
#endif

/*
 * Each block is preceded by 8 bytes holding its usable size (SQLite asks
 * for it, and it names the block's class); malloc()'s alignment of 16 then
 * leaves the block aligned to 8, what SQLite requires.  A thread's lists
 * are its own: a block freed by another thread joins that thread's lists.
 */
static _Thread_local struct {
	void	*head[CLASSES];
	size_t	 kept;
} lists;

/* The usable size of a block asked for n bytes. */
static size_t
block_size(int n)
{
	size_t	 u = n > 0 ? (size_t)n : 1;

	if (u <= SMALL_MAX)
		return (u + GRAIN - 1) / GRAIN * GRAIN;
	return (u + 7) & ~(size_t)7;
}

static void *
sm_malloc(int n)
{
	size_t	 sz = block_size(n);
	uint64_t *h;
	void	*p;

	if (sz <= SMALL_MAX && (p = lists.head[sz / GRAIN - 1]) != NULL) {
		memcpy(&lists.head[sz / GRAIN - 1], p, sizeof(void *));
		lists.kept -= sz;
		return p;
	}
	if ((h = malloc(sz + 8)) == NULL)
		return NULL;
	h[0] = sz;
	return h + 1;
}

static void
sm_free(void *p)
{
	uint64_t *h;
	size_t	 sz;

	if (p == NULL)
		return;
	h = (uint64_t *)p - 1;
	sz = (size_t)h[0];
	if (KEEP && sz <= SMALL_MAX && lists.kept + sz <= KEEP_MAX) {
		memcpy(p, &lists.head[sz / GRAIN - 1], sizeof(void *));
		lists.head[sz / GRAIN - 1] = p;
		lists.kept += sz;
		return;
	}
	free(h);
}

static int
sm_size(void *p)
{
	return p != NULL ? (int)((uint64_t *)p)[-1] : 0;
}

static void *
sm_realloc(void *p, int n)
{
	size_t	 sz = block_size(n), old = (size_t)sm_size(p);
	uint64_t *h;
	void	*q;

	if (sz == old)
		return p;
	if (old > SMALL_MAX && sz > SMALL_MAX) {
		if ((h = realloc((uint64_t *)p - 1, sz + 8)) == NULL)
			return NULL;
		h[0] = sz;
		return h + 1;
	}
	if ((q = sm_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old < sz ? old : sz);
	sm_free(p);
	return q;
}

static int
sm_roundup(int n)
{
	return (int)block_size(n);
}

static int
sm_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void
sm_shutdown(void *arg)
{
	(void)arg;
}

int
sqlmem_install(void)
{
	static const sqlite3_mem_methods m = {
		sm_malloc, sm_free, sm_realloc, sm_size, sm_roundup, sm_init,
		sm_shutdown, NULL,
	};

	return sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
}
