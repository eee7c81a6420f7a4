/*
 * auth_row: the user a credential belongs to, as the credential checks
 * (tokens_check_access, pats_check, sessions_check, tg_user_by_telegram)
 * select it and fill their principal from it.  Inline: a token lookup costs
 * no extra call.
 */
#ifndef TASKMGR_AUTH_ROW_H
#define TASKMGR_AUTH_ROW_H

#include "arena.h"
#include "db.h"
#include "principal.h"
#include "tz.h"

/* The selected columns of the users row aliased u, in principal_fill's order. */
#define AUTH_USER_COLUMNS(u) \
	u ".id, " u ".username, " u ".is_staff, " u ".is_superuser, " u ".time_zone"

/*
 * Fills p's user from the AUTH_USER_COLUMNS starting at column col of st,
 * the username copied into a, and p->via.  0, or -1 when the copy failed
 * (then p->id is 0: nobody).
 */
static inline int
principal_fill(struct principal *p, struct dbstmt *st, int col, enum auth_via via,
    struct arena *a)
{
	p->id = db_col_i64(st, col);
	p->username = arena_strdup(a, db_col_text(st, col + 1));
	p->is_staff = db_col_int(st, col + 2);
	p->is_superuser = db_col_int(st, col + 3);
	p->zone = tz_get(db_col_str(st, col + 4));
	p->via = via;
	if (p->username == NULL) {
		p->id = 0;
		return -1;
	}
	return 0;
}

#endif
