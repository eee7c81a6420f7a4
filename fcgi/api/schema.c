/* schema: GET /api/schema/ -- the OpenAPI 3.1 document of this API. */
#include <stddef.h>

#include "api.h"
#include "request.h"

/* docs/openapi.json, embedded at build time (gen-cstring.sh) */
extern const char openapi_doc[];
extern const size_t openapi_doc_len;

int
api_schema(struct req *r)
{
	buf_add(&r->body_out, openapi_doc, openapi_doc_len);
	return 200;
}
