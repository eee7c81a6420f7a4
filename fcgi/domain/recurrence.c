/* recurrence: stepping recurring deadlines in a time zone's civil time. */
#include <string.h>

#include "recurrence.h"
#include "timeutil.h"
#include "tz.h"

const char *const rec_unit_names[] = { "day", "week", "month", "year", NULL };
const char *const rec_from_names[] = { "deadline", "completion", NULL };

#define DAY_US		INT64_C(86400000000)
#define NEVER		INT64_MAX	/* an occurrence past the year 9999 */
#define YEAR_MAX	9999

int
rec_unit_of(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && rec_unit_names[i] != NULL; i++)
		if (strcmp(s, rec_unit_names[i]) == 0)
			return i;
	return -1;
}

int
rec_from_of(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && rec_from_names[i] != NULL; i++)
		if (strcmp(s, rec_from_names[i]) == 0)
			return i;
	return -1;
}

int
rec_same(const struct recurrence *a, const struct recurrence *b)
{
	if (a->every == 0 || b->every == 0)
		return a->every == b->every;
	return a->every == b->every && a->unit == b->unit && a->from == b->from &&
	    a->until == b->until;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
days_in_month(int64_t y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return n[m - 1];
}

int64_t
rec_anchor(const struct tz *z, int64_t us)
{
	struct tz_civil c;

	tz_to_civil(z, us, &c);
	return days_from_civil(c.year, c.mon, c.day) * DAY_US +
	    ((int64_t)c.hour * 3600 + c.min * 60 + c.sec) * 1000000 + c.usec;
}

/* Occurrence k as an instant, NEVER past the year YEAR_MAX. */
static int64_t
occurrence(const struct tz *z, const struct recurrence *r, int64_t anchor, int64_t k)
{
	struct tz_civil c;
	int64_t	 days = floor_div(anchor, DAY_US), tod = anchor - days * DAY_US;
	int64_t	 y, n, steps = k * r->every;
	int	 m, d, anchor_day;

	switch (r->unit) {
	case RU_DAY:
	case RU_WEEK:
		days += steps * (r->unit == RU_WEEK ? 7 : 1);
		civil_from_days(days, &y, &m, &d);
		break;
	default:
		civil_from_days(days, &y, &m, &d);
		anchor_day = d;
		if (r->unit == RU_MONTH) {
			n = y * 12 + (m - 1) + steps;
			y = floor_div(n, 12);
			m = (int)(n - y * 12) + 1;
		} else
			y += steps;
		if (y > YEAR_MAX)
			return NEVER;
		d = days_in_month(y, m);
		if (anchor_day < d)
			d = anchor_day;
		break;
	}
	if (y > YEAR_MAX)
		return NEVER;
	memset(&c, 0, sizeof(c));
	c.year = (int)y;
	c.mon = m;
	c.day = d;
	c.hour = (int)(tod / INT64_C(3600000000));
	c.min = (int)(tod / 60000000 % 60);
	c.sec = (int)(tod / 1000000 % 60);
	c.usec = (int)(tod % 1000000);
	return tz_from_civil(z, &c);
}

int64_t
rec_occurrence(const struct tz *z, const struct recurrence *r, int64_t anchor,
    int64_t k)
{
	int64_t	 t = occurrence(z, r, anchor, k);

	return t == NEVER ? TIME_NULL : t;
}

int64_t
rec_next_after(const struct tz *z, const struct recurrence *r, int64_t anchor,
    int64_t after)
{
	/* a unit's mean length: the guess is off by a step or two at most */
	static const int64_t unit_us[] = {
		DAY_US, 7 * DAY_US, INT64_C(2629746000000), INT64_C(31556952000000),
	};
	int64_t	 step = unit_us[r->unit] * r->every, k, t;

	if (r->every < 1 || r->unit < RU_DAY || r->unit > RU_YEAR)
		return TIME_NULL;
	/* anchor is local time: within a day of the instant it names */
	k = after > anchor ? (after - anchor) / step : 0;
	if (k < 1)
		k = 1;
	while (k > 1 && occurrence(z, r, anchor, k - 1) > after)
		k--;
	while ((t = occurrence(z, r, anchor, k)) <= after)
		k++;
	return t == NEVER ? TIME_NULL : t;
}

int64_t
rec_next(const struct tz *z, const struct recurrence *r, int64_t anchor,
    int64_t deadline, int64_t done)
{
	int64_t	 t;

	if (r->every < 1)
		return TIME_NULL;
	if (r->from == RF_COMPLETION)
		t = rec_occurrence(z, r, rec_anchor(z, done), 1);
	else
		t = rec_next_after(z, r, anchor, deadline > done ? deadline : done);
	if (t == TIME_NULL || (r->until != TIME_NULL && t > r->until))
		return TIME_NULL;
	return t;
}
