/*
 * auth_row: the user a credential belongs to, as the credential checks
 * (tokens_check_access, pats_check, sessions_check, tg_user_by_telegram)
 * select it and fill their principal from it, and the lookup by digest the
 * first three share.  Inline: a token lookup costs no extra call.
 */
#ifndef TASKMGR_AUTH_ROW_H
#define TASKMGR_AUTH_ROW_H

#include "arena.h"
#include "db.h"
#include "principal.h"
#include "tokens.h"
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

/* A credential lookup on its row: the statement and the digest bound to it. */
struct auth_lookup {
	struct dbstmt	*st;
	unsigned char	 digest[32];
};

/*
 * Steps sql, which selects a credential by ?1, the SHA-256 digest of tok,
 * among those still live at ?2, now.  DB_OK with l->st on the row (read it,
 * then auth_fill), DB_NOTFOUND when there is none, else DB_ERROR (logged
 * as what).
 */
static inline enum dbrc
auth_lookup(struct db *db, const char *sql, const char *tok, int64_t now,
    const char *what, struct auth_lookup *l)
{
	int	 rc;

	if ((l->st = db_prep_bound(db, sql)) == NULL)
		return DB_ERROR;
	token_digest(tok, l->digest);
	db_bind_blob(l->st, 1, l->digest, 32, DB_STATIC);
	db_bind_i64(l->st, 2, now);
	if ((rc = db_step(l->st)) != DB_ROW) {
		db_done(l->st, rc);
		return rc == DB_DONE ? DB_NOTFOUND : db_rc(db, rc, what);
	}
	return DB_OK;
}

/*
 * Ends a lookup: principal_fill from column col of its row, then the
 * statement reset.  DB_OK, or DB_ERROR when the copy failed.
 */
static inline enum dbrc
auth_fill(struct auth_lookup *l, struct principal *p, int col, enum auth_via via,
    struct arena *a)
{
	int	 rc = principal_fill(p, l->st, col, via, a);

	db_done(l->st, DB_ROW);
	return rc == 0 ? DB_OK : DB_ERROR;
}

#endif
