/*
 * json: typed readers of JSON body fields that record DRF-style validation
 * errors on the request (req_error), and small writers into a struct buf.
 *
 * Readers return JR_OK when the field is present and valid (the value is
 * stored), JR_ABSENT when it is missing (or null where null is allowed: then
 * *isnull is set), and JR_BAD when it is present but invalid (an error has
 * been recorded under the field's name).  Strings stay owned by the cJSON tree.
 */
#ifndef TASKMGR_JSON_H
#define TASKMGR_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

struct req;
struct cJSON;

enum jr { JR_BAD = -1, JR_ABSENT = 0, JR_OK = 1, JR_NULL = 2 };

#define JF_REQUIRED	0x01	/* absent: "This field is required." */
#define JF_NULL		0x02	/* null allowed: returns JR_NULL */
#define JF_BLANK	0x04	/* empty string allowed */
#define JF_TRIM		0x08	/* leading and trailing whitespace dropped first (utf8_strip), as
				   DRF's CharField does: the blank and length checks see the rest */

/* Parses the request body as a JSON object into r->json; an HTTP status on failure (body set). */
int	 json_parse_body(struct req *);

enum jr	 jr_str(struct req *, const struct cJSON *obj, const char *key,
	    unsigned flags, size_t maxchars, const char **out);
enum jr	 jr_int(struct req *, const struct cJSON *obj, const char *key,
	    unsigned flags, int64_t *out);
enum jr	 jr_bool(struct req *, const struct cJSON *obj, const char *key,
	    unsigned flags, int *out);
enum jr	 jr_time(struct req *, const struct cJSON *obj, const char *key,
	    unsigned flags, int64_t *out);
/* A string that must be one of the NULL-ended choices; *out is its index. */
enum jr	 jr_choice(struct req *, const struct cJSON *obj, const char *key,
	    unsigned flags, const char *const *choices, int *out);

/*
 * Writers: "key": value pairs, each preceded by a comma unless first.  The
 * key must be a string literal (the macros take its length at compile
 * time) naming a plain identifier: it is written as it is, unescaped.
 */
void	 jw_key_(struct buf *, const char *key, size_t keylen, int *first);
void	 jw_str_(struct buf *, const char *key, size_t keylen, const char *v, int *first);
void	 jw_int_(struct buf *, const char *key, size_t keylen, int64_t v, int *first);
void	 jw_bool_(struct buf *, const char *key, size_t keylen, int v, int *first);
void	 jw_time_(struct buf *, const char *key, size_t keylen, int64_t us, int *first);
#define JW_KEY(k)		("" k), (sizeof(k) - 1)
#define jw_key(b, k, f)		jw_key_((b), JW_KEY(k), (f))
#define jw_str(b, k, v, f)	jw_str_((b), JW_KEY(k), (v), (f))
#define jw_int(b, k, v, f)	jw_int_((b), JW_KEY(k), (v), (f))
#define jw_bool(b, k, v, f)	jw_bool_((b), JW_KEY(k), (v), (f))
#define jw_time(b, k, v, f)	jw_time_((b), JW_KEY(k), (v), (f))	/* TIME_NULL: null */
#define jw_null(b, k, f)	jw_str_((b), JW_KEY(k), NULL, (f))

/* A time as a JSON value: "YYYY-MM-DDThh:mm:ss.uuuuuuZ", or null for TIME_NULL. */
void	 jw_time_value(struct buf *, int64_t us);

/*
 * Unchecked writers for hot paths: each writes at o and returns the end.
 * The caller reserved room first (buf_reserve): JW_RAW_INT_MAX for an
 * integer, JW_RAW_TIME_MAX for a time, 6 * n + 2 for a string of n bytes;
 * jw_raw_end() then sets the buffer's length.
 */
#define JW_RAW_INT_MAX	INT64_DEC_MAX
#define JW_RAW_TIME_MAX	29
#define JW_RAW_LIT(o, lit)	(memcpy((o), "" lit, sizeof(lit) - 1), (o) + sizeof(lit) - 1)
char	*jw_raw_int(char *o, int64_t v);
char	*jw_raw_time(char *o, int64_t us);	/* TIME_NULL: null */
char	*jw_raw_str(char *o, const char *s, size_t n);	/* NULL: null */
void	 jw_raw_end(struct buf *, char *o);

#endif
