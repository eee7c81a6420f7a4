/*
 * sql_record: a test-only LD_PRELOAD library that records every SQL text
 * taskmgr and taskmgr.fcgi prepare, with the type of each value bound to
 * it, for tests/pg/sql_corpus.py (the texts checked against PostgreSQL,
 * README "PostgreSQL and several hosts").  Never linked into a program.
 *
 * With TMTEST_SQL_RECORD naming a folder, each process of those two
 * programs appends to DIR/sql.PID records of the form
 *	P <length>\n<text>\n		a text was prepared
 *	B <index> <type> <length>\n<text>\n	a value was bound to it
 * where type is one of int8 float8 text bytea null.  Other processes (the
 * tests' Python, sqlite3) are left alone: the wrappers only pass through.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define SEEN_SLOTS 65536	/* (statement, index, type) triples already written */

static int	 rec_fd = -2;	/* -2: not decided yet; -1: not recording */
static uintptr_t seen[SEEN_SLOTS];

static int
recording(void)
{
	const char	*dir, *me = program_invocation_short_name;
	char		 path[4096];

	if (rec_fd != -2)
		return rec_fd >= 0;
	rec_fd = -1;
	if ((dir = getenv("TMTEST_SQL_RECORD")) == NULL || *dir == '\0')
		return 0;
	if (strcmp(me, "taskmgr") != 0 && strcmp(me, "taskmgr.fcgi") != 0)
		return 0;
	if (snprintf(path, sizeof(path), "%s/sql.%ld", dir, (long)getpid()) >=
	    (int)sizeof(path))
		return 0;
	rec_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return rec_fd >= 0;
}

static void
put(const char *head, const char *sql)
{
	size_t	 hl = strlen(head), sl = strlen(sql);
	char	*b;

	if ((b = malloc(hl + sl + 1)) == NULL)
		return;
	memcpy(b, head, hl);
	memcpy(b + hl, sql, sl);
	b[hl + sl] = '\n';
	/* one write: records of one process never interleave */
	if (write(rec_fd, b, hl + sl + 1) < 0)
		(void)errno;
	free(b);
}

static void
note_prep(sqlite3_stmt *st)
{
	const char	*sql;
	char		 head[64];

	if (st == NULL || !recording() || (sql = sqlite3_sql(st)) == NULL)
		return;
	snprintf(head, sizeof(head), "P %zu\n", strlen(sql));
	put(head, sql);
}

static void
note_bind(sqlite3_stmt *st, int idx, const char *type)
{
	const char	*sql;
	char		 head[64];
	uintptr_t	 key, h;
	size_t		 i;

	if (st == NULL || !recording() || (sql = sqlite3_sql(st)) == NULL)
		return;
	key = ((uintptr_t)st * 31 + (uintptr_t)idx) * 31 + (uintptr_t)type[0] + 1;
	h = (key * 2654435761u) & (SEEN_SLOTS - 1);
	for (i = 0; i < 64; i++) {
		uintptr_t *s = &seen[(h + i) & (SEEN_SLOTS - 1)];

		if (*s == key)
			return;
		if (*s == 0) {
			*s = key;
			break;
		}
	}
	snprintf(head, sizeof(head), "B %d %s %zu\n", idx, type, strlen(sql));
	put(head, sql);
}

/*
 * The real function: the next definition after this library's, or, in a
 * process that opened SQLite with dlopen() (Python's sqlite3 module, whose
 * calls land here too), the one in libsqlite3 itself.
 */
static void *
real(const char *name)
{
	void	*f, *lib;

	if ((f = dlsym(RTLD_NEXT, name)) != NULL)
		return f;
	if ((lib = dlopen("libsqlite3.so.0", RTLD_LAZY | RTLD_NOLOAD)) == NULL &&
	    (lib = dlopen("libsqlite3.so.0", RTLD_LAZY)) == NULL)
		abort();
	if ((f = dlsym(lib, name)) == NULL)
		abort();
	return f;
}

#define NEXT(name) static __typeof__(name) *next; \
	if (next == NULL) next = (__typeof__(name) *)real(#name)

int
sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st,
    const char **tail)
{
	NEXT(sqlite3_prepare_v2);
	int rc = next(db, sql, n, st, tail);

	if (rc == SQLITE_OK)
		note_prep(*st);
	return rc;
}

int
sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags,
    sqlite3_stmt **st, const char **tail)
{
	NEXT(sqlite3_prepare_v3);
	int rc = next(db, sql, n, flags, st, tail);

	if (rc == SQLITE_OK)
		note_prep(*st);
	return rc;
}

int
sqlite3_bind_int(sqlite3_stmt *st, int i, int v)
{
	NEXT(sqlite3_bind_int);
	note_bind(st, i, "int8");
	return next(st, i, v);
}

int
sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v)
{
	NEXT(sqlite3_bind_int64);
	note_bind(st, i, "int8");
	return next(st, i, v);
}

int
sqlite3_bind_double(sqlite3_stmt *st, int i, double v)
{
	NEXT(sqlite3_bind_double);
	note_bind(st, i, "float8");
	return next(st, i, v);
}

int
sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n,
    void (*d)(void *))
{
	NEXT(sqlite3_bind_text);
	note_bind(st, i, "text");
	return next(st, i, v, n, d);
}

int
sqlite3_bind_blob(sqlite3_stmt *st, int i, const void *v, int n,
    void (*d)(void *))
{
	NEXT(sqlite3_bind_blob);
	note_bind(st, i, "bytea");
	return next(st, i, v, n, d);
}

int
sqlite3_bind_null(sqlite3_stmt *st, int i)
{
	NEXT(sqlite3_bind_null);
	note_bind(st, i, "null");
	return next(st, i);
}
