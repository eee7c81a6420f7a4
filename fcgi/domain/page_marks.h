/*
 * page_marks: deep pages without stepping over every row before them.  For
 * the pages of a list or an assignee without filters, ordered by creation
 * (either way), a process keeps marks: the sort key (created_at, id) of
 * every MARK_EVERY-th row.  A page at offset 5000 then seeks just past the
 * mark of row 4991 and steps over the 8 rows left, instead of 5000.
 *
 * The invariant the marks rest on spans this code and the database's
 * triggers (sql/008_page_marks.sql, re-created by sql/011): the marks of a
 * scope hold for one version of it (lists.version, users.assigned_version),
 * and the triggers change that version in the same transaction as every
 * insert, delete or move of the scope's tasks and every change of a
 * created_at; a new list or user starts at a random version.  So every
 * snapshot that shows the version the marks were made at has the same rows
 * in the same order -- whichever connection wrote them.  A migration that
 * re-creates those triggers must keep the bumps.
 */
#ifndef TASKMGR_PAGE_MARKS_H
#define TASKMGR_PAGE_MARKS_H

#include <stdint.h>

#include "db.h"

#define MARK_EVERY	64
#define MARK_SETS	8	/* scopes remembered per process */
#define MARKS_MAX	16384	/* marks per scope: offsets up to about 1M */

struct mark {
	int64_t		 key;	/* created_at */
	int64_t		 id;
};

struct markset {
	int		 used;
	unsigned	 kind;	/* list << 1 | desc */
	int64_t		 scope_id;
	int64_t		 version;
	uint64_t	 tick;	/* last use, for replacing the oldest */
	int		 n, cap;
	struct mark	*m;	/* m[i]: the row at position (i + 1) * MARK_EVERY - 1 */
};

/* The marks of a process (struct task_cache); all zero: none yet. */
struct page_marks {
	struct markset	 sets[MARK_SETS];
	uint64_t	 tick;
};

void	 page_marks_free(struct page_marks *);

/*
 * For a page without filters of list scope_id (list 1) or of the tasks
 * assigned to user scope_id (list 0), ordered by created_at (desc 1:
 * newest first), at offset: 1 with the mark to seek past in *m and the
 * offset left from there in *rest; 0 to walk from the start.  Runs inside
 * the caller's snapshot.
 */
int	 page_mark(struct db *, struct page_marks *, int list, int64_t scope_id,
	    int desc, int64_t offset, struct mark *m, int64_t *rest);
/* The condition of a row after the mark, ?11 and ?12 (created_at, id). */
const char *page_mark_after_sql(int desc);

#endif
