/* Unit tests: terminal columns of UTF-8 text (the CLI's tables). */
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
	return tap_done();
}
