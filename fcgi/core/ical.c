/* ical: folded, escaped iCalendar content lines. */
#include <string.h>
#include <time.h>

#include "ical.h"

struct fold {
	struct buf	*b;
	size_t		 col;	/* octets on the current physical line */
};

/* Appends one unit (a character or an escape) of n octets, folding before it if needed. */
static void
put_unit(struct fold *f, const char *s, size_t n)
{
	if (f->col + n > ICAL_FOLD) {
		buf_add(f->b, "\r\n ", 3);
		f->col = 1;
	}
	buf_add(f->b, s, n);
	f->col += n;
}

/* The octets of the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c <= 0xf7)
		return 4;
	if (c >= 0xe0)
		return c <= 0xef ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Appends s unit by unit; esc: as TEXT. */
static void
put_value(struct fold *f, const char *s, int esc)
{
	size_t	 n, i;

	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;

		if (esc && (c == '\\' || c == ';' || c == ',')) {
			char	 e[2] = { '\\', (char)c };

			put_unit(f, e, 2);
			s++;
			continue;
		}
		if (esc && c == '\n') {
			put_unit(f, "\\n", 2);
			s++;
			continue;
		}
		if (c < 0x20 && c != '\t') {
			s++;	/* CR (of CRLF) and other controls: not allowed in TEXT */
			continue;
		}
		if (c == 0x7f) {
			s++;
			continue;
		}
		n = utf8_len(c);
		for (i = 1; i < n; i++)
			if (s[i] == '\0')
				break;
		put_unit(f, s, i);
		s += i;
	}
}

/* Writes NAME:value and the CRLF. */
static void
put_line(struct buf *b, const char *name, const char *value, int esc)
{
	struct fold f = { b, 0 };

	put_value(&f, name, 0);
	put_unit(&f, ":", 1);
	put_value(&f, value, esc);
	buf_add(b, "\r\n", 2);
}

void
ical_raw(struct buf *b, const char *name, const char *value)
{
	put_line(b, name, value, 0);
}

void
ical_text(struct buf *b, const char *name, const char *value)
{
	put_line(b, name, value, 1);
}

void
ical_utc_value(int64_t us, char out[ICAL_UTC_LEN])
{
	time_t	 t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0 ||
	    strftime(out, ICAL_UTC_LEN, "%Y%m%dT%H%M%SZ", &tm) == 0)
		strcpy(out, "19700101T000000Z");
}

void
ical_utc(struct buf *b, const char *name, int64_t us)
{
	char	 v[ICAL_UTC_LEN];

	ical_utc_value(us, v);
	put_line(b, name, v, 0);
}
