/*
 * fuzz_form: urlencoded form bodies (the admin pages' posts).  The input is
 * a raw body; checks that every field lies within the body's size, holds no
 * NUL byte, that form_get finds each name, and that form_text gives its
 * value with nothing left to strip, as a tail of the value's start.
 */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "fuzz.h"
#include "json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = { 0 };
	struct form f;
	char	*body;
	const char *v, *t, *s;
	size_t	 i, max, n;

	a.limit = 4 * 1024 * 1024;
	/* exact-size copy without a NUL: form_parse must honour the length */
	if ((body = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	max = size ? (size_t)data[0] % 64 + 1 : 1;
	if (form_parse(&a, body, size, max, &f) == 0) {
		FUZZ_ASSERT(f.n <= max);
		for (i = 0; i < f.n; i++) {
			FUZZ_ASSERT(f.f[i].key != NULL && f.f[i].val != NULL);
			FUZZ_ASSERT(strlen(f.f[i].key) <= size);
			FUZZ_ASSERT(f.f[i].vlen <= size);
			FUZZ_ASSERT(strlen(f.f[i].val) == f.f[i].vlen);
			FUZZ_ASSERT((v = form_get(&f, f.f[i].key)) != NULL);
			FUZZ_ASSERT((t = form_text(&a, &f, f.f[i].key)) != NULL);
			s = utf8_strip(t, strlen(t), &n);
			FUZZ_ASSERT(s == t && n == strlen(t));
			FUZZ_ASSERT(strlen(t) <= strlen(v) && strstr(v, t) != NULL);
		}
	} else
		FUZZ_ASSERT(f.n == 0);
	free(body);
	arena_free(&a);
	return 0;
}
