/* textwidth: terminal columns of UTF-8 text, from a fixed table. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "textwidth.h"

struct range {
	uint32_t	 lo, hi;
};

/* Combining marks and zero-width characters: no column of their own. */
static const struct range zero[] = {
	{ 0x0300, 0x036F },	/* combining diacritical marks */
	{ 0x0483, 0x0489 },	/* Cyrillic combining marks */
	{ 0x0591, 0x05BD },	/* Hebrew points */
	{ 0x0610, 0x061A }, { 0x064B, 0x065F }, { 0x0670, 0x0670 },	/* Arabic */
	{ 0x1AB0, 0x1AFF },	/* combining diacritical marks extended */
	{ 0x1DC0, 0x1DFF },	/* combining diacritical marks supplement */
	{ 0x200B, 0x200F },	/* zero width space, joiners, direction marks */
	{ 0x2060, 0x2064 },	/* word joiner, invisible operators */
	{ 0x20D0, 0x20FF },	/* combining marks for symbols */
	{ 0xFE00, 0xFE0F },	/* variation selectors */
	{ 0xFE20, 0xFE2F },	/* combining half marks */
	{ 0xFEFF, 0xFEFF },	/* zero width no-break space */
	{ 0xE0100, 0xE01EF },	/* variation selectors supplement */
};

/* East Asian wide and fullwidth characters: two columns. */
static const struct range wide[] = {
	{ 0x1100, 0x115F },	/* Hangul Jamo leading consonants */
	{ 0x231A, 0x231B }, { 0x2329, 0x232A },	/* watch, hourglass; angle brackets */
	{ 0x2E80, 0x303E },	/* CJK radicals, Kangxi, CJK symbols and punctuation */
	{ 0x3041, 0x33FF },	/* kana, Bopomofo, Hangul compatibility Jamo, CJK compatibility */
	{ 0x3400, 0x4DBF },	/* CJK extension A */
	{ 0x4E00, 0x9FFF },	/* CJK unified ideographs */
	{ 0xA000, 0xA4CF },	/* Yi */
	{ 0xA960, 0xA97F },	/* Hangul Jamo extended A */
	{ 0xAC00, 0xD7A3 },	/* Hangul syllables */
	{ 0xF900, 0xFAFF },	/* CJK compatibility ideographs */
	{ 0xFE10, 0xFE19 },	/* vertical forms */
	{ 0xFE30, 0xFE6F },	/* CJK compatibility forms, small form variants */
	{ 0xFF00, 0xFF60 },	/* fullwidth forms */
	{ 0xFFE0, 0xFFE6 },	/* fullwidth signs */
	{ 0x1F300, 0x1F64F },	/* pictographs, emoticons */
	{ 0x1F900, 0x1F9FF },	/* supplemental symbols and pictographs */
	{ 0x20000, 0x2FFFD },	/* CJK extensions B to F */
	{ 0x30000, 0x3FFFD },	/* CJK extension G and later */
};

/* True when cp lies in one of the n sorted ranges r. */
static int
in_ranges(const struct range *r, size_t n, uint32_t cp)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
cp_width(uint32_t cp)
{
	if (in_ranges(zero, sizeof(zero) / sizeof(zero[0]), cp))
		return 0;
	if (in_ranges(wide, sizeof(wide) / sizeof(wide[0]), cp))
		return 2;
	return 1;
}

/*
 * Decodes the code point at s (at least one byte before the NUL) into *cp
 * and returns its length in bytes; 0 for a byte that starts no valid
 * sequence (overlong, surrogate, past U+10FFFF, cut short).
 */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t	 n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	*cp = c;
	return n;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 w = 0, n;
	uint32_t cp;

	while (*p != '\0') {
		if ((n = utf8_decode(p, &cp)) == 0) {
			w++;
			p++;
			continue;
		}
		w += (size_t)cp_width(cp);
		p += n;
	}
	return w;
}

/* Writes prefix and c (a byte) in two hex digits at o; the next free byte. */
static char *
put_hex(char *o, const char *prefix, unsigned c)
{
	static const char hex[] = "0123456789abcdef";

	while (*prefix != '\0')
		*o++ = *prefix++;
	*o++ = hex[(c >> 4) & 0xF];
	*o++ = hex[c & 0xF];
	return o;
}

char *
text_escape(struct arena *a, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 len = strlen(s), n;
	uint32_t cp;
	char	*out, *o;

	/* a byte takes at most 4 (\x1b); a C1 character's 2 take 6 (\u009b) */
	if (len > (SIZE_MAX - 1) / 4 || (out = arena_alloc(a, len * 4 + 1)) == NULL)
		return NULL;
	for (o = out; *p != '\0'; p += n) {
		if ((n = utf8_decode(p, &cp)) == 0) {
			o = put_hex(o, "\\x", *p);
			n = 1;
		} else if (cp < 0x20 || cp == 0x7F)
			o = put_hex(o, "\\x", cp);
		else if (cp >= 0x80 && cp <= 0x9F)
			o = put_hex(o, "\\u00", cp);
		else if (cp == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else {
			memcpy(o, p, n);
			o += n;
		}
	}
	*o = '\0';
	return out;
}
