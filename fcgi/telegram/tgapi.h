/*
 * tgapi: a small Telegram Bot API client over libcurl.  Each call is a POST
 * of a JSON object to <telegram_api_base>/bot<token>/<method> with a time
 * limit, and its outcome is sorted into what the caller should do next.
 * The token is part of the URL: neither is ever logged.
 */
#ifndef TASKMGR_TGAPI_H
#define TASKMGR_TGAPI_H

#include <signal.h>
#include <stdint.h>

struct config;
struct cJSON;

enum tg_kind {
	TG_OK = 0,	/* Telegram accepted the call */
	TG_RETRY,	/* network error, timeout, 5xx, bad token: try again later */
	TG_LIMITED,	/* 429: try again after retry_after seconds */
	TG_PERMANENT,	/* 400/403 (chat not found, bot blocked...): will never work */
};

struct tg_result {
	enum tg_kind	 kind;
	long		 http;		/* HTTP status; 0 when none came */
	int64_t		 retry_after;	/* seconds, TG_LIMITED */
	char		 desc[256];	/* Telegram's description or the transport error */
	struct cJSON	*root;		/* the parsed answer (owned), or NULL */
	const struct cJSON *result;	/* root's "result" */
};

struct tg_client {
	void		*curl;		/* CURL * */
	char		*prefix;	/* base + "/bot" + token + "/" */
	long		 timeout;	/* seconds, for calls that do not say */
	/* when set and *stop becomes non-zero, a call in progress is abandoned (TG_RETRY) */
	volatile sig_atomic_t *stop;
};

/* Prepares a client from the configuration; -1 when libcurl cannot start. */
int	 tg_open(struct tg_client *, const struct config *);
void	 tg_close(struct tg_client *);
/*
 * Calls method with params (a JSON object, may be NULL), waiting at most
 * timeout seconds (0: the client's).  Fills res (release with
 * tg_result_free) and returns res->kind.
 */
enum tg_kind tg_call(struct tg_client *, const char *method,
	    const struct cJSON *params, long timeout, struct tg_result *res);
void	 tg_result_free(struct tg_result *);

/* sendMessage with HTML parse mode; text is already HTML-escaped; markup may be NULL. */
enum tg_kind tg_send_html(struct tg_client *, int64_t chat, const char *html,
	    const struct cJSON *markup, struct tg_result *res);

#endif
