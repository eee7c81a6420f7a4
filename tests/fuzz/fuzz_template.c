/*
 * fuzz_template: the mustache engine.  The input up to its first NUL byte is
 * the template "main", the rest the partial "p"; both are compiled and
 * "main" is rendered with a small fixed context that has every value shape
 * (strings needing escapes, numbers, booleans, null, nested objects,
 * arrays of objects, a self-similar tree).  Checks that a template that
 * cannot ask for raw output (no '&', '=', '{{{' or partial, and no '<' of its
 * own) never prints a raw '<' from the context.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "fuzz.h"
#include "template.h"

static const char context_json[] =
    "{\"name\":\"<b>Ann & \\\"Bob\\\"</b>\",\"n\":42,\"f\":1.5,\"zero\":0,"
    "\"yes\":true,\"no\":false,\"nil\":null,\"empty\":\"\",\"none\":[],"
    "\"user\":{\"name\":\"carol\",\"is_staff\":true,\"lists\":[{\"title\":\"a\"}]},"
    "\"items\":[{\"title\":\"one\",\"done\":true},{\"title\":\"<two>\",\"done\":false},"
    "{\"title\":\"three\",\"tags\":[\"x\",\"y\"]}],"
    "\"words\":[\"a\",\"b\",\"c\"],"
    "\"tree\":{\"label\":\"root\",\"children\":[{\"label\":\"leaf\",\"children\":[]}]}}";

static cJSON	*ctx;

/* True when the template may print raw text (so '<' in the output is allowed). */
static int
may_print_raw(const char *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (t[i] == '<' || t[i] == '&' || t[i] == '=' || t[i] == '>' ||
		    (t[i] == '{' && i + 2 < n && t[i + 1] == '{' && t[i + 2] == '{'))
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_set *set;
	struct buf out = { 0 };
	const char *text = (const char *)data, *nul;
	size_t	 mlen = size;
	char	 err[256];

	if (ctx == NULL && (ctx = cJSON_Parse(context_json)) == NULL)
		abort();
	if ((set = tmpl_set_new()) == NULL)
		return 0;
	if ((nul = memchr(text, '\0', size)) != NULL) {
		mlen = (size_t)(nul - text);
		(void)tmpl_set_add(set, "p", nul + 1, size - mlen - 1, err, sizeof(err));
	}
	if (tmpl_set_add(set, "main", text, mlen, err, sizeof(err)) == 0) {
		if (tmpl_render(set, "main", ctx, &out) == 0 && !may_print_raw(text, mlen))
			FUZZ_ASSERT(out.len == 0 || memchr(out.p, '<', out.len) == NULL);
		buf_reset(&out);
		(void)tmpl_render(set, "main", NULL, &out);
		if (nul != NULL)
			(void)tmpl_render(set, "p", ctx, &out);
	} else
		FUZZ_ASSERT(err[0] != '\0');
	buf_free(&out);
	tmpl_set_free(set);
	return 0;
}
