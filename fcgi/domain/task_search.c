/* task_search: the trigram index of task names, its catch-up, and when a search uses it. */
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "task_search.h"
#include "timeutil.h"
#include "tx.h"

#define SEARCH_MIN_CHARS 3	/* a trigram's characters: shorter texts are scanned */
#define SEARCH_FTS_MAX	10000	/* candidates worth fetching at most */
#define SEARCH_TERMS	16	/* trigrams asked of the index: about this many */
#define SEARCH_CHARS	256	/* the characters of a search text they are taken from */
#define CATCH_UP_EVERY	(250 * 1000LL)	/* microseconds between catch-ups per process */
#define CATCH_UP_BATCH	1000
#define PLAN_KEPT	(1000 * 1000LL)	/* microseconds a decision is reused */

/*
 * Writes into out (SEARCH_MATCH_BYTES) the FTS5 query for a search text of
 * SEARCH_MIN_CHARS characters or more: the AND of its trigrams (at most
 * SEARCH_TERMS + 1 of them, spread over its first SEARCH_CHARS
 * characters), each a quoted string with its '"' doubled, so that no
 * character of the text is FTS5 syntax.  Every name containing the text
 * holds them all.  Returns 0 when the text is shorter (no trigram).
 */
static int
search_match(const char *s, char *out)
{
	size_t	 at[SEARCH_CHARS + 1], n = 0, o = 0, ntri, step, i, k, t;
	const char *p;
	char	 term[2 + 2 * 4 * SEARCH_MIN_CHARS + 1];
	int	 last = 0;

	for (p = s; *p != '\0'; p++)
		if (((unsigned char)*p & 0xc0) != 0x80) {
			at[n] = (size_t)(p - s);
			if (n++ == SEARCH_CHARS)
				break;
		}
	if (n <= SEARCH_CHARS)
		at[n] = (size_t)(p - s);
	else
		n = SEARCH_CHARS;
	if (n < SEARCH_MIN_CHARS)
		return 0;
	out[0] = '\0';
	ntri = n - SEARCH_MIN_CHARS + 1;
	step = (ntri + SEARCH_TERMS - 1) / SEARCH_TERMS;
	for (i = 0; !last; i += step) {
		if (i >= ntri - 1) {
			i = ntri - 1;
			last = 1;
		}
		/* the quoted trigram: two quotes, each byte maybe doubled */
		t = 0;
		term[t++] = '"';
		for (k = at[i]; k < at[i + SEARCH_MIN_CHARS]; k++) {
			if (s[k] == '"')
				term[t++] = '"';
			term[t++] = s[k];
		}
		term[t++] = '"';
		term[t] = '\0';
		if (strstr(out, term) != NULL)
			continue;	/* asked already (dropping one only widens) */
		if (o + 5 + t >= SEARCH_MATCH_BYTES)
			return 0;
		if (o != 0) {
			memcpy(out + o, " AND ", 5);
			o += 5;
		}
		memcpy(out + o, term, t + 1);
		o += t;
	}
	return 1;
}

/* Runs the cached sql with ?1 = text (or none) and ?2 = b; *v its one integer. */
static enum dbrc
one_int(struct db *db, const char *sql, const char *text, int64_t b, int64_t *v)
{
	struct dbstmt *st = db_prep(db, sql);
	int	 rc;

	if (st == NULL)
		return DB_ERROR;
	if (text != NULL) {
		db_bind_text(st, 1, text);
		db_bind_i64(st, 2, b);
	}
	if ((rc = db_step(st)) == DB_ROW)
		*v = db_col_i64(st, 0);
	db_done(st, rc);
	if (rc == DB_ROW)
		return DB_OK;
	return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, "task search");
}

enum dbrc
task_search_plan(struct db *db, struct search_plan *last, const char *key,
    int64_t scope, char *match, int *fts)
{
	/* the tail: how many tasks at most are newer than the index */
	static const char tail_sql[] =
	    "SELECT CASE WHEN coalesce((SELECT max(id) FROM tasks), 0) > indexed_to"
	    " THEN (SELECT max(id) FROM tasks) - indexed_to ELSE 0 END FROM task_search";
	/* the hits, counted no further than they would be worth */
	static const char hits_sql[] =
	    "SELECT count(*) FROM (SELECT 1 FROM tasks_fts WHERE tasks_fts MATCH ?1 LIMIT ?2)";
	int64_t	 cap = scope < SEARCH_FTS_MAX ? scope : SEARCH_FTS_MAX, tail = 0, hits = 0;
	int64_t	 now = mono_us();
	enum dbrc rc;

	*fts = 0;
	if (key == NULL || cap <= 0 || !search_match(key, match))
		return DB_OK;
	/* PostgreSQL: the GIN index is kept at every write (no tail), and the
	 * planner weighs it against the scope's index itself */
	if (!db_is_sqlite()) {
		*fts = 1;
		return DB_OK;
	}
	if ((rc = one_int(db, tail_sql, NULL, 0, &tail)) != DB_OK || tail >= cap)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	if (last != NULL && last->at != 0 && now - last->at < PLAN_KEPT &&
	    last->cap == cap && last->tail == tail && strcmp(last->match, match) == 0) {
		*fts = last->fts;
		return DB_OK;
	}
	if ((rc = one_int(db, hits_sql, match, cap - tail, &hits)) != DB_OK)
		return rc;
	*fts = hits < cap - tail;
	if (last != NULL) {
		memcpy(last->match, match, sizeof(last->match));
		last->cap = cap;
		last->tail = tail;
		last->at = now;
		last->fts = *fts;
	}
	return DB_OK;
}

enum dbrc
task_search_catch_up(struct db *db, int limit, int *n)
{
	static const char behind_sql[] =
	    "SELECT (SELECT max(id) FROM tasks) > indexed_to FROM task_search";
	static const char upto_sql[] =
	    "SELECT max(id) FROM (SELECT id FROM tasks"
	    " WHERE id > (SELECT indexed_to FROM task_search) ORDER BY id LIMIT ?1) AS n";
	static const char add_sql[] =
	    "INSERT INTO tasks_fts (rowid, name_key) SELECT id, name_key FROM tasks"
	    " WHERE id > (SELECT indexed_to FROM task_search) AND id <= ?1";
	static const char mark_sql[] = "UPDATE task_search SET indexed_to = ?1";
	struct dbstmt *st;
	int64_t	 behind = 0, upto = 0;
	enum dbrc rc;
	int	 own, src;

	*n = 0;
	/* a look first, outside any write transaction */
	if ((rc = one_int(db, behind_sql, NULL, 0, &behind)) != DB_OK || !behind)
		return rc == DB_NOTFOUND ? DB_OK : rc;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	if ((st = db_prep(db, upto_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_int(st, 1, limit);
	if ((src = db_step(st)) == DB_ROW)
		upto = db_col_i64(st, 0);
	db_done(st, src);
	if (src != DB_ROW) {
		rc = db_rc(db, src, "search catch-up");
		goto out;
	}
	if (upto == 0)
		goto out;
	if ((st = db_prep(db, add_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, upto);
	src = db_step(st);
	*n = src == DB_DONE ? db_changes(db) : 0;
	db_done(st, src);
	if (src != DB_DONE) {
		rc = db_rc(db, src, "search catch-up");
		goto out;
	}
	if ((st = db_prep(db, mark_sql)) == NULL) {
		rc = DB_ERROR;
		goto out;
	}
	db_bind_i64(st, 1, upto);
	src = db_step(st);
	db_done(st, src);
	if (src != DB_DONE)
		rc = db_rc(db, src, "search catch-up");
out:
	rc = tx_close(db, own, rc);
	if (rc != DB_OK)
		*n = 0;
	return rc;
}

void
task_search_housekeep(struct db *db)
{
	static int64_t last;	/* process state: when this process last caught up */
	int64_t	 now = mono_us();
	int	 n = 0;

	if (last != 0 && now - last < CATCH_UP_EVERY)
		return;
	last = now;
	if (task_search_catch_up(db, CATCH_UP_BATCH, &n) == DB_OK && n > 0)
		log_debug("search index: %d task(s) added", n);
}
