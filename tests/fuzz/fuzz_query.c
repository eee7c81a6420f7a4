/*
 * fuzz_query: query-string decoding and the declared-parameter reader.  The
 * input is a raw query string (and, with its NUL bytes, raw bytes for
 * req_url_decode).  Checks that a decoded value is never longer than its
 * source and that keys hold no NUL byte; then reads a table of every kind
 * of parameter and checks that each value read keeps within its
 * declaration and that an error is recorded exactly for a loud bad value.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "params.h"
#include "request.h"

static const char *const choices[] = { "Pending", "In Progress", "-created_at", NULL };
static const char *const nobody[] = { "none", NULL };
static const int nobody_values[] = { -1 };

/* A text norm that may refuse: a copy, or NULL for a text starting with 'x'. */
static char *
norm(struct arena *a, const char *s)
{
	return *s == 'x' ? NULL : arena_strdup(a, s);
}

static const struct param_spec spec[] = {
	{ .name = "limit", .kind = PK_INT, .flags = PF_EMPTY | PF_BARRIER,
	    .lo = 0, .hi = INT64_MAX, .digits = 18 },
	{ .name = "after", .kind = PK_INT, .lo = 3, .hi = INT64_MAX - 1 },
	{ .name = "p", .kind = PK_INT, .flags = PF_QUIET, .lo = 1, .hi = 1000 },
	{ .name = "status", .kind = PK_CHOICE, .names = choices },
	{ .name = "list", .kind = PK_ID },
	{ .name = "assigned_to", .kind = PK_ID, .flags = PF_QUIET,
	    .names = nobody, .values = nobody_values },
	{ .name = "due_before", .kind = PK_TIME },
	{ .name = "q", .kind = PK_TEXT, .flags = PF_QUIET | PF_EMPTY },
	{ .name = "search", .kind = PK_TEXT, .flags = PF_BARRIER, .norm = norm },
};
#define NSPEC (sizeof(spec) / sizeof(spec[0]))

/* Reads spec from r's parameters and checks what it filled. */
static void
check_params(struct req *r)
{
	struct param_val v[NSPEC];
	size_t	 i, loud = 0;
	int	 bad, nbad = 0;

	bad = params_read(r, spec, NSPEC, v);
	for (i = 0; i < NSPEC; i++) {
		if (v[i].state == PS_ABSENT)
			continue;
		FUZZ_ASSERT(req_param(r, spec[i].name) != NULL);
		if (v[i].state == PS_BAD) {
			nbad++;
			loud += !(spec[i].flags & PF_QUIET);
			continue;
		}
		FUZZ_ASSERT(v[i].state == PS_SET && v[i].s != NULL);
		switch (spec[i].kind) {
		case PK_INT:
			FUZZ_ASSERT(v[i].n >= spec[i].lo && v[i].n <= spec[i].hi);
			break;
		case PK_ID:
			FUZZ_ASSERT(v[i].n > 0 || (spec[i].values != NULL && v[i].n == -1));
			break;
		case PK_CHOICE:
			FUZZ_ASSERT(v[i].n >= 0 && v[i].n < 3);
			FUZZ_ASSERT(strcmp(v[i].s, choices[v[i].n]) == 0);
			break;
		case PK_TEXT:
			FUZZ_ASSERT(strlen(v[i].s) == req_param(r, spec[i].name)->vlen);
			break;
		default:
			break;
		}
	}
	FUZZ_ASSERT(bad == nbad);
	FUZZ_ASSERT((loud > 0) == (r->errors != NULL));
	if (r->errors != NULL) {
		FUZZ_ASSERT(resp_errors(r) == 400);
		FUZZ_ASSERT(r->body_out.len > 0);
	}
}

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
		check_params(&r);
	}
	free(qs);
	req_free(&r);
	return 0;
}
