/* router: static route table matching. */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "router.h"

int
parse_id(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* A character of a {key} segment: base64url. */
static int
key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Matches one pattern against path, collecting ids; 1 on a match. */
static int
match(const char *pat, const char *path, int64_t *ids, size_t maxids, size_t *nids)
{
	const char *pe, *se;
	size_t	 n = 0;

	for (;;) {
		if (*pat == '\0' || *path == '\0')
			break;
		/* a literal character: the common case, first */
		if (*pat != '{') {
			if (*pat != *path)
				return 0;
			pat++;
			path++;
			continue;
		}
		if (strncmp(pat, "{key}", 5) == 0) {
			for (se = path; key_char(*se) && se - path <= ROUTER_KEY_MAX; se++)
				continue;
			if (se == path || se - path > ROUTER_KEY_MAX)
				return 0;
			pat += 5;
			path = se;
			continue;
		}
		if ((pe = strchr(pat, '}')) == NULL)
			return 0;
		se = strchr(path, '/');
		if (se == NULL)
			se = path + strlen(path);
		if (n >= maxids || parse_id(path, (size_t)(se - path), &ids[n]) < 0)
			return 0;
		n++;
		pat = pe + 1;
		path = se;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	*nids = n;
	return 1;
}

int
router_match(const struct route *table, size_t n, const char *path,
    unsigned method, const struct route **out, int64_t *ids, size_t maxids,
    size_t *nids, unsigned *allow)
{
	size_t	 i;
	unsigned want = method == M_HEAD ? M_GET : method;
	int	 found = 0;

	*allow = 0;
	for (i = 0; i < n; i++) {
		if (!match(table[i].pattern, path, ids, maxids, nids))
			continue;
		found = 1;
		*allow |= table[i].methods;
		if (table[i].methods & want) {
			*out = &table[i];
			return 0;
		}
	}
	return found ? 405 : 404;
}

void
router_allow_str(unsigned methods, char *out, size_t outlen)
{
	static const unsigned order[] = { M_GET, M_POST, M_PUT, M_PATCH, M_DELETE };
	size_t	 i, len = 0;

	out[0] = '\0';
	if (methods & M_GET)
		methods |= M_HEAD;
	methods |= M_OPTIONS;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (methods & order[i])
			len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0,
			    "%s%s", len ? ", " : "", method_name(order[i]));
	if (methods & M_HEAD)
		len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0,
		    "%sHEAD", len ? ", " : "");
	snprintf(out + len, len < outlen ? outlen - len : 0, "%sOPTIONS", len ? ", " : "");
}
