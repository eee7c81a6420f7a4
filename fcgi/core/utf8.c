/* utf8: validation, length and Python-style strip of UTF-8 text. */
#include <stddef.h>

#include "utf8.h"

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	unsigned int cp;
	int	 k;

	while (p < e) {
		if (*p == 0)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			k = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			k = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			k = 3;
			cp = *p & 0x07;
		} else
			return 0;
		if (e - p <= k)
			return 0;
		for (int i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

size_t
utf8_len(const char *s, size_t n)
{
	size_t	 i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/*
 * The byte length of the whitespace character that s[0..n) starts with, 0
 * when it starts with none.  Whitespace is what Python's str.isspace()
 * (and so str.strip(), DRF's and Django's trimming) counts: U+0009-000D,
 * U+001C-0020, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F,
 * U+205F and U+3000 -- not U+200B or U+FEFF, which are not spaces.
 */
static size_t
space_len(const unsigned char *p, size_t n)
{
	if (n >= 1 && ((p[0] >= 0x09 && p[0] <= 0x0d) || (p[0] >= 0x1c && p[0] <= 0x20)))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (p[0] == 0xe2 && p[1] == 0x80)	/* U+2000-200A, U+2028, U+2029, U+202F */
		return (p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 ||
		    p[2] == 0xaf ? 3 : 0;
	if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||	/* U+1680 */
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||	/* U+205F */
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))	/* U+3000 */
		return 3;
	return 0;
}

const char *
utf8_strip(const char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 k, i = 0;

	while (i < n && (k = space_len(p + i, n - i)) > 0)
		i += k;
	while (n > i) {
		/* the last character is 1, 2 or 3 bytes long (those are the spaces) */
		for (k = 1; k <= 3 && k <= n - i; k++)
			if (space_len(p + n - k, k) == k)
				break;
		if (k > 3 || k > n - i)
			break;
		n -= k;
	}
	*len = n - i;
	return s + i;
}
