/*
 * users: accounts.  Usernames are unique through the username_key column
 * (username_key() of username.h: NFKC case fold) and its unique index;
 * callers pass new names through username_clean() first.
 */
#ifndef TASKMGR_USERS_H
#define TASKMGR_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct arena;

struct user {
	int64_t		 id;
	const char	*username;
	const char	*email;
	const char	*password;	/* PHC string */
	int		 is_staff, is_superuser, is_active;
	int64_t		 telegram_id;	/* 0: not linked */
	int64_t		 date_joined;
	int64_t		 last_login;	/* TIME_NULL: never */
};

/* A row of a user list. */
struct user_brief {
	int64_t		 id;
	const char	*username;
	const char	*email;
	int		 is_active, is_staff;
	int64_t		 last_login;	/* TIME_NULL: never */
};

/* 1 when name is 1+ letters, digits or @.+-_ (Unicode letters and digits count). */
int	 users_valid_name(const char *name);
/* 1 when e looks like a deliverable address: dot-atom local part, a domain with an alphabetic TLD. */
int	 users_valid_email(const char *e);
/*
 * Case-folds UTF-8 text (list and task names) into out (lowercase,
 * Unicode-aware); -1 if it does not fit.  Usernames use username_key().
 */
int	 users_fold(const char *in, char *out, size_t outlen);
/* Inserts a user; DB_CONFLICT when the username's key exists. */
enum dbrc users_create(struct db *, const char *username, const char *email,
	    const char *phc, int is_staff, int is_superuser, int64_t *id);
/* Finds a user by username (by its key); strings copied into the arena. */
enum dbrc users_find_by_name(struct db *, const char *username, struct arena *,
	    struct user *);
/* Finds a user by id; strings copied into the arena. */
enum dbrc users_get(struct db *, int64_t id, struct arena *, struct user *);
/*
 * Counts the users whose key contains q's key (% and _
 * match themselves), only active ones when active_only, and returns the
 * page [offset, offset+limit) ordered by username, rows in the arena.
 */
enum dbrc users_search(struct db *, const char *q, int active_only, int64_t limit,
	    int64_t offset, struct arena *, int64_t *count, struct user_brief **rows,
	    size_t *n);
/* Sets is_active; DB_NOTFOUND when there is no such user. */
enum dbrc users_set_active(struct db *, int64_t id, int active);
/* Replaces the password hash. */
enum dbrc users_set_password(struct db *, int64_t id, const char *phc);
/* Records a successful login time. */
enum dbrc users_touch_login(struct db *, int64_t id);

#endif
