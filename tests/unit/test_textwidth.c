/* Unit tests: terminal columns of UTF-8 text (the CLI's tables). */
#include "arena.h"
#include "tap.h"
#include "textwidth.h"

int
main(void)
{
	is_int(text_width(""), 0, "empty");
	is_int(text_width("alice"), 5, "ASCII: a column a byte");
	is_int(text_width("Иван"), 4, "Cyrillic: one column each (8 bytes)");
	is_int(text_width("Ωμέγα"), 5, "Greek");
	is_int(text_width("王小明"), 6, "CJK: two columns each (9 bytes)");
	is_int(text_width("すし"), 4, "kana");
	is_int(text_width("한국"), 4, "Hangul syllables");
	is_int(text_width("ＡＢ"), 4, "fullwidth forms");
	is_int(text_width("a\xF0\x9F\x98\x80" "b"), 4, "an emoji takes two");
	is_int(text_width("\xF0\xA0\x80\x80"), 2, "CJK extension B (4 bytes)");
	is_int(text_width("e\xCC\x81"), 1, "a combining accent takes none");
	is_int(text_width("a\xE2\x80\x8B" "b"), 2, "zero width space");
	is_int(text_width("\xFF" "a"), 2, "an invalid byte counts one");
	is_int(text_width("\xD0"), 1, "a sequence cut short counts one");
	is_int(text_width("\xC0\xAF"), 2, "an overlong form: two invalid bytes");
	is_int(text_width("\xED\xA0\x80"), 3, "a surrogate: three invalid bytes");
	is_int(cp_width(0x4E00), 2, "first CJK ideograph");
	is_int(cp_width(0x9FFF), 2, "last of the block");
	is_int(cp_width(0x0400), 1, "Cyrillic Ѐ");
	is_int(cp_width(0x0301), 0, "combining acute");
	is_int(cp_width(0x10FFFF), 1, "last code point");

	/* text_escape: what the CLI prints of a stored name */
	{
		struct arena a = { 0 };

		is_str(text_escape(&a, ""), "", "escape: empty");
		is_str(text_escape(&a, "alice Иван 王小明 a@b.c"), "alice Иван 王小明 a@b.c",
		    "escape: printable text as is");
		is_str(text_escape(&a, "ev\x1b[31mil\x1b]0;pwned\x07"),
		    "ev\\x1b[31mil\\x1b]0;pwned\\x07", "escape: ESC and BEL");
		is_str(text_escape(&a, "a\tb\nc\rd\x7f"), "a\\x09b\\x0ac\\x0dd\\x7f",
		    "escape: tab, newline, return, DEL");
		is_str(text_escape(&a, "x\xC2\x9B" "2J"), "x\\u009b2J", "escape: C1 CSI (U+009B)");
		is_str(text_escape(&a, "\xFF\xC0\xAF\xD0"), "\\xff\\xc0\\xaf\\xd0",
		    "escape: bytes that are not UTF-8");
		is_str(text_escape(&a, "a\\x1b"), "a\\\\x1b", "escape: a backslash is doubled");
		is_str(text_escape(&a, "\xC2\xA0\xE2\x80\x8B"), "\xC2\xA0\xE2\x80\x8B",
		    "escape: no-break and zero-width space are not control characters");
		is_int(text_width(text_escape(&a, "\x1b\x1b\x1b\x1b")), 16,
		    "escape: 4 columns each, as printed");
		arena_free(&a);
	}
	return tap_done();
}
