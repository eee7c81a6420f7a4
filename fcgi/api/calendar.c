/*
 * calendar: /api/auth/calendar/ (the caller's feed URL) and the feed
 * itself, GET /api/calendar/<secret>.ics, an RFC 5545 VCALENDAR with one
 * VEVENT per task with a deadline that the feed's owner sees.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "app.h"
#include "calendar.h"
#include "ical.h"
#include "page.h"
#include "request.h"
#include "timeutil.h"

#define FEED_PATH	"/api/calendar/"
#define FEED_PATH_LEN	(sizeof(FEED_PATH) - 1)

/* POST /api/auth/calendar/ -- a new feed URL (the old one stops working). */
static int
calendar_create(struct req *r)
{
	char	 tok[TOKEN_LEN + 1];
	enum dbrc rc;

	if ((rc = cal_feed_create(&r->app->db, r->user.id, tok)) != DB_OK)
		return api_dbfail(r, rc);
	buf_puts(&r->body_out, "{\"url\":\"");
	page_base_url(r, &r->body_out);
	buf_puts(&r->body_out, FEED_PATH);
	buf_puts(&r->body_out, tok);
	buf_puts(&r->body_out, ".ics\"}");
	memset(tok, 0, sizeof(tok));
	return 201;
}

int
api_calendar(struct req *r)
{
	enum dbrc rc;

	if (r->method == M_POST)
		return calendar_create(r);
	if ((rc = cal_feed_delete(&r->app->db, r->user.id)) != DB_OK)
		return api_dbfail(r, rc);
	return 204;
}

struct feed {
	struct buf	*b;
	const char	*host;		/* of UID */
	const char	*admin_base;	/* <base><admin_prefix>, or NULL: no URL */
	struct buf	 tmp;		/* one value being built */
};

/* Ends the value in f->tmp: its text ("" when memory ran out), tmp emptied for the next. */
static const char *
tmp_end(struct feed *f)
{
	f->tmp.len = 0;	/* the text stays NUL-terminated until the next write */
	return f->tmp.p != NULL ? f->tmp.p : "";
}

/*
 * STATUS of a VEVENT may only be TENTATIVE, CONFIRMED or CANCELLED (RFC
 * 5545 3.8.1.11).  A deadline that still asks for work (Pending, In
 * Progress, Overdue) is definite: CONFIRMED; a Completed task's deadline
 * no longer asks for anything: CANCELLED (clients show it struck out).
 */
static const char *
event_status(const char *task_status)
{
	return strcmp(task_status, "Completed") == 0 ? "CANCELLED" : "CONFIRMED";
}

/*
 * RRULE of a rule stepped from the deadline (one stepped from the
 * completion has no date a calendar could know).  The client steps it
 * from DTSTART, in UTC.  The rule's day of the month (its anchor's) past
 * the 28th is kept as "the last day up to it", as the rule does in a
 * shorter month: a 31st moved to February 28 goes on to March 31.
 */
static void
write_rrule(struct feed *f, const struct cal_event *e)
{
	static const char *const freq[] = { "DAILY", "WEEKLY", "MONTHLY", "YEARLY" };
	char	 until[ICAL_UTC_LEN];
	time_t	 t = (time_t)((e->rec_anchor != TIME_NULL ? e->rec_anchor : e->deadline) /
	    1000000);
	struct tm tm;
	int	 d;

	if (e->rec.every <= 0 || e->rec.from != RF_DEADLINE || e->rec.unit < RU_DAY ||
	    e->rec.unit > RU_YEAR)
		return;
	buf_printf(&f->tmp, "FREQ=%s;INTERVAL=%d", freq[e->rec.unit], e->rec.every);
	if (gmtime_r(&t, &tm) == NULL)
		tm.tm_mday = 1;
	if (tm.tm_mday > 28 && e->rec.unit == RU_MONTH) {
		buf_puts(&f->tmp, ";BYMONTHDAY=28");
		for (d = 29; d <= tm.tm_mday; d++)
			buf_printf(&f->tmp, ",%d", d);
		buf_puts(&f->tmp, ";BYSETPOS=-1");
	} else if (tm.tm_mday == 29 && tm.tm_mon == 1 && e->rec.unit == RU_YEAR)
		buf_puts(&f->tmp, ";BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1");
	if (e->rec.until != TIME_NULL) {
		ical_utc_value(e->rec.until, until);
		buf_printf(&f->tmp, ";UNTIL=%s", until);
	}
	ical_raw(f->b, "RRULE", tmp_end(f));
}

/* Writes one VEVENT, with a VALARM per reminder offset (TRIGGER -PT<minutes>M, before DTSTART). */
static void
write_event(void *ctx, const struct cal_event *e)
{
	struct feed *f = ctx;
	struct buf *b = f->b, *t = &f->tmp;
	int	 i;

	ical_raw(b, "BEGIN", "VEVENT");
	buf_printf(t, "task-%lld@%s", (long long)e->id, f->host);
	ical_text(b, "UID", tmp_end(f));
	ical_utc(b, "DTSTAMP", e->updated_at);
	ical_utc(b, "DTSTART", e->deadline);
	ical_raw(b, "DURATION", "PT15M");
	ical_text(b, "SUMMARY", e->name);
	buf_printf(t, "List: %s\nStatus: %s", e->list_name, e->status);
	if (*e->description != '\0')
		buf_printf(t, "\n\n%s", e->description);
	ical_text(b, "DESCRIPTION", tmp_end(f));
	ical_raw(b, "STATUS", event_status(e->status));
	ical_raw(b, "TRANSP", "TRANSPARENT");
	ical_utc(b, "CREATED", e->created_at);
	ical_utc(b, "LAST-MODIFIED", e->updated_at);
	if (f->admin_base != NULL) {
		buf_printf(t, "%stasks/%lld/", f->admin_base, (long long)e->id);
		ical_raw(b, "URL", tmp_end(f));
	}
	write_rrule(f, e);
	for (i = 0; i < e->nalarms; i++) {
		ical_raw(b, "BEGIN", "VALARM");
		ical_raw(b, "ACTION", "DISPLAY");
		ical_text(b, "DESCRIPTION", e->name);
		buf_printf(t, "-PT%dM", e->alarms[i]);
		ical_raw(b, "TRIGGER", tmp_end(f));
		ical_raw(b, "END", "VALARM");
	}
	ical_raw(b, "END", "VEVENT");
}

/* The host of base (scheme://host[:port]), into out. */
static void
base_host(const char *base, char *out, size_t outlen)
{
	const char *h = strstr(base, "://"), *e;
	size_t	 n;

	h = h != NULL ? h + 3 : base;
	if (*h == '[')
		e = strchr(h, ']') != NULL ? strchr(h, ']') + 1 : h + strlen(h);
	else
		e = strchr(h, ':') != NULL ? strchr(h, ':') : h + strlen(h);
	n = (size_t)(e - h) < outlen ? (size_t)(e - h) : outlen - 1;
	memcpy(out, h, n);
	out[n] = '\0';
}

/* Sets the ETag (a digest of the body) and answers 304 when If-None-Match has it. */
static int
feed_etag(struct req *r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	char	 tag[2 + 32 + 1];
	size_t	 i;

	token_digest_n(r->body_out.p, r->body_out.len, d);
	tag[0] = '"';
	for (i = 0; i < 16; i++) {
		tag[1 + 2 * i] = hex[d[i] >> 4];
		tag[2 + 2 * i] = hex[d[i] & 15];
	}
	tag[33] = '"';
	tag[34] = '\0';
	resp_header(r, "ETag", tag);
	if (r->if_none_match != NULL && (strstr(r->if_none_match, tag) != NULL ||
	    strcmp(r->if_none_match, "*") == 0)) {
		buf_reset(&r->body_out);
		return 304;
	}
	return 200;
}

/* GET /api/calendar/<secret>.ics -- the feed, no other authentication; 404 for a wrong secret. */
int
api_calendar_feed(struct req *r)
{
	struct app *app = r->app;
	struct feed f = { &r->body_out, NULL, NULL, { 0 } };
	struct buf base = { 0 };
	const char *tok = r->path + FEED_PATH_LEN;
	char	 key[ROUTER_KEY_MAX + 1], host[256];
	int64_t	 uid;
	size_t	 n = strcspn(tok, ".");
	enum dbrc rc;
	int	 staff, st = 500;

	if (strncmp(r->path, FEED_PATH, FEED_PATH_LEN) != 0 || n > ROUTER_KEY_MAX)
		return resp_detail(r, 404, "Not found.");
	memcpy(key, tok, n);
	key[n] = '\0';
	if ((rc = cal_feed_owner(&app->db, key, &uid, &staff)) != DB_OK)
		return api_dbfail(r, rc);
	page_base_url(r, &base);
	if (base.p == NULL)
		goto out;
	base_host(base.p, host, sizeof(host));
	f.host = host;
	if (staff) {
		buf_puts(&base, app->cfg.admin_prefix);
		f.admin_base = base.p;	/* base is not written to again */
	}
	ical_raw(&r->body_out, "BEGIN", "VCALENDAR");
	ical_raw(&r->body_out, "VERSION", "2.0");
	ical_raw(&r->body_out, "PRODID", "-//taskmgr//Task Manager//EN");
	ical_raw(&r->body_out, "CALSCALE", "GREGORIAN");
	ical_text(&r->body_out, "X-WR-CALNAME", "Task deadlines");
	if ((rc = cal_events(&app->db, uid, write_event, &f)) != DB_OK) {
		buf_reset(&r->body_out);
		st = api_dbfail(r, rc);
		goto out;
	}
	ical_raw(&r->body_out, "END", "VCALENDAR");
	r->out_type = "text/calendar; charset=utf-8";
	r->cache_control = "private, no-cache";
	st = feed_etag(r);
out:
	memset(key, 0, sizeof(key));
	buf_free(&f.tmp);
	buf_free(&base);
	return st;
}
