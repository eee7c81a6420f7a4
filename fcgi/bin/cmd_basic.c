/* cmd_basic: migrate, createsuperuser, check-config. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "app.h"
#include "commands.h"
#include "passwords.h"
#include "pgdb.h"
#include "username.h"
#include "users.h"

int
cmd_migrate(struct app *app, int argc, char *argv[])
{
	if (argc != 1)
		return usage_error("migrate", "unexpected argument '%s'", argv[1]);
	if (app->cfg.db_pg) {
#ifdef HAVE_POSTGRESQL
		return pg_migrate(app->cfg.database, stdout) == 0 ? 0 : 1;
#else
		fputs("taskmgr migrate: database is a PostgreSQL URI, but this build "
		    "has no PostgreSQL support: configure --with-postgresql\n", stderr);
		return 1;
#endif
	}
	/* migration 012 recomputes username keys through this SQL function */
	if (username_sql_register(&app->db) < 0) {
		fputs("taskmgr migrate: cannot define username_key()\n", stderr);
		return 1;
	}
	return db_migrate(&app->db, stdout) == 0 ? 0 : 1;
}

int
cmd_check_config(struct app *app, int argc, char *argv[])
{
	if (argc != 1)
		return usage_error("check-config", "unexpected argument '%s'", argv[1]);
	config_print(&app->cfg, stdout);
	return 0;
}

/* Reads one line from f into out without its newline; -1 on EOF or overflow. */
static int
read_line(FILE *f, char *out, size_t outlen)
{
	size_t	 n;

	if (fgets(out, (int)outlen, f) == NULL)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (!feof(f))
		return -1;
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

/* Prompts on the terminal with echo off. */
static int
prompt(const char *msg, char *out, size_t outlen)
{
	struct termios old, noecho;
	int	 rc;

	fputs(msg, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	rc = read_line(stdin, out, outlen);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

int
read_password(int from_stdin, char *out, size_t outlen)
{
	char	 again[1024];

	if (from_stdin)
		return read_line(stdin, out, outlen);
	if (!isatty(STDIN_FILENO)) {
		fputs("taskmgr: standard input is not a terminal: use --password-stdin\n", stderr);
		return -1;
	}
	if (prompt("Password: ", out, outlen) < 0 ||
	    prompt("Password (again): ", again, sizeof(again)) < 0)
		return -1;
	if (strcmp(out, again) != 0) {
		fputs("taskmgr: the passwords do not match\n", stderr);
		memset(again, 0, sizeof(again));
		return -1;
	}
	memset(again, 0, sizeof(again));
	return 0;
}

int
password_refused(const char *cmd, const char *pw, const char *username,
    const char *email)
{
	const char *msgs[PASSWORD_MAX_MSGS];
	int	 i, n = password_validate(pw, username, email, msgs);

	for (i = 0; i < n; i++)
		fprintf(stderr, "taskmgr %s: password refused: %s\n", cmd, msgs[i]);
	return n > 0;
}

int
cmd_createsuperuser(struct app *app, int argc, char *argv[])
{
	const char *username = NULL, *email = "";
	char	 pw[1024], phc[PASSWORD_PHC_MAX], name[USERNAME_BUF];
	int	 i, from_stdin = 0, rc = 1;
	int64_t	 id;
	enum dbrc drc;
	enum uname un;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--username") == 0 && i + 1 < argc)
			username = argv[++i];
		else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = 1;
		else
			return usage_error("createsuperuser", "%s '%s'", argv[i][0] == '-' ?
			    "unknown option" : "unexpected argument", argv[i]);
	}
	if (username == NULL || *username == '\0')
		return usage_error("createsuperuser", "--username is required");
	/* the API's rules: trimmed, NFKC, one script; the cleaned name is stored */
	if ((un = username_clean(username, name, sizeof(name))) != UNAME_OK) {
		fprintf(stderr, "taskmgr createsuperuser: username refused: %s\n",
		    username_message(un));
		return 1;
	}
	username = name;
	if (read_password(from_stdin, pw, sizeof(pw)) < 0) {
		fputs("taskmgr createsuperuser: no password read\n", stderr);
		goto out;
	}
	if (password_refused("createsuperuser", pw, username, email))
		goto out;
	if (password_hash(&app->cfg, pw, phc, sizeof(phc)) < 0) {
		fputs("taskmgr createsuperuser: hashing the password failed\n", stderr);
		goto out;
	}
	drc = users_create(&app->db, username, email, phc, 1, 1, &id);
	if (drc == DB_CONFLICT)
		fprintf(stderr, "taskmgr createsuperuser: a user named '%s' already exists\n", username);
	else if (drc != DB_OK)
		fprintf(stderr, "taskmgr createsuperuser: %s\n", db_strerror(drc));
	else {
		printf("created superuser '%s' (id %lld)\n", username, (long long)id);
		rc = 0;
	}
out:
	memset(pw, 0, sizeof(pw));
	return rc;
}
