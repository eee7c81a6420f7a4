/*
 * tgtext: preparing text for Telegram's HTML parse mode: escaping and
 * splitting into messages of at most 4096 characters.
 */
#ifndef TASKMGR_TGTEXT_H
#define TASKMGR_TGTEXT_H

#include <stddef.h>

#include "buf.h"

/* Telegram's longest message text, in UTF-16 code units after parsing. */
#define TG_MSG_MAX 4096

/* Appends s (n bytes of UTF-8) with &, < and > escaped for parse_mode HTML. */
void	 tg_escape(struct buf *, const char *s, size_t n);
/*
 * The length in bytes of the first part of s (n bytes of valid UTF-8) when
 * it is cut into messages of at most max UTF-16 code units: never inside a
 * character, after the last newline of the part when there is one in its
 * second half.  n itself when the whole fits.
 */
size_t	 tg_split(const char *s, size_t n, size_t max);

#endif
