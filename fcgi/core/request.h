/*
 * request: one HTTP request as the FastCGI params describe it, its response,
 * and the per-request context handlers receive.
 *
 * Everything a request allocates comes from r->arena or the response
 * buffers, and is released in one place, req_end(), at the bottom of the
 * accept loop.
 */
#ifndef TASKMGR_REQUEST_H
#define TASKMGR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "principal.h"

struct app;
struct cJSON;

enum method {
	M_GET = 1 << 0,
	M_POST = 1 << 1,
	M_PUT = 1 << 2,
	M_PATCH = 1 << 3,
	M_DELETE = 1 << 4,
	M_HEAD = 1 << 5,
	M_OPTIONS = 1 << 6,
	M_OTHER = 1 << 7,
};

struct kv {
	const char	*key;
	const char	*val;
	size_t		 vlen;	/* val may hold NUL bytes after percent-decoding */
};

/* One FastCGI parameter: name[0..nlen), value NUL-terminated (vlen bytes, or fewer up to a NUL). */
struct req_env {
	const char	*name;
	size_t		 nlen;
	const char	*value;
	size_t		 vlen;
};

#define REQ_MAX_IDS	4
#define REQ_MAX_PARAMS	64
#define REQ_MAX_COOKIES	32

struct req {
	struct app	*app;
	struct arena	 arena;

	enum method	 method;
	const char	*method_str;
	const char	*path;		/* raw path of REQUEST_URI, not decoded */
	const char	*query;		/* raw query string, "" when none */
	struct kv	 params[REQ_MAX_PARAMS];	/* decoded query parameters */
	size_t		 nparams;
	struct kv	 cookies[REQ_MAX_COOKIES];
	size_t		 ncookies;

	const char	*content_type;
	int64_t		 content_length;	/* -1: none given */
	const char	*authorization;
	const char	*host;		/* HTTP_HOST */
	const char	*server_port;
	const char	*remote_addr;
	const char	*user_agent;
	const char	*csrf_header;	/* X-CSRFToken */
	const char	*telegram_id;	/* X-Telegram-Id */
	const char	*tg_secret;	/* X-Telegram-Bot-Api-Secret-Token */
	const char	*referer;
	const char	*origin;
	const char	*if_none_match;	/* If-None-Match */
	int		 https;

	char		*body;		/* NUL-terminated, arena-owned */
	size_t		 body_len;
	struct cJSON	*json;		/* parsed JSON body object or NULL */
	struct cJSON	*errors;	/* validation errors collected by readers */

	int64_t		 ids[REQ_MAX_IDS];	/* {id} values of the matched route */
	size_t		 nids;
	const struct route *route;

	struct principal user;
	/* offset-less date-times are read in this zone (NULL: UTC); set by dispatch_run */
	const struct tz	*zone;

	/* response */
	int		 status;
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 body_out;
	const char	*out_type;	/* Content-Type; NULL: JSON */
	const char	*cache_control;	/* Cache-Control; NULL: no-store */
	int		 no_security_headers;
	int64_t		 started;	/* mono_us() at the start */
};

/*
 * Fills r from the FastCGI parameters env[0..n) (they must outlive r's
 * use).  Returns 0, or an HTTP status (400) when the params are unusable.
 */
int	 req_parse_params(struct req *, const struct req_env *env, size_t n);
/* req_parse_params from NAME=value strings, NULL-ended (at most 256 are read). */
int	 req_parse_env(struct req *, char **envp);
/* Decodes a query string into r->params; -1 when a percent-escape is bad or there are too many. */
int	 req_parse_query(struct req *, const char *qs);
/* Splits a Cookie header into r->cookies. */
void	 req_parse_cookies(struct req *, const char *hdr);
/* Percent-decodes n bytes of s ('+' as space when plus); NULL on a bad escape. */
char	*req_url_decode(struct arena *, const char *s, size_t n, int plus, size_t *outlen);

/* The first query parameter named key, or NULL. */
const struct kv *req_param(const struct req *, const char *key);
const char *req_cookie(const struct req *, const char *name);
/* Names an HTTP method; M_OTHER for anything unknown. */
enum method method_from_str(const char *);
const char *method_name(enum method);

/* Response helpers.  The body is written into r->body_out by the handler. */
void	 resp_header(struct req *, const char *name, const char *value);
/* Sets status and body {"detail": msg}. */
int	 resp_detail(struct req *, int status, const char *msg);
/* Sets status and body {key: msg}. */
int	 resp_kv(struct req *, int status, const char *key, const char *msg);
/* Sets 400 with the collected validation errors. */
int	 resp_errors(struct req *);
/* Records a validation message for field (DRF shape: field -> [messages]). */
void	 req_error(struct req *, const char *field, const char *msg);
/*
 * Makes the response an HTML page: Content-Type text/html; charset=utf-8
 * and the security headers every page carries (no framing, a CSP allowing
 * only the site's own styles and images and forms posting to itself, no
 * Referer to other sites).  Cache-Control: no-store is always sent.
 */
void	 resp_html(struct req *);
/* Sets status (302 or 303) and a Location header; the body is empty.  Returns status. */
int	 resp_redirect(struct req *, int status, const char *location);
/* Serializes the complete response (status line, headers, body) into out. */
void	 resp_serialize(struct req *, struct buf *out);
/* The reason phrase of an HTTP status. */
const char *http_reason(int status);

/* Releases everything the request holds and makes r ready for the next one. */
void	 req_end(struct req *);
/* Releases everything for good. */
void	 req_free(struct req *);

#endif
