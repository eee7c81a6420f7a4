/*
 * page: limit/offset pagination in DRF's shape,
 * {"count": N, "next": url|null, "previous": url|null, "results": [...]},
 * with absolute next/previous URLs that keep the other query parameters.
 */
#ifndef TASKMGR_PAGE_H
#define TASKMGR_PAGE_H

#include <stdint.h>

struct buf;
struct req;

struct page {
	int64_t	 limit;
	int64_t	 offset;
};

/*
 * Reads ?limit= (default page_size, capped at max_page_size; 0 means the
 * default, as in DRF) and ?offset= (default 0).  Returns 0, or 400 with the
 * body set when either is negative or not a number.
 */
int	 page_read(struct req *, struct page *);
/* Writes the page's head up to and including "results":[ into r->body_out. */
void	 page_begin(struct req *, const struct page *, int64_t count);
/* Closes the results array and the object. */
void	 page_end(struct req *);
/* Appends the absolute URL of this request's path with limit and offset set
 * (offset < 0: without offset) and every other query parameter kept. */
void	 page_url(struct req *, int64_t limit, int64_t offset);

/*
 * Appends the site's absolute base, scheme://host[:port]: public_url when
 * set, else from the request (HTTPS, HTTP_HOST, SERVER_PORT unless default).
 */
void	 page_base_url(struct req *, struct buf *);

#endif
