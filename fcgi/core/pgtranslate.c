/*
 * pgtranslate: SQLite's ?N and ? parameters as PostgreSQL's $N (pgstmt.h),
 * string literals, quoted names and comments left alone.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pgstmt.h"

int
pgst_translate_marks(const char *sql, char *out, size_t outlen, int *nparams, unsigned char *used)
{
	const char *s = sql;
	size_t	 o = 0;
	int	 max = 0, len;
	long	 n;
	char	*end;

#define PUT(c) do { if (o + 1 >= outlen) return -1; out[o++] = (c); } while (0)
	while (*s) {
		if (*s == '\'' || *s == '"') {
			char	 q = *s;

			PUT(*s++);
			while (*s && *s != q)
				PUT(*s++);
			if (*s)
				PUT(*s++);	/* '' inside a literal: two literals in a row */
		} else if (s[0] == '-' && s[1] == '-') {
			while (*s && *s != '\n')
				PUT(*s++);
		} else if (s[0] == '/' && s[1] == '*') {
			PUT(*s++);
			PUT(*s++);
			while (*s && !(s[0] == '*' && s[1] == '/'))
				PUT(*s++);
			if (*s) {
				PUT(*s++);
				PUT(*s++);
			}
		} else if (*s == '?') {
			s++;
			if (*s >= '0' && *s <= '9') {
				n = strtol(s, &end, 10);
				s = end;
			} else
				n = max + 1;	/* SQLite: one more than the largest so far */
			if (n < 1 || n > PG_MAX_PARAMS)
				return -1;
			if (n > max)
				max = (int)n;
			if (used != NULL)
				used[n] = 1;
			len = snprintf(out + o, outlen - o, "$%ld", n);
			if (len < 0 || (size_t)len >= outlen - o)
				return -1;
			o += (size_t)len;
		} else
			PUT(*s++);
	}
#undef PUT
	out[o] = '\0';
	*nparams = max;
	return 0;
}

int
pgst_translate(const char *sql, char *out, size_t outlen, int *nparams)
{
	return pgst_translate_marks(sql, out, outlen, nparams, NULL);
}
