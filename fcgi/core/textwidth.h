/*
 * textwidth: how many terminal columns a UTF-8 string takes, for tables
 * printed by the CLI.  A fixed table, so the answer does not depend on the
 * locales installed on the machine: East Asian wide and fullwidth
 * characters (CJK, Hangul, kana, fullwidth forms, emoji) take 2 columns,
 * combining marks and zero-width characters 0, every other character 1
 * (Latin, Cyrillic, Greek...).  An invalid byte counts as 1 column.
 */
#ifndef TASKMGR_TEXTWIDTH_H
#define TASKMGR_TEXTWIDTH_H

#include <stddef.h>
#include <stdint.h>

struct arena;

/* The columns of one code point: 0, 1 or 2. */
int	 cp_width(uint32_t cp);
/* The columns of the NUL-terminated UTF-8 string s. */
size_t	 text_width(const char *s);
/*
 * s as a terminal may show it, copied into a: control characters (C0, DEL
 * and C1) and bytes that are not UTF-8 written as escapes ("\x1b",
 * "\u009b", "\xff"), the backslash as "\\", every other character as is;
 * so a stored name cannot move the cursor, recolour or retitle the
 * terminal.  NULL when a is out of memory.
 */
char	*text_escape(struct arena *, const char *s);

#endif
