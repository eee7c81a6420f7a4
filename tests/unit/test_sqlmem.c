/*
 * Unit tests: sqlmem, SQLite's allocator with kept small blocks: blocks
 * of every size keep their contents through realloc, sizes are what
 * SQLite is told, and SQLite works on it (rows of every size written and
 * read back, strings grown by group_concat).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlmem.h"
#include "tap.h"

int
main(void)
{
	sqlite3	*db = NULL;
	sqlite3_stmt *st;
	unsigned char *p[400];
	char	*text;
	int	 i, j, n, bad = 0, rows = 0;

	is_int(sqlmem_install(), SQLITE_OK, "installed before SQLite initialises");
	ok(sqlite3_initialize() == SQLITE_OK, "SQLite initialises on it");

	/* blocks of 1 to 3000 bytes, each filled with its own byte, grown and shrunk */
	for (i = 0; i < 400; i++) {
		n = 1 + i * 7;
		if ((p[i] = sqlite3_malloc(n)) == NULL || sqlite3_msize(p[i]) < (sqlite3_uint64)n)
			bad++;
		else
			memset(p[i], i & 0xff, (size_t)n);
	}
	for (i = 0; i < 400; i += 2)	/* freed ones are handed out again below */
		sqlite3_free(p[i]);
	for (i = 0; i < 400; i += 2) {
		n = 1 + i * 7;
		p[i] = sqlite3_malloc(n);
		memset(p[i], i & 0xff, (size_t)n);
	}
	for (i = 0; i < 400; i++) {
		unsigned char *q;

		n = 1 + i * 7;
		q = sqlite3_realloc(p[i], i % 3 == 0 ? n / 2 + 1 : n * 3);
		if (q == NULL) {
			bad++;
			continue;
		}
		p[i] = q;
		for (j = 0; j < (i % 3 == 0 ? n / 2 + 1 : n); j++)
			if (q[j] != (unsigned char)(i & 0xff)) {
				bad++;
				break;
			}
	}
	for (i = 0; i < 400; i++)
		sqlite3_free(p[i]);
	is_int(bad, 0, "contents kept through malloc, free, reuse and realloc");
	sqlite3_free(NULL);

	/* SQLite itself: rows of 0 to 5000 bytes, written and read back */
	ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "open");
	sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", NULL, NULL, NULL);
	text = malloc(5001);
	for (i = 0; i < 5000; i++)
		text[i] = (char)('a' + i % 26);
	sqlite3_prepare_v2(db, "INSERT INTO t (id, v) VALUES (?1, ?2)", -1, &st, NULL);
	for (i = 0; i < 2000; i++) {
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_text(st, 2, text, (i * 37) % 5001, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			bad++;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "SELECT id, v FROM t ORDER BY id DESC", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		i = sqlite3_column_int(st, 0);
		n = sqlite3_column_bytes(st, 1);
		if (n != (i * 37) % 5001 || memcmp(sqlite3_column_text(st, 1), text, (size_t)n) != 0)
			bad++;
		rows++;
	}
	sqlite3_finalize(st);
	is_int(rows, 2000, "2000 rows read back");
	is_int(bad, 0, "every row as written");
	sqlite3_prepare_v2(db, "SELECT length(group_concat(v, '')) FROM t", -1, &st, NULL);
	ok(sqlite3_step(st) == SQLITE_ROW, "a string grown to megabytes");
	{
		sqlite3_int64 want = 0;

		for (i = 0; i < 2000; i++)
			want += (i * 37) % 5001;
		ok(sqlite3_column_int64(st, 0) == want, "of the right length");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(text);
	return tap_done();
}
