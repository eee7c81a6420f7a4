/*
 * users: accounts.  Usernames are unique case-insensitively through the
 * username_key column (the folded username) and its unique index.
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

/* Case-folds a UTF-8 username into out (lowercase, Unicode-aware); -1 if it does not fit. */
int	 users_fold(const char *in, char *out, size_t outlen);
/* Inserts a user; DB_CONFLICT when the folded username exists. */
enum dbrc users_create(struct db *, const char *username, const char *email,
	    const char *phc, int is_staff, int is_superuser, int64_t *id);
/* Finds a user by username (case-insensitively); strings copied into the arena. */
enum dbrc users_find_by_name(struct db *, const char *username, struct arena *,
	    struct user *);
/* Replaces the password hash. */
enum dbrc users_set_password(struct db *, int64_t id, const char *phc);
/* Records a successful login time. */
enum dbrc users_touch_login(struct db *, int64_t id);

#endif
