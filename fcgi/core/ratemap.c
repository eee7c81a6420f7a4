/* ratemap: rate-limit state shared by processes through one mapped file. */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ratemap.h"

#define RATEMAP_MAGIC	0x3170616d65746172ULL	/* "ratemap1" */

struct slot {
	uint64_t	 hash;	/* 0: never used */
	int64_t		 tat;	/* microseconds; <= now: holds nothing back */
};

struct header {
	uint64_t	 magic;	/* written last, once the rest is ready */
	uint64_t	 nslots;
	uint64_t	 seed;	/* the hash's secret */
	pthread_mutex_t	 mu;	/* process-shared, robust */
};

struct ratemap {
	struct header	*h;
	struct slot	*slots;
	size_t		 size;	/* bytes mapped */
};

#define MAP_BYTES (sizeof(struct header) + RATEMAP_SLOTS * sizeof(struct slot))

/* Sets up a new table in the mapped file (under the file's lock). */
static int
table_init(struct header *h, char *err, size_t errlen)
{
	pthread_mutexattr_t a;
	uint64_t seed = 0;

	memset(h, 0, MAP_BYTES);
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	if (pthread_mutexattr_init(&a) != 0 ||
	    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&h->mu, &a) != 0) {
		snprintf(err, errlen, "cannot make a shared mutex");
		return -1;
	}
	pthread_mutexattr_destroy(&a);
	h->nslots = RATEMAP_SLOTS;
	h->seed = seed | 1;
	__atomic_store_n(&h->magic, RATEMAP_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

struct ratemap *
ratemap_open(const char *path, char *err, size_t errlen)
{
	struct ratemap *m = NULL;
	struct stat st;
	void	*p = MAP_FAILED;
	int	 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* one process at a time sizes and initialises the file */
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* a table made with a looser mode: the owner's only, like the database */
	if ((st.st_mode & 077) != 0)
		(void)fchmod(fd, st.st_mode & 0700);
	if ((size_t)st.st_size != MAP_BYTES && ftruncate(fd, 0) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((size_t)st.st_size != MAP_BYTES && ftruncate(fd, (off_t)MAP_BYTES) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	if ((((struct header *)p)->magic != RATEMAP_MAGIC ||
	    ((struct header *)p)->nslots != RATEMAP_SLOTS) &&
	    table_init(p, err, errlen) < 0)
		goto fail;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->h = p;
	m->slots = (struct slot *)((char *)p + sizeof(struct header));
	m->size = MAP_BYTES;
	flock(fd, LOCK_UN);
	close(fd);
	return m;
fail:
	if (p != MAP_FAILED)
		munmap(p, MAP_BYTES);
	flock(fd, LOCK_UN);
	close(fd);
	return NULL;
}

void
ratemap_close(struct ratemap *m)
{
	if (m == NULL)
		return;
	munmap(m->h, m->size);
	free(m);
}

/* The key's keyed hash: FNV-1a over the secret and the key, then mixed. */
static uint64_t
key_hash(uint64_t seed, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	const unsigned char *k = (const unsigned char *)key;

	while (*k != '\0') {
		h ^= *k++;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h != 0 ? h : 1;
}

/* Takes the table's mutex; a holder that died leaves it consistent (slots are 16 bytes, written whole). */
static int
table_lock(struct header *h)
{
	int	 rc = pthread_mutex_lock(&h->mu);

	if (rc == EOWNERDEAD) {
		pthread_mutex_consistent(&h->mu);
		rc = 0;
	}
	return rc;
}

int
ratemap_take(struct ratemap *m, const char *key, int64_t now, int64_t t,
    int64_t tau, int64_t *tat)
{
	uint64_t hash = key_hash(m->h->seed, key);
	struct slot *s, *found = NULL, *free_slot = NULL, *soonest = NULL;
	size_t	 i, idx;
	int64_t	 cur;
	int	 ok;

	if (table_lock(m->h) != 0) {
		*tat = now;
		return 1;	/* a broken lock limits nobody rather than everybody */
	}
	for (i = 0; i < RATEMAP_PROBE; i++) {
		idx = (size_t)(hash + i) & (RATEMAP_SLOTS - 1);
		s = &m->slots[idx];
		if (s->hash == hash) {
			found = s;
			break;
		}
		if (free_slot == NULL && (s->hash == 0 || s->tat <= now))
			free_slot = s;
		if (soonest == NULL || s->tat < soonest->tat)
			soonest = s;
	}
	if (found == NULL) {
		found = free_slot != NULL ? free_slot : soonest;
		found->hash = hash;
		found->tat = now;
	}
	cur = found->tat > now ? found->tat : now;
	ok = cur - now <= tau;
	if (ok)
		found->tat = cur + t;
	*tat = found->tat;
	pthread_mutex_unlock(&m->h->mu);
	return ok;
}

int
ratemap_peek(struct ratemap *m, const char *key, int64_t now, int64_t tau,
    int64_t *tat)
{
	uint64_t hash = key_hash(m->h->seed, key);
	struct slot *s;
	size_t	 i;

	*tat = now;
	if (table_lock(m->h) != 0)
		return 1;	/* as ratemap_take: a broken lock limits nobody */
	for (i = 0; i < RATEMAP_PROBE; i++) {
		s = &m->slots[(size_t)(hash + i) & (RATEMAP_SLOTS - 1)];
		if (s->hash == hash) {
			*tat = s->tat;
			break;
		}
	}
	pthread_mutex_unlock(&m->h->mu);
	return (*tat > now ? *tat : now) - now <= tau;
}

size_t
ratemap_live(struct ratemap *m, int64_t now)
{
	size_t	 i, n = 0;

	if (table_lock(m->h) != 0)
		return 0;
	for (i = 0; i < RATEMAP_SLOTS; i++)
		if (m->slots[i].hash != 0 && m->slots[i].tat > now)
			n++;
	pthread_mutex_unlock(&m->h->mu);
	return n;
}

void
ratemap_test_lock_and_die(struct ratemap *m)
{
	(void)table_lock(m->h);
	for (;;)
		raise(SIGKILL);
}
