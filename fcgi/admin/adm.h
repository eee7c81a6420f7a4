/*
 * adm: what the admin page families share: the page context, rendering,
 * redirects, form reading with its CSRF check, pagination, ordering links,
 * and the handlers of each family (one file each).
 */
#ifndef TASKMGR_ADM_H
#define TASKMGR_ADM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"
#include "form.h"
#include "params.h"

struct req;

#define ADM_CSRF_FIELD	"csrfmiddlewaretoken"
#define ADM_MAX_FIELDS	1024	/* fields of one form post */
#define ADM_TIME_LEN	48	/* "YYYY-MM-DD HH:MM ", a zone's name or offset, NUL */

/*
 * A new page context (the caller owns it; adm_render frees it): prefix,
 * the logged-in user and CSRF token, title, the time_zone times are shown
 * in, and nav_<nav> set for the menu.
 * NULL when out of memory.
 */
cJSON	*adm_ctx(struct req *, const char *title, const char *nav);
/* Renders template name with ctx (freed here) as an HTML page; returns status, or 500. */
int	 adm_render(struct req *, int status, const char *name, cJSON *ctx);
/* 302 to admin_prefix + below (below has no leading slash). */
int	 adm_redirect(struct req *, const char *below);
/* The 404, 403 (CSRF) and storage failure pages; each returns the status. */
int	 adm_not_found(struct req *);
int	 adm_csrf_failed(struct req *);
int	 adm_dbfail(struct req *, enum dbrc);
/*
 * Decodes the posted form into f and checks its csrfmiddlewaretoken
 * against the session's token.  0, or the status of the error page it
 * rendered (400 for a malformed body, 403 for CSRF).
 */
int	 adm_read_form(struct req *, struct form *f);

/* A query parameter's value, or NULL (absent or empty). */
const char *adm_param(const struct req *, const char *key);
/* The 1-based page number of ?p= (1 when absent or invalid). */
int64_t	 adm_page(struct req *);
/*
 * Adds "pager" to ctx for count objects shown per page: {count, total
 * ("1 task", "2 tasks": adm_add_count with one and many), page, pages,
 * prev, next, links: [{n, url, current}]}.
 */
void	 adm_pager(struct req *, cJSON *ctx, int64_t count, int64_t page,
	    int64_t per, const char *one, const char *many);
/*
 * The current query string ("?..." or "") with key set to val (val NULL:
 * key removed), ?p= dropped unless key is "p", and the one-time message
 * flags saved and deleted dropped; arena-owned.
 */
const char *adm_qs(struct req *, const char *key, const char *val);
/*
 * The query of the list pages (users, lists, tasks): ?q= (search), ?p=
 * (page) and ?o= (ordering) are the first entries of each page's
 * parameter table (ADM_QUERY_PARAMS), its own filters follow.  A bad value
 * is never an error on these pages: it counts as absent.
 */
enum { ADM_Q, ADM_P, ADM_O, ADM_NQUERY };
#define ADM_P_MAX	(INT64_MAX / 1000 - 1)
#define ADM_QUERY_PARAMS \
	[ADM_Q] = { .name = "q", .kind = PK_TEXT, .flags = PF_QUIET }, \
	[ADM_P] = { .name = "p", .kind = PK_INT, .flags = PF_QUIET, \
	    .lo = 1, .hi = ADM_P_MAX, .digits = 19 }, \
	[ADM_O] = { .name = "o", .kind = PK_TEXT, .flags = PF_QUIET }

#define ADM_LISTING_MAX	8	/* parameters of a list page */

struct adm_listing {
	cJSON		*ctx;
	cJSON		*rows;		/* the "rows" array, or NULL */
	const char	*q;		/* NULL: no search */
	int64_t		 page;		/* 1-based */
	int64_t		 per, offset;	/* page_size rows from offset */
	int		 order;		/* the index adm_order picked */
	struct param_val v[ADM_LISTING_MAX];	/* the page's parameters, by its table */
};

/*
 * Begins a list page: reads the n (at most ADM_LISTING_MAX) parameters of
 * spec (ADM_QUERY_PARAMS first; NULL: those alone) into l->v, makes the
 * context (title, nav) and picks the ordering among cols (def when ?o= is
 * absent or unknown).  0, or 500.
 */
int	 adm_listing_begin(struct req *, struct adm_listing *, const char *title,
	    const char *nav, const char *const *cols, int def,
	    const struct param_spec *spec, size_t n);
/*
 * After the page's query answered rc (DB_INVALID: a search that matches
 * nothing): adds q, saved, deleted and the "rows" array to the context.
 * 0, or the status of the storage failure page it rendered (the context
 * freed).
 */
int	 adm_listing_rows(struct req *, struct adm_listing *, enum dbrc rc);
/* A new object appended to the rows, or NULL (out of memory). */
cJSON	*adm_listing_row(struct adm_listing *);
/* Adds the pager for count rows (one, many: adm_pager) and renders template tmpl. */
int	 adm_listing_end(struct req *, struct adm_listing *, int64_t count,
	    const char *one, const char *many, const char *tmpl);

/*
 * Picks the ordering of o (?o=) among the NULL-ended column keys ("name" or
 * "-name"); returns the index into a table of 2*ncols orderings (2*i
 * ascending, 2*i+1 descending), or def when absent or unknown.  Adds
 * "sort_<key>" to ctx for each column: {url, asc, desc}.
 */
int	 adm_order(struct req *, cJSON *ctx, const char *o, const char *const *cols,
	    int def);

/*
 * The one formatter of the times a page shows to its reader: "YYYY-MM-DD
 * HH:MM ZONE" in the reader's time zone (r->zone: the staff user's own,
 * else the time_zone setting) with the zone's abbreviation ("UTC", "CET",
 * "+05"), or its offset ("+0530") when the zone has none; "" for TIME_NULL.
 */
void	 adm_time(const struct req *, int64_t us, char out[ADM_TIME_LEN]);
/* The reader's local time as an <input type="datetime-local"> value "YYYY-MM-DDTHH:MM". */
void	 adm_time_input(const struct req *, int64_t us, char out[ADM_TIME_LEN]);
/* Adds key: the time as adm_time() shows it ("" for TIME_NULL). */
void	 adm_add_time(const struct req *, cJSON *obj, const char *key, int64_t us);
/* Adds key: "n one" when n is 1, else "n many" ("1 task", "0 tasks", "2 tasks"). */
void	 adm_add_count(cJSON *obj, const char *key, int64_t n, const char *one,
	    const char *many);
/* Adds key: an int64 as a string (exact beyond 2^53). */
void	 adm_add_id(cJSON *obj, const char *key, int64_t id);
/* Parses the hidden updated_at field (decimal microseconds); -1 when absent or bad. */
int64_t	 adm_parse_stamp(const char *);
/* Parses a form or query id; 0 when absent, -1 when not an id. */
int64_t	 adm_parse_id(const char *);

/* login.c */
int	 adm_login_get(struct req *);
int	 adm_login_post(struct req *);
int	 adm_logout(struct req *);
/* index.c */
int	 adm_index(struct req *);
/* users.c */
int	 adm_users(struct req *);
int	 adm_user_add(struct req *);
int	 adm_user_edit(struct req *);
int	 adm_user_password(struct req *);
int	 adm_user_unlink(struct req *);
/* user_tokens.c: adds "tokens" (the user's personal API tokens) and "has_tokens" to ctx */
enum dbrc adm_user_tokens(struct req *, cJSON *ctx, int64_t uid);
int	 adm_user_token_revoke(struct req *);
/* lists.c */
int	 adm_lists(struct req *);
int	 adm_list_add(struct req *);
int	 adm_list_edit(struct req *);
int	 adm_list_delete(struct req *);
/* members.c: the members of a list, on its edit page */
/* Adds "members" (and the outcome of the last change, ?members=) to a list page's ctx. */
enum dbrc adm_members_ctx(struct req *, cJSON *ctx, int64_t list_id);
int	 adm_list_member_add(struct req *);
int	 adm_list_member_edit(struct req *);
/* tasks.c */
int	 adm_tasks(struct req *);
int	 adm_tasks_bulk(struct req *);
int	 adm_task_add(struct req *);
int	 adm_task_edit(struct req *);
int	 adm_task_delete(struct req *);
/* task_notes.c: the task page's comments and history, and their posts */
/* Adds comments, comment_count, history and history_count of the task to ctx. */
enum dbrc adm_task_notes(struct req *, cJSON *ctx, int64_t task_id);
int	 adm_task_comment(struct req *);
int	 adm_comment_delete(struct req *);

#endif
