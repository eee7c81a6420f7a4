/*
 * test_mustache_spec: runs the official mustache spec files against the
 * template engine, one TAP line per spec test.  The spec is read from
 * $MUSTACHE_SPEC_DIR, else from $(top_srcdir)/../shared/spec/mustache; the
 * whole test is skipped when that folder is absent.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L	/* stat */
#endif

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "template.h"
#include "tap.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define MAIN_NAME "(spec template)"

static const char *const files[] = {
	"comments.json", "interpolation.json", "sections.json",
	"inverted.json", "partials.json",
};

/* Reads a whole file into a string the caller frees; NULL on failure. */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*p = NULL, *np;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			if ((np = realloc(p, cap + 1)) == NULL) {
				free(p);
				p = NULL;
				break;
			}
			p = np;
		}
		n = fread(p + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (p != NULL && ferror(f)) {
		free(p);
		p = NULL;
	}
	if (p != NULL)
		p[len] = '\0';
	fclose(f);
	return p;
}

/* Compiles, renders and checks one spec test. */
static void
run_test(const char *file, const cJSON *t)
{
	const cJSON	*name, *tpl, *data, *expected, *partials, *p;
	struct tmpl_set	*set = NULL;
	struct buf	 out = { 0 };
	char		 err[256] = "";
	int		 rc = -1;

	name = cJSON_GetObjectItemCaseSensitive(t, "name");
	tpl = cJSON_GetObjectItemCaseSensitive(t, "template");
	data = cJSON_GetObjectItemCaseSensitive(t, "data");
	expected = cJSON_GetObjectItemCaseSensitive(t, "expected");
	partials = cJSON_GetObjectItemCaseSensitive(t, "partials");
	if (!cJSON_IsString(name) || !cJSON_IsString(tpl) ||
	    !cJSON_IsString(expected)) {
		ok(0, "%s: malformed spec test", file);
		return;
	}
	if ((set = tmpl_set_new()) == NULL)
		goto out;
	cJSON_ArrayForEach(p, partials) {
		if (!cJSON_IsString(p) || p->string == NULL)
			continue;
		if (tmpl_set_add(set, p->string, p->valuestring,
		    strlen(p->valuestring), err, sizeof(err)) < 0)
			goto out;
	}
	if (tmpl_set_add(set, MAIN_NAME, tpl->valuestring,
	    strlen(tpl->valuestring), err, sizeof(err)) < 0)
		goto out;
	rc = tmpl_render(set, MAIN_NAME, data, &out);
out:
	if (rc < 0)
		ok(0, "%s: %s (%s)", file, name->valuestring,
		    err[0] ? err : "render failed");
	else
		is_str(out.p ? out.p : "", expected->valuestring, "%s: %s",
		    file, name->valuestring);
	buf_free(&out);
	tmpl_set_free(set);
}

int
main(void)
{
	const char	*env = getenv("MUSTACHE_SPEC_DIR");
	char		 dir[4096], path[4200], *text;
	struct stat	 st;
	cJSON		*doc, *tests, *t;
	size_t		 i;

	if (env != NULL && env[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/../shared/spec/mustache",
		    TOP_SRCDIR);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("1..0 # SKIP mustache spec folder not found: %s\n", dir);
		return 0;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		doc = NULL;
		if ((text = slurp(path)) != NULL)
			doc = cJSON_Parse(text);
		free(text);
		tests = cJSON_GetObjectItemCaseSensitive(doc, "tests");
		if (!cJSON_IsArray(tests)) {
			ok(0, "%s: readable spec file with a tests array", files[i]);
			cJSON_Delete(doc);
			continue;
		}
		cJSON_ArrayForEach(t, tests)
			run_test(files[i], t);
		cJSON_Delete(doc);
	}
	return tap_done();
}
