/* Unit tests: Telegram HTML escaping and splitting into 4096-unit messages. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "tgtext.h"

/* Cuts s into parts of at most max units and checks each cut lands on a character start. */
static int
parts(const char *s, size_t max, int *boundary_ok)
{
	size_t	 n = strlen(s), k;
	int	 count = 0;

	*boundary_ok = 1;
	while (n > 0) {
		k = tg_split(s, n, max);
		if (k == 0 || k > n)
			return -1;
		if (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
			*boundary_ok = 0;
		s += k;
		n -= k;
		count++;
	}
	return count;
}

int
main(void)
{
	struct buf b = { 0 };
	char	*big;
	size_t	 i;
	int	 bok;

	tg_escape(&b, "Задача <b>&amp; \"x\" 'y' >", strlen("Задача <b>&amp; \"x\" 'y' >"));
	is_str(b.p, "Задача &lt;b&gt;&amp;amp; \"x\" 'y' &gt;", "& < > escaped, quotes kept");
	buf_reset(&b);
	tg_escape(&b, "", 0);
	is_str(b.p ? b.p : "", "", "empty text");

	is_int(tg_split("hello", 5, 4096), 5, "a short text is one part");
	is_int(tg_split("abcdef", 6, 4), 4, "ASCII cut at max");
	/* Cyrillic letters are 2 bytes but 1 unit each */
	is_int(tg_split("абвгд", strlen("абвгд"), 3), 6, "3 Cyrillic letters = 6 bytes");
	/* an emoji is 4 bytes and 2 UTF-16 units */
	is_int(tg_split("a\xF0\x9F\x98\x80" "b", 6, 2), 1, "emoji does not fit in the remaining unit");
	is_int(tg_split("a\xF0\x9F\x98\x80" "b", 6, 3), 5, "emoji fits in 2 units");
	is_int(tg_split("abcdefg\nhijklmn", 15, 10), 8, "cut after a newline in the second half");
	is_int(tg_split("ab\ncdefghijklmn", 15, 10), 10, "a newline in the first half is not used");

	big = malloc(3 * 5000 + 1);
	for (i = 0; i < 5000; i++)
		memcpy(big + 3 * i, "\xE2\x82\xAC", 3);	/* euro sign, 3 bytes, 1 unit */
	big[3 * 5000] = '\0';
	is_int(parts(big, TG_MSG_MAX, &bok), 2, "5000 characters make 2 messages");
	ok(bok, "every cut is on a character boundary");
	is_int(tg_split(big, strlen(big), TG_MSG_MAX), 3 * 4096, "first message has 4096 characters");
	for (i = 0; i < 3 * 5000; i++)
		big[i] = 'x';
	is_int(parts(big, TG_MSG_MAX, &bok), 4, "15000 ASCII characters make 4 messages");
	free(big);
	buf_free(&b);
	return tap_done();
}
