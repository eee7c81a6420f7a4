/*
 * fuzz_cookie: the Cookie header.  Splits the input (up to its first NUL
 * byte, as a FastCGI param would be) into cookies and checks every name is
 * non-empty, found again by req_cookie, and no longer than the header.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "request.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req r;
	char	*hdr;
	size_t	 i, n;

	if ((hdr = malloc(size + 1)) == NULL)
		return 0;
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	n = strlen(hdr);
	memset(&r, 0, sizeof(r));
	r.arena.limit = 4 * 1024 * 1024;
	req_parse_cookies(&r, hdr);
	FUZZ_ASSERT(r.ncookies <= REQ_MAX_COOKIES);
	for (i = 0; i < r.ncookies; i++) {
		FUZZ_ASSERT(r.cookies[i].key[0] != '\0');
		FUZZ_ASSERT(strlen(r.cookies[i].key) <= n);
		FUZZ_ASSERT(r.cookies[i].vlen == strlen(r.cookies[i].val));
		FUZZ_ASSERT(r.cookies[i].vlen <= n);
		FUZZ_ASSERT(req_cookie(&r, r.cookies[i].key) != NULL);
	}
	(void)req_cookie(&r, "sessionid");
	(void)req_cookie(&r, "csrftoken");
	req_free(&r);
	free(hdr);
	return 0;
}
