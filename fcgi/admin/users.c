/* users: the user admin pages: list, add, edit, password reset, Telegram unlink. */
#include <stdio.h>
#include <string.h>

#include "adm.h"
#include "admin_data.h"
#include "app.h"
#include "json.h"
#include "passwords.h"
#include "request.h"
#include "sessions.h"
#include "telegram_link.h"
#include "timeutil.h"
#include "tz.h"
#include "tokens.h"
#include "tx.h"
#include "user_settings.h"
#include "username.h"
#include "users.h"

/* GET users/?q=&o=&p= */
int
adm_users(struct req *r)
{
	static const char *const cols[] = ADMQ_USER_COLS;
	struct adm_listing l;
	struct user *rows = NULL;
	int64_t	 count = 0;
	size_t	 n = 0, i;
	cJSON	*o;
	int	 st;

	if ((st = adm_listing_begin(r, &l, "Users", "users", cols, AU_DEFAULT, NULL, 0)) != 0)
		return st;
	if ((st = adm_listing_rows(r, &l, admq_users(&r->app->db, &r->arena, l.q,
	    (enum admq_user_order)l.order, l.per, l.offset, &rows, &n, &count))) != 0)
		return st;
	for (i = 0; i < n && (o = adm_listing_row(&l)) != NULL; i++) {
		adm_add_id(o, "id", rows[i].id);
		cJSON_AddStringToObject(o, "username", rows[i].username);
		cJSON_AddStringToObject(o, "email", rows[i].email);
		cJSON_AddBoolToObject(o, "is_staff", rows[i].is_staff);
		cJSON_AddBoolToObject(o, "is_active", rows[i].is_active);
		cJSON_AddBoolToObject(o, "linked", rows[i].telegram_id != 0);
		adm_add_time(r, o, "joined", rows[i].date_joined);
		adm_add_time(r, o, "login", rows[i].last_login);
	}
	return adm_listing_end(r, &l, count, "user", "users", "users");
}

/* Records msg for field in the errors object of ctx. */
static void
field_error(cJSON *ctx, const char *field, const char *msg)
{
	cJSON	*e = cJSON_GetObjectItemCaseSensitive(ctx, "errors");

	if (e == NULL && (e = cJSON_AddObjectToObject(ctx, "errors")) == NULL)
		return;
	if (cJSON_GetObjectItemCaseSensitive(e, field) == NULL)
		cJSON_AddStringToObject(e, field, msg);
}

/* Checks a new password and its repetition; 1 when acceptable (errors added to ctx otherwise). */
static int
password_ok(cJSON *ctx, const char *pw1, const char *pw2, const char *username,
    const char *email)
{
	const char *msgs[PASSWORD_MAX_MSGS];
	int	 n;

	if (pw1 == NULL || *pw1 == '\0') {
		field_error(ctx, "password1", "This field is required.");
		return 0;
	}
	if (pw2 == NULL || strcmp(pw1, pw2) != 0) {
		field_error(ctx, "password2", "The two password fields didn't match.");
		return 0;
	}
	if (strlen(pw1) > 4096 || !utf8_valid(pw1, strlen(pw1))) {
		field_error(ctx, "password1", "Enter a valid password.");
		return 0;
	}
	if ((n = password_validate(pw1, username, email, msgs)) > 0) {
		field_error(ctx, "password1", msgs[0]);
		return 0;
	}
	return 1;
}

/* Checks an email field (may be empty); 1 when acceptable. */
static int
email_ok(cJSON *ctx, const char *email)
{
	if (email == NULL || *email == '\0')
		return 1;
	if (strlen(email) > 254 || !utf8_valid(email, strlen(email)) ||
	    !users_valid_email(email)) {
		field_error(ctx, "email", "Enter a valid email address.");
		return 0;
	}
	return 1;
}

/* Adds the typed values of the add form to ctx (never the passwords). */
static void
add_values(cJSON *ctx, const char *username, const char *email, int staff, int active)
{
	cJSON	*f = cJSON_AddObjectToObject(ctx, "form");

	cJSON_AddStringToObject(f, "username", username ? username : "");
	cJSON_AddStringToObject(f, "email", email ? email : "");
	cJSON_AddBoolToObject(f, "is_staff", staff);
	cJSON_AddBoolToObject(f, "is_active", active);
}

/* GET, POST users/add/ */
int
adm_user_add(struct req *r)
{
	const char *username = NULL, *email = NULL, *pw1, *pw2;
	char	 phc[PASSWORD_PHC_MAX], loc[48], name[USERNAME_BUF];
	struct form f;
	struct user u;
	enum uname un;
	int	 st, staff = 0, active = 1, good = 1;
	int64_t	 id;
	enum dbrc rc;
	cJSON	*ctx;

	if ((ctx = adm_ctx(r, "Add user", "users")) == NULL)
		return 500;
	cJSON_AddTrueToObject(ctx, "adding");
	if (r->method != M_POST) {
		add_values(ctx, NULL, NULL, 0, 1);
		return adm_render(r, 200, "user_form", ctx);
	}
	if ((st = adm_read_form(r, &f)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	username = form_get(&f, "username");
	email = form_get(&f, "email");
	pw1 = form_get(&f, "password1");
	pw2 = form_get(&f, "password2");
	staff = form_has(&f, "is_staff");
	active = form_has(&f, "is_active");
	/* the name stored is the cleaned one (trimmed, NFKC: username.h) */
	if (username == NULL || username_blank(username)) {
		field_error(ctx, "username", "This field is required.");
		good = 0;
	} else if ((un = username_clean(username, name, sizeof(name))) != UNAME_OK) {
		field_error(ctx, "username", username_message(un));
		good = 0;
	} else if ((rc = users_find_by_name(&r->app->db, name, &r->arena, &u)) == DB_OK) {
		field_error(ctx, "username", "A user with that username already exists.");
		good = 0;
	} else if (rc != DB_NOTFOUND) {
		cJSON_Delete(ctx);
		return adm_dbfail(r, rc);
	}
	good &= email_ok(ctx, email);
	good &= password_ok(ctx, pw1, pw2, good ? name : NULL, email);
	if (good) {
		if (password_hash(&r->app->cfg, pw1, phc, sizeof(phc)) < 0) {
			cJSON_Delete(ctx);
			return 500;
		}
		rc = users_create(&r->app->db, name, email ? email : "", phc,
		    staff, 0, &id);
		if (rc == DB_OK && !active)
			rc = admq_user_update(&r->app->db, id, email ? email : "", staff, 0);
		if (rc == DB_OK) {
			cJSON_Delete(ctx);
			snprintf(loc, sizeof(loc), "users/%lld/?saved=1", (long long)id);
			return adm_redirect(r, loc);
		}
		if (rc != DB_CONFLICT) {
			cJSON_Delete(ctx);
			return adm_dbfail(r, rc);
		}
		field_error(ctx, "username", "A user with that username already exists.");
	}
	cJSON_AddTrueToObject(ctx, "has_errors");
	add_values(ctx, username, email, staff, active);
	return adm_render(r, 200, "user_form", ctx);
}

/*
 * Adds the user's time settings: the zone field (the name typed, else the
 * stored one, "" for the server's), the default and, read only, the reminder
 * offsets and digest time.
 */
static void
time_values(struct req *r, cJSON *ctx, cJSON *f, int64_t uid, const char *typed)
{
	struct user_time ut;
	struct buf	 b = { 0 };
	char		 hm[6];
	int		 i;

	cJSON_AddStringToObject(ctx, "default_zone", r->app->cfg.time_zone);
	if (user_time_get(&r->app->db, uid, NULL, &ut) != DB_OK) {
		cJSON_AddStringToObject(f, "time_zone", typed ? typed : "");
		return;
	}
	cJSON_AddStringToObject(f, "time_zone", typed ? typed : ut.zone ? tz_name(ut.zone) : "");
	for (i = 0; i < ut.noffsets; i++)
		buf_printf(&b, "%s%d", i ? ", " : "", ut.offsets[i]);
	cJSON_AddStringToObject(ctx, "reminder_offsets", b.p && !b.oom ? b.p : "none");
	buf_free(&b);
	if (ut.digest_at >= 0) {
		user_digest_format(ut.digest_at, hm);
		cJSON_AddStringToObject(ctx, "daily_digest_at", hm);
	}
}

/* Fills ctx with what the edit page shows of u (zone: the name typed, or NULL). */
static void
user_values(struct req *r, cJSON *ctx, const struct user *u, const char *email, int staff,
    int active, const char *zone)
{
	cJSON	*f = cJSON_AddObjectToObject(ctx, "form");

	adm_add_id(ctx, "id", u->id);
	cJSON_AddStringToObject(ctx, "username_shown", u->username);
	adm_add_time(r, ctx, "joined", u->date_joined);
	adm_add_time(r, ctx, "login", u->last_login);
	cJSON_AddBoolToObject(ctx, "linked", u->telegram_id != 0);
	if (u->telegram_id != 0)
		adm_add_id(ctx, "telegram_id", u->telegram_id);
	cJSON_AddStringToObject(f, "email", email);
	cJSON_AddBoolToObject(f, "is_staff", staff);
	cJSON_AddBoolToObject(f, "is_active", active);
	time_values(r, ctx, f, u->id, zone);
}

/* Ends every session and token of uid (inside the caller's transaction). */
static enum dbrc
log_out_everywhere(struct db *db, int64_t uid)
{
	enum dbrc rc;

	if ((rc = sessions_delete_user(db, uid)) != DB_OK)
		return rc;
	return tokens_revoke_user(db, uid);
}

/*
 * Saves the edit form in one transaction; p: the time zone when the form
 * had the field (p->zone NULL: the server's).  DB_OK or the failure.
 */
static enum dbrc
user_save(struct db *db, const struct user *u, const char *email, int staff, int active,
    const struct user_time_patch *p)
{
	enum dbrc rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = admq_user_update(db, u->id, email, staff, active)) == DB_OK && p->set != 0)
		rc = user_time_update(db, u->id, p);
	if (rc == DB_OK && u->is_active && !active)
		rc = log_out_everywhere(db, u->id);
	return tx_close(db, 1, rc);
}

/* GET, POST users/{id}/ */
int
adm_user_edit(struct req *r)
{
	const char *email, *zname;
	struct user_time_patch zp = { 0 };
	struct form f;
	struct user u;
	enum dbrc rc;
	int	 st, staff, active, good = 1;
	char	 loc[48];
	cJSON	*ctx;

	if ((rc = users_get(&r->app->db, r->ids[0], &r->arena, &u)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Change user", "users")) == NULL)
		return 500;
	if ((rc = adm_user_tokens(r, ctx, u.id)) != DB_OK) {
		cJSON_Delete(ctx);
		return adm_dbfail(r, rc);
	}
	if (r->method != M_POST) {
		if (adm_param(r, "saved") != NULL)
			cJSON_AddTrueToObject(ctx, "saved");
		user_values(r, ctx, &u, u.email, u.is_staff, u.is_active, NULL);
		return adm_render(r, 200, "user_form", ctx);
	}
	if ((st = adm_read_form(r, &f)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	email = form_get(&f, "email");
	staff = form_has(&f, "is_staff");
	active = form_has(&f, "is_active");
	good = email_ok(ctx, email);
	/* blank: the server's time_zone */
	if ((zname = form_get(&f, "time_zone")) != NULL)
		zp.set = UT_ZONE;
	if (zname != NULL && *zname != '\0' && (zp.zone = tz_get(zname)) == NULL) {
		char	 msg[160];

		snprintf(msg, sizeof(msg), "Unknown time zone \"%.64s\".", zname);
		field_error(ctx, "time_zone", msg);
		good = 0;
	}
	/* a staff member cannot lock themselves out of these pages */
	if (u.id == r->user.id && !staff) {
		field_error(ctx, "is_staff", "You cannot remove your own staff status.");
		good = 0;
	}
	if (u.id == r->user.id && !active) {
		field_error(ctx, "is_active", "You cannot deactivate your own account.");
		good = 0;
	}
	if (good) {
		rc = user_save(&r->app->db, &u, email ? email : "", staff, active, &zp);
		if (rc != DB_OK) {
			cJSON_Delete(ctx);
			return adm_dbfail(r, rc);
		}
		cJSON_Delete(ctx);
		snprintf(loc, sizeof(loc), "users/%lld/?saved=1", (long long)u.id);
		return adm_redirect(r, loc);
	}
	cJSON_AddTrueToObject(ctx, "has_errors");
	user_values(r, ctx, &u, email ? email : "", staff, active, zname ? zname : "");
	return adm_render(r, 200, "user_form", ctx);
}

/* Sets a new password hash and ends the user's other logins, in one transaction. */
static enum dbrc
password_save(struct req *r, int64_t uid, const char *phc)
{
	struct db *db = &r->app->db;
	enum dbrc rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	/* one's own session stays: the staff member is still at the keyboard */
	if ((rc = users_set_password(db, uid, phc)) == DB_OK)
		rc = uid != r->user.id ? log_out_everywhere(db, uid) :
		    tokens_revoke_user(db, uid);
	return tx_close(db, 1, rc);
}

/* GET, POST users/{id}/password/ */
int
adm_user_password(struct req *r)
{
	char	 phc[PASSWORD_PHC_MAX], loc[48];
	struct form f;
	struct user u;
	enum dbrc rc;
	int	 st;
	cJSON	*ctx;

	if ((rc = users_get(&r->app->db, r->ids[0], &r->arena, &u)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((ctx = adm_ctx(r, "Change password", "users")) == NULL)
		return 500;
	adm_add_id(ctx, "id", u.id);
	cJSON_AddStringToObject(ctx, "username_shown", u.username);
	if (r->method != M_POST)
		return adm_render(r, 200, "user_password", ctx);
	if ((st = adm_read_form(r, &f)) != 0) {
		cJSON_Delete(ctx);
		return st;
	}
	if (!password_ok(ctx, form_get(&f, "password1"), form_get(&f, "password2"),
	    u.username, u.email)) {
		cJSON_AddTrueToObject(ctx, "has_errors");
		return adm_render(r, 200, "user_password", ctx);
	}
	cJSON_Delete(ctx);
	if (password_hash(&r->app->cfg, form_get(&f, "password1"), phc, sizeof(phc)) < 0)
		return 500;
	if ((rc = password_save(r, u.id, phc)) != DB_OK)
		return adm_dbfail(r, rc);
	snprintf(loc, sizeof(loc), "users/%lld/?saved=1", (long long)u.id);
	return adm_redirect(r, loc);
}

/* POST users/{id}/unlink-telegram/ */
int
adm_user_unlink(struct req *r)
{
	struct form f;
	struct user u;
	enum dbrc rc;
	char	 loc[48];
	int	 st;

	if ((rc = users_get(&r->app->db, r->ids[0], &r->arena, &u)) != DB_OK)
		return adm_dbfail(r, rc);
	if ((st = adm_read_form(r, &f)) != 0)
		return st;
	/* the same rule as DELETE /api/auth/telegram/ and /unlink in the bot */
	if ((rc = tg_unlink(&r->app->db, u.id)) != DB_OK)
		return adm_dbfail(r, rc);
	snprintf(loc, sizeof(loc), "users/%lld/?saved=1", (long long)r->ids[0]);
	return adm_redirect(r, loc);
}
