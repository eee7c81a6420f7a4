/*
 * utf8: the UTF-8 text checks every input path shares (JSON fields, form
 * fields, the domain's trimming); no allocation, no HTTP.
 */
#ifndef TASKMGR_UTF8_H
#define TASKMGR_UTF8_H

#include <stddef.h>

/* True when the n bytes are valid UTF-8 without NUL bytes. */
int	 utf8_valid(const char *, size_t);
/* Counts code points of valid UTF-8. */
size_t	 utf8_len(const char *, size_t);
/*
 * The n bytes of s without their leading and trailing whitespace, as
 * Python's str.strip() removes it (the Unicode White_Space characters of
 * str.isspace(): ASCII tab to CR, U+001C-001F, space, U+0085, U+00A0,
 * U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000): returns
 * where the rest starts, its length in *len.  Bytes that are not UTF-8
 * whitespace are kept.
 */
const char *utf8_strip(const char *s, size_t n, size_t *len);

#endif
