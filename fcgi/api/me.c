/* me: GET, PATCH /api/auth/me/ -- the caller's account and time settings. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "json.h"
#include "reminders.h"
#include "request.h"
#include "tz.h"
#include "user_settings.h"
#include "users.h"

/* Writes the me object of the caller. */
static int
me_answer(struct req *r)
{
	struct user	 u;
	struct user_time ut;
	enum dbrc	 rc;
	char		 hm[6];
	int		 first = 1, i;

	if ((rc = users_get(&r->app->db, r->user.id, &r->arena, &u)) != DB_OK ||
	    (rc = user_time_get(&r->app->db, r->user.id, r->app->cfg.tz, &ut)) != DB_OK)
		return api_dbfail(r, rc);
	buf_putc(&r->body_out, '{');
	jw_int(&r->body_out, "id", u.id, &first);
	jw_str(&r->body_out, "username", u.username, &first);
	jw_str(&r->body_out, "email", u.email, &first);
	jw_bool(&r->body_out, "is_staff", u.is_staff, &first);
	jw_bool(&r->body_out, "telegram_linked", u.telegram_id != 0, &first);
	jw_time(&r->body_out, "date_joined", u.date_joined, &first);
	jw_str(&r->body_out, "time_zone", tz_name(ut.zone), &first);
	jw_key(&r->body_out, "reminder_offsets", &first);
	buf_putc(&r->body_out, '[');
	for (i = 0; i < ut.noffsets; i++)
		buf_printf(&r->body_out, "%s%d", i ? "," : "", ut.offsets[i]);
	buf_putc(&r->body_out, ']');
	if (ut.digest_at >= 0) {
		user_digest_format(ut.digest_at, hm);
		jw_str(&r->body_out, "daily_digest_at", hm, &first);
	} else
		jw_null(&r->body_out, "daily_digest_at", &first);
	buf_putc(&r->body_out, '}');
	return 200;
}

enum jr
api_read_offsets(struct req *r, const char *key, int *out, int *nout)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(r->json, key), *e;
	int64_t		 o[USER_MAX_OFFSETS];
	char		 msg[96], text[REM_TEXT_BYTES];
	enum rem_bad	 bad;
	int		 n = 0, i;
	double		 d;

	if (v == NULL)
		return JR_ABSENT;
	if (cJSON_IsNull(v))
		return JR_NULL;
	if (!cJSON_IsArray(v)) {
		req_error(r, key, "Expected a list of items.");
		return JR_BAD;
	}
	if (cJSON_GetArraySize(v) > USER_MAX_OFFSETS) {
		snprintf(msg, sizeof(msg), "Ensure this field has no more than %d elements.",
		    USER_MAX_OFFSETS);
		req_error(r, key, msg);
		return JR_BAD;
	}
	cJSON_ArrayForEach(e, v) {
		/* integers only: 1.5, "60", true are not */
		d = cJSON_IsNumber(e) ? e->valuedouble : 0.5;
		if (d != (double)(int64_t)d || d < -1e9 || d > 1e9) {
			req_error(r, key, "A valid integer is required.");
			return JR_BAD;
		}
		o[n++] = (int64_t)d;
	}
	/* the same check as the domain's (reminders.h) */
	if ((bad = rem_offsets_check(o, n, text)) != REM_OK) {
		if (bad == REM_DUPLICATE)
			snprintf(msg, sizeof(msg), "Offsets must be distinct.");
		else
			snprintf(msg, sizeof(msg), "Ensure each value is between 1 and %d.",
			    REM_MAX_MINUTES);
		req_error(r, key, msg);
		return JR_BAD;
	}
	for (i = 0; i < n; i++)
		out[i] = (int)o[i];
	*nout = n;
	return JR_OK;
}

/* PATCH /api/auth/me/ {email?, time_zone?, reminder_offsets?, daily_digest_at?} */
static int
me_update(struct req *r)
{
	struct user_time_patch p;
	const char	*s;
	char		 msg[160];
	enum jr		 jr;
	enum dbrc	 rc;

	memset(&p, 0, sizeof(p));
	if ((jr = jr_str(r, r->json, "email", JF_BLANK | JF_NULL | JF_TRIM, 254, &s)) == JR_OK ||
	    jr == JR_NULL) {
		if (jr == JR_OK && *s != '\0' && !users_valid_email(s))
			req_error(r, "email", "Enter a valid email address.");
		p.set |= UT_EMAIL;
		p.email = jr == JR_OK ? s : "";
	}
	if ((jr = jr_str(r, r->json, "time_zone", JF_NULL, 0, &s)) == JR_OK) {
		if ((p.zone = tz_get(s)) == NULL) {
			/* the name is echoed: JSON-escaped when written, cut to stay short */
			snprintf(msg, sizeof(msg), "Unknown time zone \"%.64s\".", s);
			req_error(r, "time_zone", msg);
		}
		p.set |= UT_ZONE;
	} else if (jr == JR_NULL)
		p.set |= UT_ZONE;	/* back to the server's */
	switch (api_read_offsets(r, "reminder_offsets", p.offsets, &p.noffsets)) {
	case JR_NULL:		/* back to the default */
		p.offsets[0] = USER_DEFAULT_OFFSET;
		p.noffsets = 1;
		/* FALLTHROUGH */
	case JR_OK:
		p.set |= UT_OFFSETS;
		break;
	default:
		break;
	}
	if ((jr = jr_str(r, r->json, "daily_digest_at", JF_NULL, 0, &s)) == JR_OK) {
		if ((p.digest_at = user_digest_parse(s)) < 0)
			req_error(r, "daily_digest_at",
			    "Time has wrong format. Use one of these formats instead: hh:mm.");
		p.set |= UT_DIGEST;
	} else if (jr == JR_NULL) {
		p.digest_at = -1;
		p.set |= UT_DIGEST;
	}
	if (r->errors != NULL)
		return resp_errors(r);
	if (p.set != 0 && (rc = user_time_update(&r->app->db, r->user.id, &p)) != DB_OK)
		return api_dbfail(r, rc);
	return me_answer(r);
}

int
api_me(struct req *r)
{
	if (r->method == M_PATCH)
		return me_update(r);
	return me_answer(r);
}
