/* user_settings: a user's time zone, default reminder offsets and digest time. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "reminders.h"
#include "tx.h"
#include "tz.h"
#include "user_settings.h"

int
user_offsets_parse(const char *text, int out[USER_MAX_OFFSETS])
{
	const char	*p = text;
	int		 n = 0;
	long		 v;

	if (text == NULL) {
		out[0] = USER_DEFAULT_OFFSET;
		return 1;
	}
	while (*p == ' ')
		p++;
	if (*p++ != '[')
		return -1;
	while (*p == ' ')
		p++;
	if (*p == ']')
		return p[1] == '\0' ? 0 : -1;
	for (;;) {
		if (n == USER_MAX_OFFSETS || *p < '0' || *p > '9')
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (*p - '0')) > USER_OFFSET_MAX)
				return -1;
		if (v < 1)
			return -1;
		out[n++] = (int)v;
		while (*p == ' ')
			p++;
		if (*p == ']')
			break;
		if (*p++ != ',')
			return -1;
		while (*p == ' ')
			p++;
	}
	return p[1] == '\0' ? n : -1;
}

int
user_digest_parse(const char *s)
{
	int	 h, m;

	if (s == NULL || strlen(s) != 5 || s[2] != ':')
		return -1;
	if (s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	return h > 23 ? -1 : h * 60 + m;
}

void
user_digest_format(int m, char out[6])
{
	unsigned u = (unsigned)m % 1440;

	snprintf(out, 6, "%02u:%02u", u / 60, u % 60);
}

enum dbrc
user_time_get(struct db *db, int64_t id, const struct tz *dflt, struct user_time *out)
{
	static const char sql[] =
	    "SELECT time_zone, reminder_offsets, daily_digest_at FROM users WHERE id = ?";
	sqlite3_stmt	*st = db_prep(db, sql);
	const struct tz	*z;
	int		 rc;

	if (st == NULL)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st, rc);
		return rc == SQLITE_DONE ? DB_NOTFOUND : db_rc(db, rc, "user time settings");
	}
	z = tz_get((const char *)sqlite3_column_text(st, 0));
	out->zone = z != NULL ? z : dflt;
	out->own_zone = z != NULL;
	out->noffsets = user_offsets_parse((const char *)sqlite3_column_text(st, 1),
	    out->offsets);
	if (out->noffsets < 0)		/* cannot happen through the API: the default */
		out->noffsets = user_offsets_parse(NULL, out->offsets);
	out->digest_at = user_digest_parse((const char *)sqlite3_column_text(st, 2));
	db_done(st, rc);
	return DB_OK;
}

enum dbrc
user_time_update(struct db *db, int64_t id, const struct user_time_patch *p)
{
	static const char sql[] =
	    "UPDATE users SET"
	    " email = CASE WHEN ?1 <> 0 THEN ?2 ELSE email END,"
	    " time_zone = CASE WHEN ?3 <> 0 THEN ?4 ELSE time_zone END,"
	    " reminder_offsets = CASE WHEN ?5 <> 0 THEN ?6 ELSE reminder_offsets END,"
	    " daily_digest_at = CASE WHEN ?7 <> 0 THEN ?8 ELSE daily_digest_at END"
	    " WHERE id = ?9";
	sqlite3_stmt	*st = db_prep(db, sql);
	char		 offs[USER_MAX_OFFSETS * 8 + 3], hm[6];
	size_t		 len;
	int		 i, rc, own = 0;
	enum dbrc	 drc;

	if (st == NULL)
		return DB_ERROR;
	len = 0;
	offs[len++] = '[';
	for (i = 0; i < p->noffsets && i < USER_MAX_OFFSETS; i++)
		len += (size_t)snprintf(offs + len, sizeof(offs) - len, "%s%d",
		    i ? "," : "", p->offsets[i]);
	offs[len++] = ']';
	offs[len] = '\0';
	sqlite3_bind_int(st, 1, (p->set & UT_EMAIL) != 0);
	if (p->set & UT_EMAIL)
		db_bind_text(st, 2, p->email ? p->email : "");
	sqlite3_bind_int(st, 3, (p->set & UT_ZONE) != 0);
	if ((p->set & UT_ZONE) && p->zone != NULL)
		db_bind_text(st, 4, tz_name(p->zone));
	sqlite3_bind_int(st, 5, (p->set & UT_OFFSETS) != 0);
	if (p->set & UT_OFFSETS)
		db_bind_text(st, 6, offs);
	sqlite3_bind_int(st, 7, (p->set & UT_DIGEST) != 0);
	if ((p->set & UT_DIGEST) && p->digest_at >= 0) {
		user_digest_format(p->digest_at, hm);
		db_bind_text(st, 8, hm);
	}
	sqlite3_bind_int64(st, 9, id);
	if ((drc = tx_open(db, &own)) != DB_OK) {
		db_done(st, SQLITE_DONE);
		return drc;
	}
	rc = db_done(st, sqlite3_step(st));
	if (rc != SQLITE_DONE)
		drc = db_rc(db, rc, "user time settings update");
	else if (sqlite3_changes(db->h) == 0)
		drc = DB_NOTFOUND;
	/* new default offsets: the tasks that follow them are rescheduled */
	else if (p->set & UT_OFFSETS)
		drc = reminders_sync_recipient(db, id);
	return tx_close(db, own, drc);
}
