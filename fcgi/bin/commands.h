/*
 * commands: the subcommands of the taskmgr CLI.  Each gets the opened app
 * (or only its configuration, per its flags) and its own arguments
 * (argv[0] is the command name), and returns the process exit status:
 * 0 success, 1 failure, 2 bad usage.
 */
#ifndef TASKMGR_COMMANDS_H
#define TASKMGR_COMMANDS_H

#include <stdio.h>

struct app;

#define EXIT_USAGE 2

struct command {
	const char	*name;
	int		(*fn)(struct app *, int argc, char *argv[]);
	int		 app_flags;	/* APP_DB_CREATE, APP_NO_DB */
	int		 needs_schema;	/* refuse to run on an unmigrated database */
	/* the options it takes, space-separated; a trailing '=' means it takes a value */
	const char	*opts;
	const char	*arg;		/* the one argument it requires ("FILE"), or NULL: none */
	const char	*synopsis;	/* one line: "NAME ARGS -- what it does" */
	const char	*help;		/* the text of NAME --help */
};

extern const struct command commands[];

/*
 * Prints "taskmgr: CMD: <message>", the usage line of CMD and where its
 * help is, on stderr; returns EXIT_USAGE.
 */
int	 usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Reads a password: from stdin (one line) when from_stdin, else prompted twice without echo. */
int	 read_password(int from_stdin, char *out, size_t outlen);

/* Prints each password-rule message for pw as "taskmgr CMD: password refused: ..."; 1 if any. */
int	 password_refused(const char *cmd, const char *pw, const char *username,
	    const char *email);

int	 cmd_migrate(struct app *, int, char *[]);
int	 cmd_createsuperuser(struct app *, int, char *[]);
int	 cmd_check_config(struct app *, int, char *[]);
int	 cmd_backup(struct app *, int, char *[]);
int	 cmd_passwd(struct app *, int, char *[]);
int	 cmd_users(struct app *, int, char *[]);
int	 cmd_sweep(struct app *, int, char *[]);
int	 cmd_worker(struct app *, int, char *[]);
int	 cmd_bot(struct app *, int, char *[]);

#endif
