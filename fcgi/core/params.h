/*
 * params: declared query parameters.  An endpoint describes the parameters
 * it reads in a table (name, kind, bounds, choices); params_read walks the
 * table once, fills one result per entry and records DRF's field errors
 * (req_error) for the bad values.  Nothing is allocated, except by a text
 * entry's norm function.
 *
 * A repeated parameter counts by its first value (req_param); an empty
 * value counts as absent unless the entry has PF_EMPTY; values arrive
 * percent-decoded ('+' as a space) and may hold NUL bytes, which only a
 * text entry's raw value keeps (and then it is bad).
 */
#ifndef TASKMGR_PARAMS_H
#define TASKMGR_PARAMS_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct req;

enum param_kind {
	PK_INT,		/* decimal digits only, lo..hi, at most digits of them (0: any) */
	PK_ID,		/* a row id 1..INT64_MAX (up to 19 digits), or one of names */
	PK_CHOICE,	/* one of names, exactly */
	PK_TIME,	/* an RFC 3339 date-time, microseconds; a '+' sent unescaped
			   (decoded as ' ') in the offset is taken as '+' */
	PK_TEXT,	/* a NUL-free text, passed through norm when given */
};

#define PF_EMPTY	0x01	/* an empty value is read (and bad unless the kind takes it) */
#define PF_QUIET	0x02	/* a bad value records no error: the caller decides */
#define PF_BARRIER	0x04	/* the walk ends before this entry when an error was
				   recorded, and after it when its value is bad */

struct param_spec {
	const char	*name;
	enum param_kind	 kind;
	unsigned	 flags;
	int64_t		 lo, hi;	/* PK_INT */
	unsigned	 digits;	/* PK_INT: most digits, 0: any */
	/* PK_CHOICE, PK_ID: the spellings, NULL-ended; each one's value is
	 * values[i], or i when values is NULL (names indexed by an enum) */
	const char *const *names;
	const int	*values;
	/* PK_TEXT: the value to use, NULL when refused (may allocate) */
	char		*(*norm)(struct arena *, const char *);
	const char	*msg;		/* the error; NULL: the kind's usual one */
};

enum param_state {
	PS_ABSENT = 0,	/* not given (or empty without PF_EMPTY) */
	PS_SET,
	PS_BAD,		/* given and refused (an error recorded unless PF_QUIET) */
};

struct param_val {
	enum param_state state;
	int64_t		 n;	/* PK_INT, PK_ID, PK_TIME; PK_CHOICE and PK_ID names: the value */
	const char	*s;	/* the value as given (PK_TEXT: as norm made it) */
};

/*
 * The kinds' usual errors, as DRF words them.  A bad choice is "Select a
 * valid choice. <value> is not one of the available choices." (the value
 * when it is valid UTF-8 of at most 100 bytes without NUL, else "That
 * choice").
 */
#define PARAM_MSG_INT	"A valid integer is required."
#define PARAM_MSG_ID	"Select a valid choice. That choice is not one of the " \
	"available choices."
#define PARAM_MSG_TIME	"Enter a valid date/time."
#define PARAM_MSG_TEXT	"Enter a valid value."

/*
 * Reads the n parameters of spec from r's query into out[n] (an entry not
 * reached because of a PF_BARRIER is left PS_ABSENT).  Returns the number
 * of bad values.
 */
int	 params_read(struct req *, const struct param_spec *spec, size_t n,
	    struct param_val *out);

#endif
