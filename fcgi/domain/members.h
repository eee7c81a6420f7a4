/*
 * members: shared lists -- a list's members and their roles, and the one
 * place that decides what a user may do with a list or a task.
 *
 * Roles: the owner; members, each a viewer or an editor (list_members,
 * sql/017_list_members.sql; the owner is never a member); or none.  An
 * actor with sees_all (staff on the admin pages) has the owner's role on
 * every list.
 *
 * The rules (API.md, "Shared lists"):
 *   - a list is seen by its owner and its members (role > ROLE_NONE);
 *   - only the owner renames or deletes it and manages its members; a
 *     member may leave;
 *   - a task is seen by whoever sees its list and by its assignee; viewers
 *     read; the assignee also updates and completes it (as before sharing);
 *     editors and the owner also create, delete and assign (task_access_for()).
 * A caller that does not see an object gets DB_NOTFOUND; one that sees it
 * but may not do what it asks gets DB_FORBIDDEN.
 *
 * Roles are read from the database in the caller's transaction every time
 * (nothing is cached), so a removed member is refused at their next request.
 *
 * h18act and later code: use list_role_of() / task_access_of() (or the SQL
 * of LIST_ROLE_SQL inside a statement that reads the row anyway).
 */
#ifndef TASKMGR_MEMBERS_H
#define TASKMGR_MEMBERS_H

#include <stdint.h>

#include "db.h"
#include "lists.h"

struct arena;

/* The caller's role on a list; ordered: a higher role may do more. */
enum list_role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_EDITOR, ROLE_OWNER };
/* "", "viewer", "editor", "owner", NULL: indexed by enum list_role. */
extern const char *const list_role_names[];

/* What the caller may do with a task; ordered like enum list_role. */
enum task_access {
	TA_NONE = 0,	/* not visible */
	TA_READ,	/* read (a viewer) */
	TA_WORK,	/* also update and complete (the assignee) */
	TA_EDIT,	/* also delete (an editor, the owner) */
};

/*
 * The SQL of the caller's role (an enum list_role) on the list of alias l,
 * where all is the SQL of the actor's sees_all and uid of its id (as
 * parameters, e.g. "?2", "?3").  A list without members costs its owner a
 * comparison; anyone else one probe of list_members' primary key.
 */
#define LIST_ROLE_SQL(l, all, uid) \
	"(CASE WHEN " all " <> 0 OR " l ".owner_id = " uid " THEN 3 ELSE coalesce(" \
	"(SELECT CASE m.role WHEN 'editor' THEN 2 ELSE 1 END FROM list_members m" \
	" WHERE m.list_id = " l ".id AND m.user_id = " uid "), 0) END)"

/* The one rule of tasks: the access of a caller with role on the task's list. */
static inline enum task_access
task_access_for(enum list_role role, int is_assignee)
{
	if (role >= ROLE_EDITOR)
		return TA_EDIT;
	if (is_assignee)
		return TA_WORK;
	return role == ROLE_VIEWER ? TA_READ : TA_NONE;
}

/* The actor's role on list_id into *role (ROLE_NONE: no such list, or not seen). */
enum dbrc list_role_of(struct db *, const struct actor *, int64_t list_id,
	    enum list_role *role);
/* The actor's access to task task_id into *acc (TA_NONE: no such task, or not seen). */
enum dbrc task_access_of(struct db *, const struct actor *, int64_t task_id,
	    enum task_access *acc);

/*
 * Writes a 'task_updated' event with action for each member of list_id
 * but skip1 and skip2 (who hear of it otherwise; 0: nobody), in the
 * caller's transaction.  Writers call it only for lists with members.
 */
enum dbrc members_task_event(struct db *, int64_t task_id, int64_t list_id,
	    const char *action, int64_t skip1, int64_t skip2, int64_t now);

struct member {
	int64_t		 user_id;
	const char	*username;
	enum list_role	 role;		/* ROLE_VIEWER or ROLE_EDITOR */
	int64_t		 added_at;
};

/* Why members_add refused (with DB_INVALID). */
enum member_rule {
	MR_OK = 0,
	MR_NO_USER,	/* no active user with that id or username */
	MR_IS_OWNER,	/* the list's owner cannot be a member */
	MR_ALREADY,	/* already a member */
};

/* A page callback: one member, valid only during the call. */
typedef void (*member_row_fn)(void *ctx, const struct member *);

/*
 * The members of a list the actor sees, oldest first, each passed to fn;
 * DB_NOTFOUND when the actor does not see the list.
 */
enum dbrc members_list(struct db *, const struct actor *, int64_t list_id,
	    member_row_fn fn, void *ctx);
/*
 * Adds the active user user_id (or, when username is not NULL, the user of
 * that name) to the list with role: the owner only (DB_FORBIDDEN for a
 * member, DB_NOTFOUND for anyone else).  DB_INVALID with *why.  The member
 * as stored into out (strings in the arena).
 */
enum dbrc members_add(struct db *, const struct actor *, int64_t list_id,
	    int64_t user_id, const char *username, enum list_role role,
	    enum member_rule *why, struct arena *, struct member *out);
/* Changes a member's role: the owner only; DB_NOTFOUND when user_id is no member. */
enum dbrc members_set_role(struct db *, const struct actor *, int64_t list_id,
	    int64_t user_id, enum list_role role, struct arena *, struct member *out);
/* Removes a member: the owner, or the member themselves (leaving). */
enum dbrc members_remove(struct db *, const struct actor *, int64_t list_id,
	    int64_t user_id);

/*
 * The tasks of the lists shared with uid (as a member) that are not
 * assigned to uid, newest first: their number into *count and to count_fn
 * (may be NULL), then at most limit of them passed to row_fn, each with
 * access set (TA_READ for a viewer, TA_EDIT for an editor).  One snapshot.
 * For the bot's /tasks.  The page reads at most limit tasks of each list,
 * newest first by the index tasks_list_created, and sorts only those: its
 * cost does not grow with the lists' sizes.
 */
struct task;
/* The page's statement (exposed for the tests' query-plan checks). */
extern const char members_shared_sql[];
enum dbrc members_shared_tasks(struct db *, int64_t uid, int64_t limit,
	    void (*count_fn)(void *ctx, int64_t count),
	    void (*row_fn)(void *ctx, const struct task *), void *ctx, int64_t *count);

#endif
