/* digest: the daily digest of overdue and soon-due tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "digest.h"
#include "lists.h"
#include "notices.h"
#include "reminders.h"
#include "timeutil.h"
#include "tx.h"
#include "tz.h"
#include "user_settings.h"

#define DAY_US		INT64_C(86400000000)
#define USER_BATCH	256

/* The instant of local date (y, m, d) + add days at digest_min in z. */
static int64_t
local_at(const struct tz *z, int y, int m, int d, int add, int digest_min)
{
	struct tz_civil c;
	struct tm tm;
	time_t	 t;

	/* the calendar step by the C library, in UTC (no zone involved) */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + add;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	memset(&c, 0, sizeof(c));
	c.year = tm.tm_year + 1900;
	c.mon = tm.tm_mon + 1;
	c.day = tm.tm_mday;
	c.hour = digest_min / 60;
	c.min = digest_min % 60;
	return tz_from_civil(z, &c);
}

int
digest_when(const struct tz *z, int digest_min, const char *last, int64_t now,
    char today[DIGEST_DAY_BYTES], int64_t *next)
{
	struct tz_civil c;
	int64_t	 at;

	tz_to_civil(z, now, &c);
	snprintf(today, DIGEST_DAY_BYTES, "%04d-%02d-%02d", c.year % 10000, c.mon, c.day);
	at = local_at(z, c.year, c.mon, c.day, 0, digest_min);
	/* done today (or on a later day, when the zone moved west): tomorrow */
	if (last != NULL && *last != '\0' && strcmp(last, today) >= 0) {
		*next = local_at(z, c.year, c.mon, c.day, 1, digest_min);
		return 0;
	}
	if (now < at) {
		*next = at;
		return 0;
	}
	*next = local_at(z, c.year, c.mon, c.day, 1, digest_min);
	return 1;
}

/* A user with a digest, as the scan reads them. */
struct digest_user {
	int64_t		 id;
	const struct tz	*zone;		/* NULL: the server's */
	int		 digest_min;	/* -1: none (a malformed value) */
	char		 last[DIGEST_DAY_BYTES];
};

/* Reads up to USER_BATCH users with a digest and an id above after; *n of them. */
static enum dbrc
users_read(struct db *db, int64_t after, struct digest_user *u, int *n)
{
	static const char sql[] =
	    "SELECT id, time_zone, daily_digest_at, digest_last_day FROM users"
	    " WHERE daily_digest_at IS NOT NULL AND id > ? AND is_active = 1"
	    " ORDER BY id LIMIT ?";
	struct dbstmt *st = db_prep(db, sql);
	const char *last, *zone;
	int	 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, after);
	db_bind_int(st, 2, USER_BATCH);
	while ((rc = db_step(st)) == DB_ROW) {
		u[*n].id = db_col_i64(st, 0);
		zone = db_col_str(st, 1);
		u[*n].zone = zone != NULL ? tz_get(zone) : NULL;
		u[*n].digest_min = user_digest_parse(
		    db_col_str(st, 2));
		last = db_col_str(st, 3);
		snprintf(u[*n].last, sizeof(u[*n].last), "%s", last != NULL ? last : "");
		(*n)++;
	}
	return db_rc(db, db_done(st, rc), "digest users");
}

/* Writes the digest's lines for user_id into b; *lines of them. */
static enum dbrc
digest_text(struct db *db, int64_t user_id, const struct tz *z, int64_t now,
    const char *today, struct buf *b, int *lines)
{
	static const char sql[] =
	    "SELECT name, complete_before FROM tasks WHERE assigned_to = ?1"
	    " AND status <> 'Completed' AND complete_before < ?2"
	    " UNION ALL SELECT t.name, t.complete_before FROM tasks t"
	    " JOIN lists l ON l.id = t.list_id WHERE l.owner_id = ?1"
	    " AND t.assigned_to IS NULL AND t.status <> 'Completed'"
	    " AND t.complete_before < ?2 ORDER BY 2 LIMIT ?3";
	struct dbstmt *st = db_prep(db, sql);
	char	 when[REM_TIME_BYTES];
	int64_t	 due;
	int	 rc;

	*lines = 0;
	if (st == NULL)
		return DB_ERROR;
	db_bind_i64(st, 1, user_id);
	db_bind_i64(st, 2, now + DAY_US);
	db_bind_int(st, 3, DIGEST_MAX_LINES + 1);
	buf_printf(b, "Сводка на %s: просроченные задачи и задачи со сроком в ближайшие "
	    "24 часа", today);
	while ((rc = db_step(st)) == DB_ROW) {
		if (*lines == DIGEST_MAX_LINES) {
			buf_puts(b, "\n…и другие");
			break;
		}
		due = db_col_i64(st, 1);
		rem_format_time(z, due, when);
		buf_puts(b, "\n• '");
		buf_puts(b, db_col_text(st, 0));
		buf_printf(b, "' — %s%s", when, due <= now ? " (просрочена)" : "");
		(*lines)++;
	}
	return db_rc(db, db_done(st, rc == DB_ROW ? DB_DONE : rc), "digest tasks");
}

/* One user's digest and its day, in one transaction. */
static enum dbrc
digest_send(struct db *db, const struct digest_user *u, const struct tz *z,
    int64_t now, const char *today, int *queued)
{
	static const char sql[] = "UPDATE users SET digest_last_day = ? WHERE id = ?";
	struct buf b = { 0 };
	struct dbstmt *st;
	int	 lines = 0, own = 0;
	enum dbrc rc;

	*queued = 0;
	if ((rc = tx_open(db, &own)) != DB_OK)
		return rc;
	rc = digest_text(db, u->id, z, now, today, &b, &lines);
	if (rc == DB_OK && (b.oom || b.p == NULL))
		rc = DB_ERROR;
	/* an empty digest is not sent, but the day is done all the same */
	if (rc == DB_OK && lines > 0 && (rc = notices_outbox(db, u->id, b.p, now)) == DB_OK)
		*queued = 1;
	if (rc == DB_OK) {
		if ((st = db_prep(db, sql)) == NULL)
			rc = DB_ERROR;
		else {
			db_bind_text(st, 1, today);
			db_bind_i64(st, 2, u->id);
			rc = db_rc(db, db_done(st, db_step(st)), "digest day");
		}
	}
	buf_free(&b);
	return tx_close(db, own, rc);
}

enum dbrc
digest_run(struct db *db, int64_t now, const struct tz *zone, int64_t *sent,
    int64_t *next)
{
	struct digest_user *u;
	const struct tz *z;
	char	 today[DIGEST_DAY_BYTES];
	int64_t	 after = 0, at;
	int	 n = 0, i, queued;
	enum dbrc rc;

	*sent = 0;
	*next = TIME_NULL;
	if ((u = calloc(USER_BATCH, sizeof(*u))) == NULL)
		return DB_ERROR;
	do {
		if ((rc = users_read(db, after, u, &n)) != DB_OK)
			break;
		for (i = 0; i < n && rc == DB_OK; i++) {
			if (u[i].digest_min < 0)
				continue;
			z = u[i].zone != NULL ? u[i].zone : zone;
			if (digest_when(z, u[i].digest_min, u[i].last, now, today,
			    &at) && (rc = digest_send(db, &u[i], z, now, today,
			    &queued)) == DB_OK)
				*sent += queued;
			if (*next == TIME_NULL || at < *next)
				*next = at;
		}
		if (n > 0)
			after = u[n - 1].id;
	} while (rc == DB_OK && n == USER_BATCH);
	free(u);
	return rc;
}
