/*
 * ical: iCalendar (RFC 5545) content lines written into a struct buf.
 * Every line ends with CRLF and is folded so that no physical line is
 * longer than 75 octets, never inside a UTF-8 sequence or an escape
 * (3.1); TEXT values are escaped (3.3.11: backslash, semicolon, comma,
 * newline as \n; other control characters but tab dropped).
 */
#ifndef TASKMGR_ICAL_H
#define TASKMGR_ICAL_H

#include <stdint.h>

#include "buf.h"

#define ICAL_FOLD	75	/* octets of a physical line, CRLF excluded */

/* NAME:value with value written as it is (it must hold no CR or LF). */
void	 ical_raw(struct buf *, const char *name, const char *value);
/* NAME:value with value escaped as TEXT. */
void	 ical_text(struct buf *, const char *name, const char *value);
/* NAME:YYYYMMDDTHHMMSSZ, a UTC date-time (microseconds dropped). */
void	 ical_utc(struct buf *, const char *name, int64_t us);
/* The value alone: YYYYMMDDTHHMMSSZ into out. */
#define ICAL_UTC_LEN	17	/* with the NUL */
void	 ical_utc_value(int64_t us, char out[ICAL_UTC_LEN]);

#endif
