/* Unit tests: iCalendar content lines (folding at 75 octets, TEXT escapes, UTC times). */
#include <stdio.h>
#include <string.h>

#include "ical.h"
#include "tap.h"

/* 1 when every physical line of b ends with CRLF, is at most 75 octets and
 * starts (after the first) with no UTF-8 continuation byte. */
static int
well_folded(const struct buf *b)
{
	size_t	 i = 0, start = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\n' && (i == 0 || b->p[i - 1] != '\r'))
			return 0;
		if (b->p[i] != '\r')
			continue;
		if (i + 1 >= b->len || b->p[i + 1] != '\n' || i - start > ICAL_FOLD)
			return 0;
		start = i + 2;
		/* a continuation line: the space, then never the middle of a sequence */
		if (start + 1 < b->len && b->p[start] == ' ' &&
		    ((unsigned char)b->p[start + 1] & 0xc0) == 0x80)
			return 0;
	}
	return start == b->len;
}

/* b without the folds (CRLF + space removed), NUL-terminated in out. */
static void
unfold(const struct buf *b, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	for (i = 0; i < b->len && o + 1 < outlen; i++) {
		if (b->p[i] == '\r' && i + 2 < b->len && b->p[i + 1] == '\n' && b->p[i + 2] == ' ') {
			i += 2;
			continue;
		}
		out[o++] = b->p[i];
	}
	out[o] = '\0';
}

int
main(void)
{
	struct buf b = { 0 };
	char	 s[1024], u[2048];
	size_t	 i;

	ical_raw(&b, "VERSION", "2.0");
	is_str(b.p, "VERSION:2.0\r\n", "a short line");
	buf_reset(&b);
	ical_text(&b, "SUMMARY", "a,b;c\\d\ne\r\nf\001g");
	is_str(b.p, "SUMMARY:a\\,b\\;c\\\\d\\ne\\nf" "g\r\n", "TEXT escapes; CR and controls dropped");
	buf_reset(&b);
	/* "SUMMARY:" and 67 octets: 75, exactly one physical line */
	memset(s, 'x', 67);
	s[67] = '\0';
	ical_text(&b, "SUMMARY", s);
	ok(b.len == 77 && memchr(b.p, ' ', b.len) == NULL, "75 octets are not folded");
	buf_reset(&b);
	s[67] = 'y';
	s[68] = '\0';
	ical_text(&b, "SUMMARY", s);
	ok(well_folded(&b) && strstr(b.p, "\r\n y\r\n") != NULL, "76 octets: folded before the 76th");
	/* two-, three- and four-octet sequences at every offset around the fold */
	for (i = 0; i < 8; i++) {
		size_t	 n = 0, k;

		buf_reset(&b);
		memset(s, 'a', i);
		n = i;
		for (k = 0; k < 40; k++) {
			memcpy(s + n, k % 3 == 0 ? "\xc3\xa9" : k % 3 == 1 ? "\xe2\x82\xac" :
			    "\xf0\x9f\x98\x80", k % 3 + 2);
			n += k % 3 + 2;
		}
		s[n] = '\0';
		ical_text(&b, "DESCRIPTION", s);
		ok(well_folded(&b), "UTF-8 never split (offset %zu)", i);
		unfold(&b, u, sizeof(u));
		ok(strncmp(u, "DESCRIPTION:", 12) == 0 && strncmp(u + 12, s, n) == 0 &&
		    strcmp(u + 12 + n, "\r\n") == 0, "unfolds to the value (offset %zu)", i);
	}
	/* an escape is never cut in two */
	buf_reset(&b);
	memset(s, 'x', 65);
	strcpy(s + 65, ",,,,");
	ical_text(&b, "SUMMARY", s);
	ok(well_folded(&b) && strstr(b.p, "\\\r\n ,") == NULL, "escapes stay whole");
	buf_reset(&b);
	ical_utc(&b, "DTSTART", INT64_C(1893456000123456));
	is_str(b.p, "DTSTART:20300101T000000Z\r\n", "UTC date-time, microseconds dropped");
	buf_free(&b);
	return tap_done();
}
