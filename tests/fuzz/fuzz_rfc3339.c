/*
 * fuzz_rfc3339: RFC 3339 parsing.  The first byte picks the time zone
 * offset-less input is read in, the rest is the text.  Whatever parses must
 * format and parse back to the same instant when it lies within years
 * 0001-9999, and the formatted text must itself be RFC 3339.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "timeutil.h"
#include "tz.h"

static const char *const zones[] = {
	"UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu",
	"Australia/Lord_Howe", "Pacific/Kiritimati",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tz *zone;
	char	*s, out[RFC3339_LEN];
	int64_t	 us, back;
	int	 z;

	if (size < 1)
		return 0;
	z = data[0] % (int)(sizeof(zones) / sizeof(zones[0]));
	zone = tz_get(zones[z]);
	data++;
	size--;
	/* an exact-size copy, no NUL: the parser must honour the length */
	if ((s = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	if (rfc3339_parse_in(s, size, zone, &us) == 0) {
		rfc3339_format(us, out);
		FUZZ_ASSERT(strlen(out) == RFC3339_LEN - 1);
		FUZZ_ASSERT(rfc3339_parse(out, strlen(out), &back) == 0);
		/* years 0001..9999 round-trip exactly; beyond them the format clamps */
		if (us > -62135596800000000LL && us < 253402300800000000LL)
			FUZZ_ASSERT(back == us);
	}
	free(s);
	return 0;
}
