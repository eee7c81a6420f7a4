/*
 * buf: a growable byte buffer, always NUL-terminated.
 *
 * A zeroed struct buf is an empty buffer; buf_free() releases its memory and
 * leaves it empty again.  Appends never fail silently: on allocation failure
 * or when the buffer would exceed BUF_MAX the buffer is marked failed
 * (b->oom = 1) and further appends are ignored, so callers check once at the
 * end instead of after every call.
 */
#ifndef TASKMGR_BUF_H
#define TASKMGR_BUF_H

#include <stddef.h>
#include <stdint.h>

#define BUF_MAX (64u * 1024u * 1024u)

struct buf {
	char	*p;	/* data, NUL-terminated when non-NULL */
	size_t	 len;	/* bytes used, excluding the NUL */
	size_t	 cap;	/* bytes allocated */
	int	 oom;	/* set once an append could not be done */
};

void	buf_free(struct buf *);
void	buf_reset(struct buf *);	/* len = 0, keeps the memory */
int	buf_reserve(struct buf *, size_t extra);
void	buf_add(struct buf *, const void *, size_t);
void	buf_puts(struct buf *, const char *);
void	buf_putc(struct buf *, char);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_int(struct buf *, int64_t);
/* v in decimal at o (at most INT64_DEC_MAX bytes, no NUL); returns the end. */
#define INT64_DEC_MAX	20
char	*int64_dec(char *o, int64_t v);

/* Escaping, one function per output context. */
void	buf_json_str(struct buf *, const char *, size_t); /* "quoted" JSON string */
void	buf_html(struct buf *, const char *, size_t);     /* HTML text and attribute */
void	buf_url(struct buf *, const char *, size_t);      /* URL query component */
/* The quoted JSON string of s[0..n) written at o, which has room for 6 * n + 2 bytes; returns the end. */
char	*json_escape_raw(char *o, const char *s, size_t n);
/* The same without SIMD instructions (what json_escape_raw does where there are none); for tests. */
char	*json_escape_raw_portable(char *o, const char *s, size_t n);

/*
 * Constant-time equality of two NUL-terminated strings; 1 when equal.  The
 * time depends only on the length of secret, the second argument.
 */
int	str_ct_equal(const char *given, const char *secret);

#endif
