/*
 * fuzz_json: a request body through json_parse_body and every typed reader.
 * The input is the body.  When it parses, each reader is run on a fixed set
 * of field names and on every key the object has, with each flag
 * combination; the collected errors are serialized as resp_errors would.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "json.h"
#include "request.h"

static const char *const fixed[] = {
	"title", "description", "id", "position", "done", "due_date",
	"status", "priority", "list", "",
};
static const char *const choices[] = { "todo", "in_progress", "done", NULL };

static void
read_all(struct req *r, const cJSON *obj, const char *key)
{
	static const unsigned flags[] = {
		0, JF_REQUIRED, JF_NULL, JF_BLANK, JF_REQUIRED | JF_NULL | JF_BLANK,
		JF_TRIM, JF_TRIM | JF_BLANK,
	};
	const char *s;
	int64_t	 n, t;
	int	 b, c;
	size_t	 i;
	enum jr	 rc;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		s = NULL;
		rc = jr_str(r, obj, key, flags[i], 200, &s);
		if (rc == JR_OK) {
			FUZZ_ASSERT(s != NULL && utf8_valid(s, strlen(s)));
			FUZZ_ASSERT(utf8_len(s, strlen(s)) <= 200);
		}
		if (rc == JR_OK && (flags[i] & JF_TRIM)) {
			size_t	 n;

			/* nothing left to strip, and blank only where allowed */
			FUZZ_ASSERT(utf8_strip(s, strlen(s), &n) == s && n == strlen(s));
			FUZZ_ASSERT(n > 0 || (flags[i] & JF_BLANK));
		}
		(void)jr_str(r, obj, key, flags[i], 0, &s);
		(void)jr_int(r, obj, key, flags[i], &n);
		(void)jr_bool(r, obj, key, flags[i], &b);
		(void)jr_time(r, obj, key, flags[i], &t);
		c = -1;
		if (jr_choice(r, obj, key, flags[i], choices, &c) == JR_OK)
			FUZZ_ASSERT(c >= 0 && c < 3);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req r;
	const cJSON *it;
	size_t	 i, k = 0;

	memset(&r, 0, sizeof(r));
	r.arena.limit = 16 * 1024 * 1024;
	if ((r.body = arena_alloc(&r.arena, size + 1)) == NULL)
		goto out;
	memcpy(r.body, data, size);
	r.body[size] = '\0';
	r.body_len = size;
	if (json_parse_body(&r) == 0) {
		FUZZ_ASSERT(cJSON_IsObject(r.json));
		/* a NUL byte would cut a string value short: never accepted */
		FUZZ_ASSERT(memchr(data, '\0', size) == NULL);
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			read_all(&r, r.json, fixed[i]);
		cJSON_ArrayForEach(it, r.json) {
			if (it->string != NULL)
				read_all(&r, r.json, it->string);
			if (cJSON_IsObject(it) && it->child != NULL && it->child->string)
				read_all(&r, it, it->child->string);
			if (++k > 64)
				break;
		}
		read_all(&r, NULL, "title");
		resp_errors(&r);
	} else
		FUZZ_ASSERT(r.status == 400 || r.status == 500);
out:
	req_free(&r);
	return 0;
}
