/*
 * username: what makes a string a username, and the key that finds it.
 *
 * A new name (register, admin form, createsuperuser) is trimmed of the
 * whitespace DRF's CharField trims, normalised to NFKC (as Django's
 * normalize_username), and refused when it is blank, longer than
 * USERNAME_MAX characters, holds other than letters, digits and @.+-_, or
 * mixes scripts (UTS #39 single-script: Latin with Cyrillic is refused;
 * digits and @.+-_ belong to every script; Han with kana or Hangul counts
 * as one).  The NFKC form is what is stored.
 *
 * Every lookup by name (login, search, admin, the CLI) compares keys: the
 * trimmed name's NFKC case fold (ICU's NFKC_Casefold, which also drops
 * invisible default-ignorable characters), with the Turkish dotless i and
 * dotted capital I folded to plain i.  So "ａｄｍｉｎ", "ADMIN" and "admın"
 * all have the key "admin".  ICU (libicu) does the Unicode work.
 */
#ifndef TASKMGR_USERNAME_H
#define TASKMGR_USERNAME_H

#include <stddef.h>

struct db;

#define USERNAME_MAX	150	/* characters, after normalisation */
#define USERNAME_BUF	1024	/* bytes: holds any valid name and its NUL */
#define USERNAME_KEY_BUF 2048	/* bytes: holds the key of any valid name */

enum uname {
	UNAME_OK,
	UNAME_BLANK,		/* nothing left after trimming */
	UNAME_LONG,		/* more than USERNAME_MAX characters */
	UNAME_CHARS,		/* other than letters, digits, @.+-_ */
	UNAME_MIXED		/* letters of more than one script */
};

/*
 * Makes the UTF-8 string in a username: trimmed, NFKC, checked as above.
 * UNAME_OK with the name in out (outlen >= USERNAME_BUF), else the reason.
 */
enum uname	 username_clean(const char *in, char *out, size_t outlen);
/* 1 when s is empty or whitespace only (blank once trimmed). */
int		 username_blank(const char *s);
/* The DRF-style message for a refused name (UNAME_OK: NULL). */
const char	*username_message(enum uname);
/*
 * Writes the key of name (any UTF-8 text: trimmed, then folded as above)
 * into out; 0, or -1 when name is not valid UTF-8 or too long to be the
 * name of any user (no user has that key).
 */
int		 username_key(const char *name, char *out, size_t outlen);
/* Defines the SQL function username_key(text) on db's connection (migrations). */
int		 username_sql_register(struct db *);

#endif
