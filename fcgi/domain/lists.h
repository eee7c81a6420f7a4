/*
 * lists: task lists and the rules shared by lists and tasks.
 *
 * Visibility: a list is seen by its owner and its members, and only the
 * owner renames or deletes it (members.h holds the rules of shared lists;
 * an actor with sees_all, e.g. a staff user on the admin pages, sees every
 * list as its owner).  A list the actor cannot see is DB_NOTFOUND, never
 * DB_FORBIDDEN, so existence is not leaked; a member who may not change it
 * gets DB_FORBIDDEN.
 * Names are 1-200 characters, unique per owner (unique index
 * lists_owner_name); name_key holds the folded name that search matches.
 * Text fields -- list and task names, task descriptions -- are stored
 * trimmed of leading and trailing whitespace, as DRF's CharField and
 * Django's form fields trim (utf8_strip: Python's str.strip()); every
 * writer below trims, so lengths count and uniqueness compares what is
 * left.
 * task_count is kept by triggers (sql/003_lists_tasks.sql).
 *
 * Writers open their own transaction unless the caller holds one (tx.h).
 * Strings of the structs filled by *_get_* live in the given arena; those
 * handed to a row callback live only until the callback returns.
 */
#ifndef TASKMGR_LISTS_H
#define TASKMGR_LISTS_H

#include <stdint.h>

#include "db.h"

struct arena;

#define NAME_MAX_CHARS	200	/* list and task names */
#define NAME_BYTES	(NAME_MAX_CHARS * 4 + 1)	/* the longest name, with its NUL */

/* Who acts: a user id (0: the system) and whether visibility rules are lifted. */
struct actor {
	int64_t		 id;
	int		 sees_all;
};

/* Why a domain rule refused a change (with DB_INVALID). */
enum rule {
	RULE_OK = 0,
	RULE_NAME_TAKEN,	/* the name exists in the same scope */
	RULE_BAD_VALUE,		/* a value outside its domain (length, UTF-8, status) */
	RULE_BAD_ASSIGNEE,	/* assigned_to is not an active user */
	RULE_NOT_COMPLETABLE,	/* complete asked of a task not In Progress */
	RULE_NEEDS_DEADLINE,	/* a recurring task without a deadline */
};

struct list {
	int64_t		 id;
	int64_t		 owner_id;
	const char	*name;
	const char	*owner_username;
	int64_t		 task_count;
	int64_t		 created_at;
	int64_t		 updated_at;
	int64_t		 member_count;
	int		 role;		/* the reader's enum list_role (members.h) */
};

/* A page callback: one list row, valid only during the call. */
typedef void (*list_row_fn)(void *ctx, const struct list *);

/* True when name, trimmed, is valid UTF-8 of 1..NAME_MAX_CHARS characters. */
int	 name_valid(const char *name);
/* Copies name trimmed into out (NAME_BYTES); 0, or -1 when name_valid() is not true. */
int	 name_clean(const char *name, char *out);
/*
 * Folds s for search (users_fold) into arena memory; NULL when s is not
 * valid UTF-8 or memory ran out.
 */
char	*search_key(struct arena *, const char *s);

/* Creates a list owned by owner_id; DB_INVALID with *why (NAME_TAKEN, BAD_VALUE). */
enum dbrc lists_create(struct db *, int64_t owner_id, const char *name,
	    int64_t *id, enum rule *why);
/* Reads a list the actor may see into l (strings in the arena); DB_NOTFOUND otherwise. */
enum dbrc lists_get_visible(struct db *, const struct actor *, int64_t id,
	    struct arena *, struct list *l);
/*
 * Renames a list the actor owns when its updated_at still equals expect (checked
 * and written in one transaction): DB_CONFLICT when it changed,
 * DB_NOTFOUND when not visible, DB_FORBIDDEN for a member, DB_INVALID
 * with *why.  name NULL keeps the
 * name and only bumps updated_at.  The new updated_at is max(now, old + 1).
 */
enum dbrc lists_update_locked(struct db *, const struct actor *, int64_t id,
	    int64_t expect, const char *name, enum rule *why);
/*
 * Deletes a list the actor owns and its tasks (FK cascade), writing a
 * 'deleted' task_updated event for each task's owner, assignee and the
 * list's members.  DB_FORBIDDEN for a member, DB_NOTFOUND for others.
 */
enum dbrc lists_delete(struct db *, const struct actor *, int64_t id);
/*
 * How many lists user uid sees (0: every list, for staff pages) whose name
 * contains key, a search_key() (NULL: no search; every character literal):
 * with role 0 (ROLE_NONE) those uid owns and those shared with uid, else
 * only those where uid has that enum list_role.
 */
enum dbrc lists_count(struct db *, int64_t uid, int role, const char *key,
	    int64_t *count);
/*
 * The same lists, newest first (created_at, id descending): limit rows from
 * offset, each passed to fn.  A user without shared lists reads exactly
 * what the lists they own cost before sharing.
 */
enum dbrc lists_page(struct db *, int64_t uid, int role, const char *key,
	    int64_t limit, int64_t offset, list_row_fn fn, void *ctx);

#endif
