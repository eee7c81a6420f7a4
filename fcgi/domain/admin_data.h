/*
 * admin_data: the read queries of the admin pages (counts, recent changes,
 * every user, list and task page with search, filters and ordering) and
 * the user-admin write (email, staff, active).  Writes to lists and tasks
 * go through lists.h and tasks.h, never through here.
 */
#ifndef TASKMGR_ADMIN_DATA_H
#define TASKMGR_ADMIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "recurrence.h"
#include "users.h"

struct arena;

struct admq_counts {
	int64_t	 users, staff, active, linked;
	int64_t	 lists, tasks;
	int64_t	 pending, in_progress, completed, overdue;
	int64_t	 past_due;	/* deadline passed, not Completed */
};

/* Fills c with the counts shown on the admin index; now is the current time. */
enum dbrc admq_counts(struct db *, int64_t now, struct admq_counts *c);

enum admq_kind { ADMQ_LIST, ADMQ_TASK, ADMQ_USER };

struct admq_change {
	enum admq_kind	 kind;
	int		 deleted;	/* the object is gone; name is the one it had */
	int64_t		 id;
	const char	*name;
	const char	*where;		/* a task's list, a list's owner */
	int64_t		 updated_at;	/* or when it was deleted */
};

/*
 * The limit most recent changes, newest first (arena-owned): lists and
 * tasks by their updated_at, and the deletions of tasks, lists and users
 * (sql/010_deletions.sql).
 */
enum dbrc admq_recent(struct db *, struct arena *, size_t limit,
	    struct admq_change **out, size_t *n);

/* Orderings of admq_users: ASC/DESC pairs, in this order of columns. */
#define ADMQ_USER_COLS { "username", "email", "joined", "login", NULL }
enum admq_user_order {
	AU_USERNAME, AU_USERNAME_DESC, AU_EMAIL, AU_EMAIL_DESC,
	AU_JOINED, AU_JOINED_DESC, AU_LOGIN, AU_LOGIN_DESC,
	AU_DEFAULT = AU_USERNAME,
};

/*
 * A page of users whose folded username or email contains q (NULL: all),
 * ordered by ordering (an index as adm_order counts them), the total in
 * *count.  Rows are arena-owned; the password field is not read.
 */
enum dbrc admq_users(struct db *, struct arena *, const char *q,
	    enum admq_user_order ordering,
	    int64_t limit, int64_t offset, struct user **rows, size_t *n,
	    int64_t *count);
/* Sets a user's email, staff and active flags; DB_NOTFOUND for no such user. */
enum dbrc admq_user_update(struct db *, int64_t id, const char *email,
	    int is_staff, int is_active);

struct admq_choice {
	int64_t		 id;
	const char	*label;
};

/* Active users (id, username) by username, at most limit. */
enum dbrc admq_user_choices(struct db *, struct arena *, size_t limit,
	    struct admq_choice **out, size_t *n);
/* Every list (id, "name (owner)") by name, at most limit. */
enum dbrc admq_list_choices(struct db *, struct arena *, size_t limit,
	    struct admq_choice **out, size_t *n);

struct admq_list {
	int64_t		 id, owner_id;
	const char	*name, *owner;
	int64_t		 created_at, updated_at;
	int64_t		 ntasks;
	const char	*first;		/* the first three task names, ", "-joined */
};

#define ADMQ_LIST_COLS { "name", "owner", "tasks", "updated", NULL }
enum admq_list_order {
	AL_NAME, AL_NAME_DESC, AL_OWNER, AL_OWNER_DESC,
	AL_TASKS, AL_TASKS_DESC, AL_UPDATED, AL_UPDATED_DESC,
	AL_DEFAULT = AL_UPDATED_DESC,
};

/* A page of lists whose name contains q (case-insensitive, literal), with owner and task summary. */
enum dbrc admq_lists(struct db *, struct arena *, const char *q,
	    enum admq_list_order ordering,
	    int64_t limit, int64_t offset, struct admq_list **rows, size_t *n,
	    int64_t *count);
/* One list with its owner and summary. */
enum dbrc admq_list_get(struct db *, struct arena *, int64_t id, struct admq_list *);

struct admq_task {
	int64_t		 id, list_id, assigned_to;	/* 0: unassigned */
	int64_t		 complete_before;		/* TIME_NULL: none */
	int64_t		 created_at, updated_at;
	const char	*name, *description, *status;
	const char	*list_name, *owner, *assignee;	/* assignee NULL: none */
	struct recurrence rec;				/* rec.every 0: none */
	const char	*reminders;	/* its own offsets' text (reminders.h); NULL: the recipient's */
};

struct admq_task_filter {
	const char	*q;		/* name contains; NULL: any */
	const char	*status;	/* exact; NULL: any */
	int64_t		 list_id;	/* 0: any */
	int64_t		 assignee;	/* 0: any, -1: unassigned */
};

#define ADMQ_TASK_COLS { "id", "name", "list", "assignee", "deadline", \
	"status", "updated", NULL }
enum admq_task_order {
	AT_ID, AT_ID_DESC, AT_NAME, AT_NAME_DESC, AT_LIST, AT_LIST_DESC,
	AT_ASSIGNEE, AT_ASSIGNEE_DESC, AT_DEADLINE, AT_DEADLINE_DESC,
	AT_STATUS, AT_STATUS_DESC, AT_UPDATED, AT_UPDATED_DESC,
	AT_DEFAULT = AT_UPDATED_DESC,
};

/* A page of tasks matching f. */
enum dbrc admq_tasks(struct db *, struct arena *, const struct admq_task_filter *f,
	    enum admq_task_order ordering, int64_t limit, int64_t offset,
	    struct admq_task **rows,
	    size_t *n, int64_t *count);
/* One task with its list, owner and assignee names. */
enum dbrc admq_task_get(struct db *, struct arena *, int64_t id, struct admq_task *);

#endif
