/*
 * fuzz_query: query-string decoding.  The input is a raw query string (and,
 * with its NUL bytes, raw bytes for req_url_decode).  Checks that a decoded
 * value is never longer than its source and that keys hold no NUL byte.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "request.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req r;
	char	*qs, *dec;
	size_t	 i, outlen;

	memset(&r, 0, sizeof(r));
	r.arena.limit = 4 * 1024 * 1024;

	/* raw bytes, both plus modes; exact-size copy so overreads are caught */
	if ((qs = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(qs, data, size);
	for (i = 0; i < 2; i++) {
		dec = req_url_decode(&r.arena, qs, size, (int)i, &outlen);
		if (dec != NULL) {
			FUZZ_ASSERT(outlen <= size);
			FUZZ_ASSERT(dec[outlen] == '\0');
		}
	}
	free(qs);

	if ((qs = malloc(size + 1)) == NULL) {
		req_free(&r);
		return 0;
	}
	memcpy(qs, data, size);
	qs[size] = '\0';
	if (req_parse_query(&r, qs) == 0) {
		FUZZ_ASSERT(r.nparams <= REQ_MAX_PARAMS);
		for (i = 0; i < r.nparams; i++) {
			FUZZ_ASSERT(r.params[i].key != NULL && r.params[i].val != NULL);
			FUZZ_ASSERT(r.params[i].vlen <= strlen(qs));
			FUZZ_ASSERT(r.params[i].val[r.params[i].vlen] == '\0');
			FUZZ_ASSERT(req_param(&r, r.params[i].key) != NULL);
		}
	}
	free(qs);
	req_free(&r);
	return 0;
}
