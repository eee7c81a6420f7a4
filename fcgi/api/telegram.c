/* telegram: /api/auth/telegram/ (linking) and the Bot API webhook. */
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "app.h"
#include "bot.h"
#include "json.h"
#include "request.h"
#include "telegram_link.h"
#include "tokens.h"

/*
 * POST /api/auth/telegram/link/ -- a new one-time code for the caller; 503
 * and no code while telegram_bot_name is unset (the link would lead nowhere).
 */
int
api_tg_link(struct req *r)
{
	struct app *app = r->app;
	char	 code[TG_CODE_LEN + 1], link[512];
	enum dbrc rc;
	int	 first = 1;

	if (*app->cfg.telegram_bot_name == '\0')
		return resp_detail(r, 503, "Telegram linking is not configured.");
	if ((rc = tg_link_create(&app->db, r->user.id, app->cfg.telegram_link_ttl,
	    code)) != DB_OK)
		return api_dbfail(r, rc);
	snprintf(link, sizeof(link), "https://t.me/%s?start=%s",
	    app->cfg.telegram_bot_name, code);
	buf_putc(&r->body_out, '{');
	jw_str(&r->body_out, "telegram_link", link, &first);
	jw_str(&r->body_out, "link_token", code, &first);
	jw_int(&r->body_out, "expires_in", app->cfg.telegram_link_ttl, &first);
	buf_putc(&r->body_out, '}');
	return 200;
}

/* True when the JSON value is missing, null or an empty string. */
static int
blank(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) ||
	    (cJSON_IsString(v) && *v->valuestring == '\0');
}

/* POST /api/auth/telegram/confirm/ {code, telegram_id} -- called by the bot. */
int
api_tg_confirm(struct req *r)
{
	struct app *app = r->app;
	const char *code = NULL;
	int64_t	 tgid = 0, uid = 0;
	struct token_pair tp;
	enum dbrc rc;
	int	 first = 1;

	/* the secret is checked before anything else, so a refused call uses nothing up */
	if (*app->cfg.telegram_bot_secret != '\0') {
		if (r->authorization == NULL || *r->authorization == '\0')
			return resp_detail(r, 401, "Authentication credentials were not provided.");
		if (!tg_bot_secret_ok(&app->cfg, r->authorization))
			return resp_detail(r, 401, "Invalid bot secret.");
	}
	if (blank(cJSON_GetObjectItemCaseSensitive(r->json, "code")) ||
	    blank(cJSON_GetObjectItemCaseSensitive(r->json, "telegram_id")))
		return resp_kv(r, 400, "error", "Both 'code' and 'telegram_id' are required.");
	jr_str(r, r->json, "code", JF_REQUIRED, 0, &code);
	jr_int(r, r->json, "telegram_id", JF_REQUIRED, &tgid);
	if (r->errors == NULL && tgid == 0)
		req_error(r, "telegram_id", "A valid integer is required.");
	if (r->errors != NULL)
		return resp_errors(r);
	rc = tg_link_confirm(&app->db, &app->cfg, code, tgid, &tp, &uid);
	if (rc == DB_INVALID)
		return resp_kv(r, 400, "error", "Invalid or expired code");
	if (rc == DB_CONFLICT)
		return resp_kv(r, 409, "error",
		    "This Telegram account is already linked to another user");
	if (rc != DB_OK)
		return api_dbfail(r, rc);
	buf_putc(&r->body_out, '{');
	jw_str(&r->body_out, "message", "Telegram account successfully linked", &first);
	jw_str(&r->body_out, "access", tp.access, &first);
	jw_str(&r->body_out, "refresh", tp.refresh, &first);
	buf_putc(&r->body_out, '}');
	return 200;
}

/* DELETE /api/auth/telegram/ -- unlinks the caller's Telegram account. */
int
api_tg_unlink(struct req *r)
{
	enum dbrc rc;

	if ((rc = tg_unlink(&r->app->db, r->user.id)) != DB_OK)
		return api_dbfail(r, rc);
	return 204;
}

/*
 * POST /api/telegram/webhook/ -- an update pushed by Telegram (webhook mode).
 * Answered 200 whatever the update holds, so Telegram does not resend it.
 */
int
api_tg_webhook(struct req *r)
{
	struct app *app = r->app;

	if (*app->cfg.telegram_webhook_secret == '\0')
		return resp_detail(r, 404, "Not found.");
	if (r->tg_secret == NULL ||
	    !str_ct_equal(r->tg_secret, app->cfg.telegram_webhook_secret))
		return resp_detail(r, 403, "You do not have permission to perform this action.");
	if (bot_webhook_update(app, r->json) < 0)
		return 503;
	buf_puts(&r->body_out, "{}");
	return 200;
}
