/*
 * arena: a per-request bump allocator.  Everything a request allocates with
 * arena_alloc() is released at once by arena_reset() at the bottom of the
 * accept loop; the first block is kept for the next request.
 */
#ifndef TASKMGR_ARENA_H
#define TASKMGR_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;	/* newest block */
	size_t		 total;	/* bytes handed out since the last reset */
	size_t		 limit;	/* arena_alloc fails past this many bytes */
};

/* Returns n bytes aligned for any type, or NULL when out of memory or past the limit. */
void	*arena_alloc(struct arena *, size_t n);
/* Copies n bytes and a NUL; NULL on failure. */
char	*arena_strndup(struct arena *, const char *, size_t n);
char	*arena_strdup(struct arena *, const char *);
/* Frees every block but the first and makes the arena empty. */
void	 arena_reset(struct arena *);
/* Frees everything. */
void	 arena_free(struct arena *);

#endif
