/* Unit tests: the rules of a user's time settings (domain/user_settings.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "user_settings.h"

int
main(void)
{
	int	 o[USER_MAX_OFFSETS];
	char	 hm[6];

	is_int(user_offsets_parse(NULL, o), 1, "NULL is the default");
	is_int(o[0], 60, "[60]");
	is_int(user_offsets_parse("[]", o), 0, "[] is none");
	is_int(user_offsets_parse("[15,1440]", o), 2, "two");
	ok(o[0] == 15 && o[1] == 1440, "in order");
	is_int(user_offsets_parse("[ 1, 2 ]", o), 2, "spaces");
	is_int(user_offsets_parse("[1,2,3,4,5,6]", o), -1, "six refused");
	is_int(user_offsets_parse("[0]", o), -1, "0 refused");
	is_int(user_offsets_parse("[525601]", o), -1, "over a year refused");
	is_int(user_offsets_parse("[99999999999999999999]", o), -1, "no overflow");
	is_int(user_offsets_parse("[1,]", o), -1, "trailing comma");
	is_int(user_offsets_parse("[1]x", o), -1, "trailing text");
	is_int(user_offsets_parse("", o), -1, "empty text");
	is_int(user_offsets_parse("[-1]", o), -1, "negative");

	/* the check of a list of offsets is rem_offsets_check: tests/unit/test_reminders.c */
	is_int(user_digest_parse("00:00"), 0, "midnight");
	is_int(user_digest_parse("23:59"), 23 * 60 + 59, "23:59");
	is_int(user_digest_parse("08:30"), 510, "08:30");
	is_int(user_digest_parse("24:00"), -1, "24:00");
	is_int(user_digest_parse("9:00"), -1, "one hour digit");
	is_int(user_digest_parse("09:60"), -1, "60 minutes");
	is_int(user_digest_parse("09:00:00"), -1, "seconds");
	is_int(user_digest_parse(NULL), -1, "NULL");
	user_digest_format(510, hm);
	is_str(hm, "08:30", "format");
	user_digest_format(0, hm);
	is_str(hm, "00:00", "format midnight");
	return tap_done();
}
