/* form: urlencoded form bodies. */
#include <string.h>

#include "arena.h"
#include "form.h"
#include "utf8.h"

int
form_parse(struct arena *a, const char *s, size_t len, size_t max,
    struct form *out)
{
	const char *p = s, *end = s + len, *amp, *eq;
	size_t	 n = 0, klen, cap = 1;
	struct kv *kv;

	out->f = NULL;
	out->n = 0;
	for (p = s; p < end; p++)
		cap += *p == '&';
	if (cap > max)
		cap = max;
	if ((out->f = arena_alloc(a, (cap ? cap : 1) * sizeof(*out->f))) == NULL)
		return -1;
	for (p = s; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			if (n == max || n == cap)
				goto bad;
			kv = &out->f[n];
			if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
				eq = amp;
			kv->key = req_url_decode(a, p, (size_t)(eq - p), 1, &klen);
			if (kv->key == NULL || strlen(kv->key) != klen)
				goto bad;
			if (eq < amp)
				kv->val = req_url_decode(a, eq + 1,
				    (size_t)(amp - eq - 1), 1, &kv->vlen);
			else {
				kv->val = "";
				kv->vlen = 0;
			}
			if (kv->val == NULL || strlen(kv->val) != kv->vlen)
				goto bad;
			n++;
		}
		if (amp == end)
			break;
	}
	out->n = n;
	return 0;
bad:
	out->n = 0;
	return -1;
}

const char *
form_get(const struct form *fm, const char *name)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->f[i].key, name) == 0)
			return fm->f[i].val;
	return NULL;
}

int
form_has(const struct form *fm, const char *name)
{
	return form_get(fm, name) != NULL;
}

const char *
form_text(struct arena *a, const struct form *fm, const char *name)
{
	const char *v = form_get(fm, name), *s;
	char	*t;
	size_t	 n, len;

	if (v == NULL)
		return NULL;
	n = strlen(v);
	s = utf8_strip(v, n, &len);
	if (len == n || (t = arena_strndup(a, s, len)) == NULL)
		return v;	/* out of memory: the domain trims again */
	return t;
}
