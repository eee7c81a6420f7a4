/* buf: growable byte buffer and the escaping functions of each output context. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Makes room for extra more bytes plus the NUL; 0 on success, -1 (and oom) on failure. */
int
buf_reserve(struct buf *b, size_t extra)
{
	size_t	 need, ncap;
	char	*np;

	if (b->oom)
		return -1;
	if (extra > BUF_MAX || b->len > BUF_MAX - extra) {
		b->oom = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void
buf_add(struct buf *b, const void *s, size_t n)
{
	/* the common case, room already there, without the call */
	if (b->oom || n >= b->cap || b->len + n + 1 > b->cap) {
		if (buf_reserve(b, n) < 0)
			return;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	if (b->oom || b->len + 2 > b->cap) {
		if (buf_reserve(b, 1) < 0)
			return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The two decimal digits of each number from 0 to 99. */
static const char dec2[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/*
 * The digits are written from the end, two at a time, with 32-bit
 * arithmetic below 2^32 (ids, counts); their number is found by
 * comparisons rather than divisions.
 */
char *
int64_dec(char *o, int64_t v)
{
	static const uint64_t pow10[] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
		10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
		100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL,
		10000000000000000000ULL
	};
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint32_t w, t;
	size_t	 n = 1;
	char	*p;

	if (v < 0)
		*o++ = '-';
	while (n < 20 && u >= pow10[n])
		n++;
	p = o + n;
	while (u > UINT32_MAX) {
		t = (uint32_t)(u % 100);
		u /= 100;
		p -= 2;
		memcpy(p, dec2 + 2 * t, 2);
	}
	w = (uint32_t)u;
	while (w >= 100) {
		t = w % 100;
		w /= 100;
		p -= 2;
		memcpy(p, dec2 + 2 * t, 2);
	}
	if (w >= 10)
		memcpy(p - 2, dec2 + 2 * w, 2);
	else
		p[-1] = (char)('0' + w);
	return o + n;
}

void
buf_int(struct buf *b, int64_t v)
{
	char	 tmp[INT64_DEC_MAX];

	buf_add(b, tmp, (size_t)(int64_dec(tmp, v) - tmp));
}

/* Byte c goes into a JSON string as it is. */
#define JSON_PLAIN(c)	((c) >= 0x20 && (c) != '"' && (c) != '\\' && (c) != 0x7f)

/*
 * Nonzero when one of the 8 bytes of w must be escaped (JSON_PLAIN fails):
 * a byte below 0x20, or equal to '"', '\\' or 0x7f.  The high bit of each
 * byte of the result says it of that byte alone: the tests run on the low
 * 7 bits of each byte, where no sum carries into the next byte (x + 0x60
 * reaches 0x80 when x >= 0x20, (x ^ c) + 0x7f when x != c, x + 1 when
 * x == 0x7f), and bytes with the high bit set (UTF-8) are plain.
 */
static inline uint64_t
json_special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	uint64_t x = w & low7;
	uint64_t ge20 = x + ones * 0x60, nq = (x ^ ones * '"') + low7;
	uint64_t nbs = (x ^ ones * '\\') + low7, del = x + ones;

	return (~(ge20 & nq & nbs) | del) & ~w & (ones << 7);
}

/* The end of the run of plain bytes of u[0..n) that starts at i. */
static size_t
json_plain_run(const unsigned char *u, size_t i, size_t n)
{
	uint64_t w;

	while (i + 8 <= n) {
		memcpy(&w, u + i, 8);
		if (json_special8(w))
			break;
		i += 8;
	}
	while (i < n && JSON_PLAIN(u[i]))
		i++;
	return i;
}

/* The escape of byte c (one that is not JSON_PLAIN) at o; returns the end. */
static char *
json_escape_byte(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '\\';
	switch (c) {
	case '"':  *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '\n': *o++ = 'n'; break;
	case '\r': *o++ = 'r'; break;
	case '\t': *o++ = 't'; break;
	default:
		*o++ = 'u';
		*o++ = '0';
		*o++ = '0';
		*o++ = hex[c >> 4];
		*o++ = hex[c & 15];
	}
	return o;
}

/*
 * The rest of the quoted JSON string of u[0..n) from u[i] (the bytes
 * before i are plain and written, o is past them), and its closing quote.
 *
 * Plain text goes 8 bytes at a time, each word stored whole before it is
 * known to be plain (o has room for 6 * n + 2 bytes, so a word never
 * reaches past it; a word found to need escapes is written again from its
 * first such byte).  The last bytes of a string of 8 or more are tested
 * as the string's last word, overlapping bytes already written: when all
 * 8 are plain, the ones written before were copied as they are, and the
 * word is stored over them.  Shorter strings, and any word with a byte to
 * escape, go byte by byte up to the next word.
 */
static char *
escape_from(char *o, const unsigned char *u, size_t i, size_t n)
{
	size_t	 stop;
	uint64_t w;
	unsigned char c;

	for (;;) {
		while (i + 8 <= n) {
			memcpy(&w, u + i, 8);
			memcpy(o, &w, 8);
			if (json_special8(w))
				break;
			o += 8;
			i += 8;
		}
		if (i + 8 > n && n >= 8 && i < n) {
			memcpy(&w, u + n - 8, 8);
			if (!json_special8(w)) {
				memcpy(o - (8 - (n - i)), &w, 8);
				o += n - i;
				break;
			}
		}
		if (i == n)
			break;
		/* byte by byte to the end of this word */
		stop = i + 8 < n ? i + 8 : n;
		for (; i < stop; i++) {
			c = u[i];
			if (JSON_PLAIN(c))
				*o++ = (char)c;
			else
				o = json_escape_byte(o, c);
		}
	}
	*o++ = '"';
	return o;
}

/* A string of 4 to 7 bytes with nothing to escape, as its first and last 4 (overlapping); NULL otherwise. */
static char *
plain_short(char *o, const unsigned char *u, size_t n)
{
	uint32_t lo, hi;

	memcpy(&lo, u, 4);
	memcpy(&hi, u + n - 4, 4);
	if (json_special8((uint64_t)lo | (uint64_t)hi << 32))
		return NULL;
	memcpy(o, &lo, 4);
	memcpy(o + n - 4, &hi, 4);
	o += n;
	*o++ = '"';
	return o;
}

char *
json_escape_raw_portable(char *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char	*e;

	*o++ = '"';
	if (n >= 4 && n < 8 && (e = plain_short(o, u, n)) != NULL)
		return e;
	return escape_from(o, u, 0, n);
}

#if defined(__SSE2__)
/* Bit i set when byte i of v must be escaped (JSON_PLAIN fails). */
static inline unsigned
json_special16(__m128i v)
{
	__m128i	 ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
	__m128i	 q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
	__m128i	 bs = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
	__m128i	 del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ctl, q),
	    _mm_or_si128(bs, del)));
}
#endif

/*
 * With SSE2, plain text goes 16 bytes at a time the way escape_from()
 * takes 8 (each block stored whole, the last 16 bytes as an overlapping
 * block), and a string of 8 to 15 bytes is tested as one block of its
 * first and last 8; the first block with a byte to escape hands the rest
 * to escape_from().
 */
char *
json_escape_raw(char *o, const char *s, size_t n)
{
#if defined(__SSE2__)
	const unsigned char *u = (const unsigned char *)s;
	size_t	 i = 0;
	__m128i	 v, lo, hi;
	char	*e;

	*o++ = '"';
	if (n >= 16) {
		while (i + 16 <= n) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (json_special16(v))
				return escape_from(o, u, i, n);
			o += 16;
			i += 16;
		}
		if (i == n) {
			*o++ = '"';
			return o;
		}
		v = _mm_loadu_si128((const __m128i *)(const void *)(u + n - 16));
		if (!json_special16(v)) {
			_mm_storeu_si128((__m128i *)(void *)(o - (16 - (n - i))), v);
			o += n - i;
			*o++ = '"';
			return o;
		}
		return escape_from(o, u, i, n);
	}
	if (n >= 8) {
		lo = _mm_loadl_epi64((const __m128i *)(const void *)u);
		hi = _mm_loadl_epi64((const __m128i *)(const void *)(u + n - 8));
		if (!json_special16(_mm_unpacklo_epi64(lo, hi))) {
			_mm_storel_epi64((__m128i *)(void *)o, lo);
			_mm_storel_epi64((__m128i *)(void *)(o + n - 8), hi);
			o += n;
			*o++ = '"';
			return o;
		}
	} else if (n >= 4 && (e = plain_short(o, u, n)) != NULL)
		return e;
	return escape_from(o, u, 0, n);
#else
	return json_escape_raw_portable(o, s, n);
#endif
}

/*
 * Writes straight into the buffer: room for the plain case (n bytes and
 * the quotes) is made once, and each escape makes room for itself and
 * what is left.
 */
void
buf_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t	 i = 0, start;
	char	*o;
	unsigned char c;

	if (buf_reserve(b, n + 2) < 0)
		return;
	b->p[b->len++] = '"';
	for (;;) {
		start = i;
		i = json_plain_run(u, i, n);
		memcpy(b->p + b->len, s + start, i - start);
		b->len += i - start;
		if (i == n)
			break;
		c = u[i++];
		/* the escape (at most 6 bytes), the rest of s and the closing quote */
		if (buf_reserve(b, 6 + (n - i) + 1) < 0)
			return;
		o = b->p + b->len;
		o[0] = '\\';
		switch (c) {
		case '"':  o[1] = '"'; b->len += 2; break;
		case '\\': o[1] = '\\'; b->len += 2; break;
		case '\n': o[1] = 'n'; b->len += 2; break;
		case '\r': o[1] = 'r'; b->len += 2; break;
		case '\t': o[1] = 't'; b->len += 2; break;
		default:
			o[1] = 'u';
			o[2] = '0';
			o[3] = '0';
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			b->len += 6;
		}
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

void
buf_html(struct buf *b, const char *s, size_t n)
{
	size_t	 i, run = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':  rep = "&amp;"; break;
		case '<':  rep = "&lt;"; break;
		case '>':  rep = "&gt;"; break;
		case '"':  rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(b, s + run, i - run);
		buf_puts(b, rep);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

void
buf_url(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			buf_putc(b, (char)c);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

int
str_ct_equal(const char *given, const char *secret)
{
	size_t	 lg = strlen(given), ls = strlen(secret), i;
	unsigned char d = lg != ls;

	for (i = 0; i < ls; i++)
		d |= (unsigned char)(given[i < lg ? i : 0] ^ secret[i]);
	return d == 0;
}
