/*
 * fuzz_request: FastCGI params to a request.  The input is the environment
 * the responder receives: NAME=value strings separated by NUL bytes.  Parses
 * it with req_parse_env, looks parameters and cookies up and serializes a
 * response, checking that what was parsed stays inside what was given.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "request.h"

#define MAX_ENV 512

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req r;
	struct buf out = { 0 };
	char	*copy, *envp[MAX_ENV + 1], *p, *end;
	size_t	 n = 0, i;
	int	 rc;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy, end = copy + size; p < end && n < MAX_ENV; p += strlen(p) + 1)
		envp[n++] = p;
	envp[n] = NULL;

	memset(&r, 0, sizeof(r));
	r.arena.limit = 1024 * 1024;
	rc = req_parse_env(&r, envp);
	FUZZ_ASSERT(rc == 0 || rc == 400 || rc == 500);
	FUZZ_ASSERT(r.nparams <= REQ_MAX_PARAMS && r.ncookies <= REQ_MAX_COOKIES);
	if (rc == 0) {
		FUZZ_ASSERT(r.path != NULL && r.path[0] == '/' && r.query != NULL);
		FUZZ_ASSERT(r.content_length >= -1);
		for (i = 0; i < r.nparams; i++) {
			FUZZ_ASSERT(r.params[i].val[r.params[i].vlen] == '\0');
			FUZZ_ASSERT(req_param(&r, r.params[i].key) != NULL);
		}
		for (i = 0; i < r.ncookies; i++) {
			FUZZ_ASSERT(strlen(r.cookies[i].key) > 0);
			FUZZ_ASSERT(req_cookie(&r, r.cookies[i].key) != NULL);
		}
		(void)req_param(&r, "page");
		(void)req_cookie(&r, "sessionid");
		resp_header(&r, "X-Path", r.path);
		resp_detail(&r, 404, r.path);
	} else
		resp_detail(&r, rc, "Malformed request.");
	(void)method_name(r.method);
	resp_serialize(&r, &out);
	FUZZ_ASSERT(!out.oom);
	FUZZ_ASSERT(out.len > 8 && memcmp(out.p, "Status: ", 8) == 0);
	buf_free(&out);
	req_free(&r);
	free(copy);
	return 0;
}
