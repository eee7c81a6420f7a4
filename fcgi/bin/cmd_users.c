/* cmd_users: passwd and users (list, deactivate, activate). */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "commands.h"
#include "passwords.h"
#include "sessions.h"
#include "textwidth.h"
#include "timeutil.h"
#include "tokens.h"
#include "users.h"

/* A stored text as the terminal may show it (textwidth.h); "?" when out of memory. */
static const char *
shown(struct arena *a, const char *s)
{
	const char *e = text_escape(a, s);

	return e != NULL ? e : "?";
}

/*
 * Sets a user's password after the password rules, and ends every login
 * and session of that user.  0 done, 1 failed, 2 bad usage.
 */
int
cmd_passwd(struct app *app, int argc, char *argv[])
{
	const char *username = NULL;
	struct arena a = { 0 };
	struct user u;
	char	 pw[1024], phc[PASSWORD_PHC_MAX];
	int	 i, from_stdin = 0, rc = 1;
	enum dbrc drc;

	pw[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = 1;
		else if (argv[i][0] != '-' && username == NULL)
			username = argv[i];
		else
			return usage_error("passwd", "%s '%s'", argv[i][0] == '-' ?
			    "unknown option" : "unexpected argument", argv[i]);
	}
	if (username == NULL)
		return usage_error("passwd", "USERNAME is required");
	if ((drc = users_find_by_name(&app->db, username, &a, &u)) != DB_OK) {
		if (drc == DB_NOTFOUND)
			fprintf(stderr, "taskmgr passwd: no user named '%s'\n", username);
		else
			fprintf(stderr, "taskmgr passwd: %s\n", db_strerror(drc));
		goto out;
	}
	if (read_password(from_stdin, pw, sizeof(pw)) < 0) {
		fputs("taskmgr passwd: no password read\n", stderr);
		goto out;
	}
	if (password_refused("passwd", pw, u.username, u.email))
		goto out;
	if (password_hash(&app->cfg, pw, phc, sizeof(phc)) < 0) {
		fputs("taskmgr passwd: hashing the password failed\n", stderr);
		goto out;
	}
	if ((drc = db_begin(&app->db)) != DB_OK ||
	    (drc = users_set_password(&app->db, u.id, phc)) != DB_OK ||
	    (drc = tokens_revoke_user(&app->db, u.id)) != DB_OK ||
	    (drc = sessions_delete_user(&app->db, u.id)) != DB_OK ||
	    (drc = db_commit(&app->db)) != DB_OK) {
		db_rollback(&app->db);
		fprintf(stderr, "taskmgr passwd: %s\n", db_strerror(drc));
		goto out;
	}
	printf("password of '%s' changed; its tokens and sessions were ended\n",
	    shown(&a, u.username));
	rc = 0;
out:
	memset(pw, 0, sizeof(pw));
	arena_free(&a);
	return rc;
}

/* Sets is_active of the named user; deactivating also ends its tokens and sessions. */
static int
set_active(struct app *app, const char *username, int active)
{
	struct arena a = { 0 };
	struct user u;
	enum dbrc drc;
	int	 rc = 1;

	if ((drc = users_find_by_name(&app->db, username, &a, &u)) != DB_OK) {
		if (drc == DB_NOTFOUND)
			fprintf(stderr, "taskmgr users: no user named '%s'\n", username);
		else
			fprintf(stderr, "taskmgr users: %s\n", db_strerror(drc));
		goto out;
	}
	if ((drc = db_begin(&app->db)) != DB_OK ||
	    (drc = users_set_active(&app->db, u.id, active)) != DB_OK ||
	    (!active && (drc = tokens_revoke_user(&app->db, u.id)) != DB_OK) ||
	    (!active && (drc = sessions_delete_user(&app->db, u.id)) != DB_OK) ||
	    (drc = db_commit(&app->db)) != DB_OK) {
		db_rollback(&app->db);
		fprintf(stderr, "taskmgr users: %s\n", db_strerror(drc));
		goto out;
	}
	printf(active ? "activated '%s'\n" :
	    "deactivated '%s'; its tokens and sessions were ended\n", shown(&a, u.username));
	rc = 0;
out:
	arena_free(&a);
	return rc;
}

/* Prints s and pads it with spaces to width columns (its display width, not its bytes). */
static void
put_padded(const char *s, size_t width)
{
	size_t	 w = text_width(s);

	fputs(s, stdout);
	for (; w < width; w++)
		putchar(' ');
}

/*
 * Prints every user, one line each, in username order; the username column
 * is as wide as the widest name on a terminal, so the columns after it line
 * up whatever the script (a CJK character takes two columns).  Names and
 * emails are printed escaped (text_escape): a control character in one
 * stored before the username rules shows as \x1b, it does not reach the
 * terminal.
 */
static int
list_users(struct app *app)
{
	struct arena a = { 0 };
	struct user_brief *rows;
	char	 when[RFC3339_LEN];
	int64_t	 count;
	size_t	 n, i, width = strlen("USERNAME"), w;
	enum dbrc drc;
	int	 rc = 1;

	if ((drc = users_search(&app->db, "", 0, INT64_MAX / 2, 0, &a, &count,
	    &rows, &n)) != DB_OK) {
		fprintf(stderr, "taskmgr users: %s\n", db_strerror(drc));
		goto out;
	}
	for (i = 0; i < n; i++) {
		rows[i].username = shown(&a, rows[i].username);
		rows[i].email = shown(&a, rows[i].email);
		if ((w = text_width(rows[i].username)) > width)
			width = w;
	}
	printf("%-6s ", "ID");
	put_padded("USERNAME", width);
	printf(" %-6s %-6s %-27s %s\n", "ACTIVE", "STAFF", "LAST LOGIN", "EMAIL");
	for (i = 0; i < n; i++) {
		if (rows[i].last_login == TIME_NULL)
			strcpy(when, "-");
		else
			rfc3339_format(rows[i].last_login, when);
		printf("%-6lld ", (long long)rows[i].id);
		put_padded(rows[i].username, width);
		printf(" %-6s %-6s %-27s %s\n", rows[i].is_active ? "yes" : "no",
		    rows[i].is_staff ? "yes" : "no", when,
		    *rows[i].email ? rows[i].email : "-");
	}
	rc = 0;
out:
	arena_free(&a);
	return rc;
}

/* taskmgr users [--deactivate USERNAME | --activate USERNAME] */
int
cmd_users(struct app *app, int argc, char *argv[])
{
	if (argc == 1)
		return list_users(app);
	if (argc == 3 && strcmp(argv[1], "--deactivate") == 0)
		return set_active(app, argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "--activate") == 0)
		return set_active(app, argv[2], 1);
	return usage_error("users", "one of --deactivate USERNAME or --activate USERNAME, at most");
}
