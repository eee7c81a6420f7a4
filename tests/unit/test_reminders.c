/*
 * Unit tests: reminder scheduling (rem_plan, the offsets' rules,
 * reminders_sync on a temporary migrated database) and the daily digest's
 * day rule (digest_when) across DST in both hemispheres.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "digest.h"
#include "lists.h"
#include "reminders.h"
#include "tap.h"
#include "unit_db.h"
#include "tasks.h"
#include "timeutil.h"
#include "tz.h"
#include "username.h"
#include "users.h"

#define MIN	INT64_C(60000000)
#define HOUR	(60 * MIN)

static struct db db;

/* One integer from sql with one bound integer. */
static int64_t
q1(const char *sql, int64_t arg)
{
	return unit_q1(db.h, sql, arg);
}

static void
offsets_rules(void)
{
	int64_t	 v[6] = { 60, 1440, 5, 1, 525600, 7 };
	int	 off[REM_MAX_OFFSETS];
	char	 text[REM_TEXT_BYTES];

	is_int(rem_offsets_check(v, 5, text), REM_OK, "five offsets");
	is_str(text, "[60,1440,5,1,525600]", "canonical text, in the given order");
	is_int(rem_offsets_parse(text, off), 5, "read back");
	is_int(off[4], 525600, "... the last");
	is_int(rem_offsets_check(v, 0, text), REM_OK, "none");
	is_str(text, "[]", "... is []");
	is_int(rem_offsets_parse("[]", off), 0, "[] read back");
	is_int(rem_offsets_check(v, 6, text), REM_TOO_MANY, "six refused");
	v[0] = 0;
	is_int(rem_offsets_check(v, 1, text), REM_TOO_SMALL, "0 refused");
	v[0] = 525601;
	is_int(rem_offsets_check(v, 1, text), REM_TOO_BIG, "a year and a minute refused");
	v[0] = 5;
	is_int(rem_offsets_check(v, 3, text), REM_DUPLICATE, "twice the same refused");
	is_str(text, "", "... and no text");
	v[1] = 5;
	v[2] = 0;
	is_int(rem_offsets_check(v, 3, text), REM_TOO_SMALL,
	    "a value out of range is named before a duplicate (5, 5, 0)");
	v[1] = 7;
	v[2] = 5;
	is_int(rem_offsets_check(v, 3, text), REM_DUPLICATE, "a duplicate after another value");
	is_int(rem_offsets_parse(NULL, off), -1, "NULL is no list");
	is_int(rem_offsets_parse("[60,]", off), -1, "a trailing comma is no list");
	is_int(rem_offsets_parse("[1,2,3,4,5,6]", off), -1, "six is no list");
	is_int(rem_offsets_parse("[0]", off), -1, "0 is no offset");
	is_int(rem_offsets_parse("[60] ", off), -1, "trailing text is no list");
}

static void
plan_rules(void)
{
	struct rem_slot s[REM_MAX_OFFSETS];
	int	 off[2] = { 60, 1440 };
	int64_t	 now = INT64_C(1800000000000000);

	is_int(rem_plan(now + 2 * HOUR, TS_IN_PROGRESS, now, off, 2, s), 2, "two wanted");
	is_int(s[0].due_at, now + HOUR, "due an hour before");
	is_int(s[1].due_at, now + 2 * HOUR - 1440 * MIN, "... and a day before (already due)");
	is_int(rem_plan(now + 2 * HOUR, TS_COMPLETED, now, off, 2, s), 0,
	    "none for a completed task");
	is_int(rem_plan(now, TS_PENDING, now, off, 2, s), 0, "none at the deadline");
	is_int(rem_plan(now - 1, TS_OVERDUE, now, off, 2, s), 0, "none past it");
	is_int(rem_plan(TIME_NULL, TS_PENDING, now, off, 2, s), 0, "none without one");
	is_int(rem_plan(now + 2 * HOUR, TS_PENDING, now, off, 0, s), 0, "none for []");
}

/* The waiting rows of a task, and the sum of their offsets. */
static int64_t
waiting(int64_t task)
{
	return q1("SELECT count(*) FROM reminders WHERE task_id = ? AND state = 0", task);
}

static void
sync_rules(void)
{
	char	 path[] = "/tmp/taskmgr-unit-XXXXXX";
	struct actor alice, bob;
	struct task_input in;
	struct arena a = { 0 };
	enum rule why;
	int64_t	 al, bo, l1, id, stamp, d1, d2;

	if (unit_db_open(&db, path) < 0)
		return;
	users_create(&db, "alice", "", "", 0, 0, &al);
	users_create(&db, "bob", "", "", 0, 0, &bo);
	alice = (struct actor){ al, 0 };
	bob = (struct actor){ bo, 0 };
	is_int(lists_create(&db, al, "Home", &l1, &why), DB_OK, "list");

	memset(&in, 0, sizeof(in));
	in.set = TF_NAME | TF_DEADLINE;
	in.name = "Report";
	d1 = now_us() + 3 * HOUR;
	in.complete_before = d1;
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why, NULL, NULL), DB_OK, "created");
	is_int(waiting(id), 1, "the default reminder is scheduled");
	is_int(q1("SELECT recipient_id FROM reminders WHERE task_id = ?", id), al,
	    "... for the list's owner (unassigned)");
	is_int(q1("SELECT due_at FROM reminders WHERE task_id = ?", id), d1 - HOUR,
	    "... an hour before");

	/* the assignee becomes the recipient */
	stamp = q1("SELECT updated_at FROM tasks WHERE id = ?", id);
	memset(&in, 0, sizeof(in));
	in.set = TF_ASSIGNED_TO;
	in.assigned_to = bo;
	is_int(tasks_update_locked(&db, &alice, id, stamp, &in, &why, NULL, NULL), DB_OK,
	    "assigned");
	is_int(waiting(id), 1, "one reminder still");
	is_int(q1("SELECT recipient_id FROM reminders WHERE task_id = ?", id), bo,
	    "... now the assignee's");

	/* the recipient's own offsets, then the task's */
	db_exec(&db, "UPDATE users SET reminder_offsets = '[30,120]' WHERE username = 'bob'");
	is_int(reminders_sync_recipient(&db, bo), DB_OK, "the recipient's offsets changed");
	is_int(waiting(id), 2, "... two reminders");
	stamp = q1("SELECT updated_at FROM tasks WHERE id = ?", id);
	in.set = TF_REMINDERS;
	in.reminders = "[10]";
	is_int(tasks_update_locked(&db, &alice, id, stamp, &in, &why, NULL, NULL), DB_OK,
	    "the task's own list");
	is_int(q1("SELECT sum(offset_min) FROM reminders WHERE task_id = ? AND state = 0",
	    id), 10, "... replaces them");

	/* sent once: never again for that (deadline, offset, recipient) */
	db_exec(&db, "UPDATE reminders SET state = 1");
	stamp = q1("SELECT updated_at FROM tasks WHERE id = ?", id);
	d2 = d1 + HOUR;
	in.set = TF_DEADLINE;
	in.complete_before = d2;
	is_int(tasks_update_locked(&db, &alice, id, stamp, &in, &why, NULL, NULL), DB_OK,
	    "deadline moved");
	is_int(waiting(id), 1, "a reminder for the new deadline");
	is_int(q1("SELECT due_at FROM reminders WHERE task_id = ? AND state = 0", id),
	    d2 - 10 * MIN, "... at its time");
	stamp = q1("SELECT updated_at FROM tasks WHERE id = ?", id);
	in.complete_before = d1;
	is_int(tasks_update_locked(&db, &alice, id, stamp, &in, &why, NULL, NULL), DB_OK,
	    "deadline moved back");
	is_int(waiting(id), 0, "the sent one is not scheduled again");
	is_int(q1("SELECT count(*) FROM reminders WHERE task_id = ?", id), 1,
	    "... and the other waiting one is gone");

	/* completed: nothing waits */
	stamp = q1("SELECT updated_at FROM tasks WHERE id = ?", id);
	in.complete_before = d2 + HOUR;
	is_int(tasks_update_locked(&db, &alice, id, stamp, &in, &why, NULL, NULL), DB_OK,
	    "a third deadline");
	is_int(waiting(id), 1, "... scheduled");
	is_int(tasks_complete(&db, &alice, id, &why, NULL), DB_OK, "completed");
	is_int(waiting(id), 0, "a completed task has none");

	/* a recurring task completed: the next deadline's reminder */
	memset(&in, 0, sizeof(in));
	in.set = TF_NAME | TF_DEADLINE | TF_ASSIGNED_TO | TF_RECURRENCE;
	in.name = "Daily";
	in.complete_before = d1;
	in.assigned_to = bo;
	in.rec.every = 1;
	in.rec.unit = RU_DAY;
	in.rec.from = RF_DEADLINE;
	in.rec.until = TIME_NULL;
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why, NULL, NULL), DB_OK,
	    "a daily task");
	is_int(q1("SELECT min(deadline) FROM reminders WHERE task_id = ? AND state = 0", id),
	    d1, "... reminded before its deadline");
	is_int(tasks_complete(&db, &bob, id, &why, NULL), DB_OK, "completed once");
	is_int(waiting(id), 2, "... bob's two reminders wait");
	is_int(q1("SELECT count(*) FROM reminders r JOIN tasks t ON t.id = r.task_id"
	    " WHERE r.task_id = ? AND r.state = 0 AND r.deadline = t.complete_before", id), 2,
	    "... for the next deadline");
	ok(q1("SELECT complete_before FROM tasks WHERE id = ?", id) > d1, "... which is later");

	/* none: [] */
	memset(&in, 0, sizeof(in));
	in.set = TF_NAME | TF_DEADLINE | TF_REMINDERS;
	in.name = "Quiet";
	in.complete_before = d1;
	in.reminders = "[]";
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why, NULL, NULL), DB_OK, "[] created");
	is_int(waiting(id), 0, "... has none");
	in.reminders = "[0]";
	in.name = "Bad";
	is_int(tasks_create(&db, &alice, l1, &in, &id, &why, NULL, NULL), DB_INVALID,
	    "a bad list refused");

	unit_db_remove(&db, path);
	arena_free(&a);
}

/* The instant of a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tz_civil c = { .year = y, .mon = mo, .day = d, .hour = h, .min = mi };

	return tz_from_civil(tz_get("UTC"), &c);
}

/* How many digests go out when the worker looks every 10 minutes from a to b. */
static int
digests_between(const struct tz *z, int at_min, int64_t a, int64_t b, char *last)
{
	char	 today[DIGEST_DAY_BYTES];
	int64_t	 t, next;
	int	 n = 0;

	for (t = a; t < b; t += 10 * MIN)
		if (digest_when(z, at_min, last, t, today, &next)) {
			n++;
			snprintf(last, DIGEST_DAY_BYTES, "%s", today);
			ok(next > t, "next is later (%s)", today);
		}
	return n;
}

static void
digest_rules(void)
{
	const struct tz *berlin = tz_get("Europe/Berlin");
	const struct tz *sydney = tz_get("Australia/Sydney");
	char	 today[DIGEST_DAY_BYTES], last[DIGEST_DAY_BYTES] = "";
	int64_t	 next;

	ok(berlin != NULL && sydney != NULL, "zones");
	/* 2027-03-28: Berlin skips 02:00-03:00; a 02:30 digest comes at 03:30 CEST */
	is_int(digest_when(berlin, 150, "", utc(2027, 3, 28, 1, 29), today, &next), 0,
	    "gap day: not before 03:30 CEST");
	is_str(today, "2027-03-28", "... local date");
	is_int(next, utc(2027, 3, 28, 1, 30), "... due at 01:30 UTC");
	is_int(digest_when(berlin, 150, "", utc(2027, 3, 28, 1, 30), today, &next), 1,
	    "gap day: due then");
	is_int(digest_when(berlin, 150, "2027-03-28", utc(2027, 3, 28, 5, 0), today, &next),
	    0, "... once");
	is_int(next, utc(2027, 3, 29, 0, 30), "... next the day after, 02:30 CEST");
	/* 2027-10-31: 02:30 happens twice; the first counts, once */
	is_int(digest_when(berlin, 150, "2027-10-30", utc(2027, 10, 31, 0, 30), today,
	    &next), 1, "overlap day: the first 02:30");
	is_int(digest_when(berlin, 150, "2027-10-31", utc(2027, 10, 31, 1, 30), today,
	    &next), 0, "... not the second");
	/* one a day over a month around each change, in both hemispheres */
	last[0] = '\0';
	is_int(digests_between(berlin, 150, utc(2027, 3, 14, 0, 0), utc(2027, 4, 13, 0, 0),
	    last), 30, "Berlin, spring: 30 digests in 30 days");
	last[0] = '\0';
	is_int(digests_between(berlin, 150, utc(2027, 10, 16, 0, 0), utc(2027, 11, 15, 0, 0),
	    last), 30, "Berlin, autumn: 30 digests in 30 days");
	/*
	 * Sydney: back on 2027-04-04 03:00 -> 02:00, forward on 2027-10-03
	 * 02:00 -> 03:00; 14:00 UTC is 00:00 or 01:00 there, before 02:30
	 * (a first look after the digest's time that day sends it at once)
	 */
	last[0] = '\0';
	is_int(digests_between(sydney, 150, utc(2027, 3, 20, 14, 0), utc(2027, 4, 19, 14, 0),
	    last), 30, "Sydney, autumn: 30 digests in 30 days");
	last[0] = '\0';
	is_int(digests_between(sydney, 150, utc(2027, 9, 20, 14, 0), utc(2027, 10, 20, 14, 0),
	    last), 30, "Sydney, spring: 30 digests in 30 days");
	last[0] = '\0';
	is_int(digests_between(sydney, 150, utc(2027, 9, 20, 20, 0), utc(2027, 9, 21, 20, 0),
	    last), 2, "a first look after the digest's time sends that day's at once");
	is_int(digest_when(sydney, 150, "2027-10-02", utc(2027, 10, 2, 16, 29), today, &next),
	    0, "Sydney gap day: not before 03:30 AEDT");
	is_int(next, utc(2027, 10, 2, 16, 30), "... 16:30 UTC the day before");
}

int
main(void)
{
	offsets_rules();
	plan_rules();
	sync_rules();
	digest_rules();
	return tap_done();
}
