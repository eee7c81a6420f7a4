/*
 * fuzz_config: the configuration file parser.  The input is the file's
 * text; config_load_text parses it exactly as config_load parses a file.
 * Checks that an accepted configuration satisfies the documented bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char	 err[512];

	err[0] = '\0';
	if (config_load_text(&c, "fuzz.conf", (const char *)data, size,
	    err, sizeof(err)) == 0) {
		FUZZ_ASSERT(c.database != NULL && c.database[0] != '\0');
		FUZZ_ASSERT(c.page_size >= 1 && c.page_size <= c.max_page_size);
		FUZZ_ASSERT(c.max_body >= 1024);
		FUZZ_ASSERT(c.log_level_n >= 0 && c.log_level_n <= 3);
		FUZZ_ASSERT(c.admin_prefix[0] == '/');
	} else
		FUZZ_ASSERT(err[0] != '\0' && strlen(err) < sizeof(err));
	config_free(&c);
	return 0;
}
