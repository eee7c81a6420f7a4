/* tgtext: escaping and splitting for Telegram messages. */
#include "tgtext.h"

void
tg_escape(struct buf *b, const char *s, size_t n)
{
	size_t	 i, start = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		default:
			continue;
		}
		buf_add(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, n - start);
}

/* The byte length of the UTF-8 sequence starting with c (1 for a stray byte). */
static size_t
seqlen(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

size_t
tg_split(const char *s, size_t n, size_t max)
{
	size_t	 i = 0, units = 0, k, nl = 0, half = 0;

	while (i < n) {
		k = seqlen((unsigned char)s[i]);
		if (k > n - i)
			k = n - i;
		/* characters beyond the BMP take two UTF-16 units */
		if (units + (k == 4 ? 2 : 1) > max)
			break;
		units += k == 4 ? 2 : 1;
		i += k;
		if (s[i - 1] == '\n')
			nl = i;
		if (units <= max / 2)
			half = i;
	}
	if (i >= n)
		return n;
	if (nl > half)
		return nl;
	return i > 0 ? i : seqlen((unsigned char)s[0]);
}
