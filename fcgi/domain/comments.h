/*
 * comments: comments on tasks (sql/013_comments_activity.sql).
 *
 * Who: a comment is seen by whoever sees its task (task_access(), the one
 * place of that rule for comments, by the roles of members.h: the list's
 * owner and members and the task's assignee; an actor with sees_all sees
 * all).  Anyone who sees the task
 * may comment.  Only the author edits a comment; the author or the list's
 * owner (or a sees_all actor) deletes it.  Not visible: DB_NOTFOUND;
 * visible but not allowed: DB_FORBIDDEN.
 *
 * A new comment, in its transaction: a 'commented' row in the task's
 * history (activity.h) and the events and notices of notices_comment()
 * (the assignee and the list's owner, never the author).  Commenting does
 * not change the task (nor its updated_at).
 *
 * Texts are trimmed as other text fields (utf8_strip), then must be valid
 * UTF-8 of 1..COMMENT_MAX_CHARS characters (RULE_BAD_VALUE otherwise).
 */
#ifndef TASKMGR_COMMENTS_H
#define TASKMGR_COMMENTS_H

#include <stdint.h>

#include "db.h"
#include "lists.h"

struct arena;

#define COMMENT_MAX_CHARS	10000

struct comment {
	int64_t		 id;
	int64_t		 task_id;
	int64_t		 author_id;
	const char	*author_username;
	const char	*text;
	int64_t		 created_at;
	int64_t		 updated_at;
};

/* What the comment rules need of a task. */
struct task_ref {
	int64_t		 owner_id;	/* the list's owner */
	int64_t		 assigned_to;	/* 0: nobody */
	char		 name[NAME_BYTES];
};

/*
 * The task task_id as the actor may see it (the visibility rule of
 * comments and of the task's history): DB_OK with t filled (t may be
 * NULL), DB_NOTFOUND when the actor may not see it.
 */
enum dbrc task_access(struct db *, const struct actor *, int64_t task_id,
	    struct task_ref *t);

/* Adds the text (trimmed) as the actor's comment on a visible task; *id is the new one. */
enum dbrc comments_create(struct db *, const struct actor *, int64_t task_id,
	    const char *text, int64_t *id, enum rule *why);
/* Reads a visible comment into c (strings in the arena). */
enum dbrc comments_get_visible(struct db *, const struct actor *, int64_t id,
	    struct arena *, struct comment *c);
/*
 * Replaces the text of the actor's own comment when its updated_at still
 * equals expect (DB_CONFLICT otherwise), in one transaction; updated_at
 * moves on (strictly increasing).
 */
enum dbrc comments_update_locked(struct db *, const struct actor *, int64_t id,
	    int64_t expect, const char *text, enum rule *why);
/* Deletes a comment: its author, the list's owner or a sees_all actor. */
enum dbrc comments_delete(struct db *, const struct actor *, int64_t id);

/* The number of comments of a task (visibility is the caller's). */
enum dbrc comments_count(struct db *, int64_t task_id, int64_t *n);
/*
 * Calls fn for the task's comments, oldest first (by id), skipping offset
 * and at most limit of them; the strings are valid during the call only.
 */
enum dbrc comments_page(struct db *, int64_t task_id, int64_t limit, int64_t offset,
	    void (*fn)(void *, const struct comment *), void *ctx);

#endif
