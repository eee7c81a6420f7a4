/* auth: credentials to a principal. */
#include <string.h>
#include <strings.h>

#include "app.h"
#include "request.h"
#include "tokens.h"

/* The DRF-compatible answer for a token that is not valid. */
static int
bad_token(struct req *r)
{
	r->status = 401;
	buf_reset(&r->body_out);
	buf_puts(&r->body_out, "{\"detail\":\"Given token not valid for any token type\","
	    "\"code\":\"token_not_valid\"}");
	return 401;
}

int
auth_authenticate(struct req *r)
{
	const char *h = r->authorization;
	enum dbrc rc;

	if (h == NULL || *h == '\0')
		return 0;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		rc = tokens_check_access(&r->app->db, h, &r->arena, &r->user);
		if (rc == DB_OK)
			return 0;
		memset(&r->user, 0, sizeof(r->user));
		if (rc == DB_BUSY)
			return 503;
		if (rc != DB_NOTFOUND)
			return 500;
		return bad_token(r);
	}
	/* an unknown scheme is ignored, as DRF does: the request stays anonymous */
	return 0;
}
