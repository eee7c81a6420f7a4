/* tgapi: Bot API calls over libcurl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "tgapi.h"

int
tg_open(struct tg_client *c, const struct config *cfg)
{
	static int inited;
	size_t	 n;

	memset(c, 0, sizeof(*c));
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -1;
		inited = 1;
	}
	if ((c->curl = curl_easy_init()) == NULL)
		return -1;
	n = strlen(cfg->telegram_api_base) + strlen(cfg->telegram_bot_token) + 8;
	if ((c->prefix = malloc(n)) == NULL) {
		tg_close(c);
		return -1;
	}
	snprintf(c->prefix, n, "%s%sbot%s/", cfg->telegram_api_base,
	    cfg->telegram_api_base[strlen(cfg->telegram_api_base) - 1] == '/' ? "" : "/",
	    cfg->telegram_bot_token);
	c->timeout = (long)cfg->telegram_timeout;
	return 0;
}

void
tg_close(struct tg_client *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->prefix);
	memset(c, 0, sizeof(*c));
}

void
tg_result_free(struct tg_result *res)
{
	cJSON_Delete(res->root);
	res->root = NULL;
	res->result = NULL;
}

/* libcurl's write callback: appends to a struct buf. */
static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	buf_add(b, p, size * n);
	return b->oom ? 0 : size * n;
}

/* libcurl's progress callback: abandons the transfer once *stop is set. */
static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	volatile sig_atomic_t *stop = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return *stop != 0;
}

/* Sorts a Telegram error answer into retry, rate-limited or permanent. */
static enum tg_kind
classify(long http, const cJSON *root, struct tg_result *res)
{
	const cJSON *params, *ra;

	if (http == 429) {
		params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
		ra = cJSON_GetObjectItemCaseSensitive(params, "retry_after");
		res->retry_after = cJSON_IsNumber(ra) && ra->valuedouble > 0 ?
		    (int64_t)ra->valuedouble : 1;
		return TG_LIMITED;
	}
	/* 400 (chat not found, bad request) and 403 (bot blocked, kicked) never heal */
	if (http == 400 || http == 403)
		return TG_PERMANENT;
	/* 401/404 mean a wrong token: a configuration error the admin can fix */
	return TG_RETRY;
}

enum tg_kind
tg_call(struct tg_client *c, const char *method, const cJSON *params,
    long timeout, struct tg_result *res)
{
	CURL	*h = c->curl;
	struct curl_slist *hdrs = NULL;
	struct buf url = { 0 }, body = { 0 };
	char	*json = NULL, errbuf[CURL_ERROR_SIZE];
	const cJSON *ok, *desc;
	CURLcode cc;

	memset(res, 0, sizeof(*res));
	res->kind = TG_RETRY;
	buf_puts(&url, c->prefix);
	buf_puts(&url, method);
	json = params != NULL ? cJSON_PrintUnformatted(params) : NULL;
	if (url.oom || (params != NULL && json == NULL)) {
		snprintf(res->desc, sizeof(res->desc), "out of memory");
		goto out;
	}
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	errbuf[0] = '\0';
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json ? json : "{}");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout > 0 ? timeout : c->timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "taskmgr/" PACKAGE_VERSION);
	if (c->stop != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)c->stop);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		snprintf(res->desc, sizeof(res->desc), "%s",
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http);
	if (!body.oom && body.len > 0)
		res->root = cJSON_ParseWithLength(body.p, body.len);
	ok = cJSON_GetObjectItemCaseSensitive(res->root, "ok");
	desc = cJSON_GetObjectItemCaseSensitive(res->root, "description");
	if (cJSON_IsString(desc))
		snprintf(res->desc, sizeof(res->desc), "%s", desc->valuestring);
	else
		snprintf(res->desc, sizeof(res->desc), "HTTP %ld", res->http);
	if (res->http == 200 && cJSON_IsTrue(ok)) {
		res->result = cJSON_GetObjectItemCaseSensitive(res->root, "result");
		res->kind = TG_OK;
		res->desc[0] = '\0';
	} else if (res->http == 200)
		res->kind = TG_RETRY;	/* a 200 that is not a Bot API answer */
	else
		res->kind = classify(res->http, res->root, res);
out:
	curl_slist_free_all(hdrs);
	cJSON_free(json);
	buf_free(&url);
	buf_free(&body);
	return res->kind;
}

enum tg_kind
tg_send_html(struct tg_client *c, int64_t chat, const char *html,
    const cJSON *markup, struct tg_result *res)
{
	cJSON	*p = cJSON_CreateObject();
	enum tg_kind k;

	if (p == NULL || cJSON_AddNumberToObject(p, "chat_id", (double)chat) == NULL ||
	    cJSON_AddStringToObject(p, "text", html) == NULL ||
	    cJSON_AddStringToObject(p, "parse_mode", "HTML") == NULL ||
	    cJSON_AddTrueToObject(p, "disable_web_page_preview") == NULL ||
	    (markup != NULL && !cJSON_AddItemToObject(p, "reply_markup",
	    cJSON_Duplicate(markup, 1)))) {
		cJSON_Delete(p);
		memset(res, 0, sizeof(*res));
		res->kind = TG_RETRY;
		snprintf(res->desc, sizeof(res->desc), "out of memory");
		return TG_RETRY;
	}
	k = tg_call(c, "sendMessage", p, 0, res);
	cJSON_Delete(p);
	return k;
}
