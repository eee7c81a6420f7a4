/* request: FastCGI params to a request struct, and the response writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "request.h"

static const struct {
	const char	*name;
	enum method	 m;
} methods[] = {
	{ "GET", M_GET }, { "POST", M_POST }, { "PUT", M_PUT },
	{ "PATCH", M_PATCH }, { "DELETE", M_DELETE }, { "HEAD", M_HEAD },
	{ "OPTIONS", M_OPTIONS },
};

enum method
method_from_str(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(s, methods[i].name) == 0)
			return methods[i].m;
	return M_OTHER;
}

const char *
method_name(enum method m)
{
	size_t	 i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "OTHER";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
req_url_decode(struct arena *a, const char *s, size_t n, int plus, size_t *outlen)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return NULL;
			if ((hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return out;
}

int
req_parse_query(struct req *r, const char *qs)
{
	const char *p = qs, *amp, *eq, *end;
	struct kv *kv;
	size_t	 klen;

	r->nparams = 0;
	while (*p != '\0') {
		amp = strchr(p, '&');
		end = amp ? amp : p + strlen(p);
		if (end > p) {
			if (r->nparams == REQ_MAX_PARAMS)
				return -1;
			kv = &r->params[r->nparams];
			eq = memchr(p, '=', (size_t)(end - p));
			if (eq == NULL)
				eq = end;
			kv->key = req_url_decode(&r->arena, p, (size_t)(eq - p), 1, &klen);
			if (kv->key == NULL || strlen(kv->key) != klen)
				return -1;
			if (eq < end)
				kv->val = req_url_decode(&r->arena, eq + 1,
				    (size_t)(end - eq - 1), 1, &kv->vlen);
			else {
				kv->val = "";
				kv->vlen = 0;
			}
			if (kv->val == NULL)
				return -1;
			r->nparams++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return 0;
}

void
req_parse_cookies(struct req *r, const char *hdr)
{
	const char *p = hdr, *semi, *eq, *ks, *ke, *vs, *ve;

	r->ncookies = 0;
	while (*p != '\0' && r->ncookies < REQ_MAX_COOKIES) {
		semi = strchr(p, ';');
		ve = semi ? semi : p + strlen(p);
		eq = memchr(p, '=', (size_t)(ve - p));
		if (eq != NULL) {
			for (ks = p; ks < eq && (*ks == ' ' || *ks == '\t'); ks++)
				;
			for (ke = eq; ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'); ke--)
				;
			for (vs = eq + 1; vs < ve && (*vs == ' ' || *vs == '\t'); vs++)
				;
			while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
				vs++;
				ve--;
			}
			if (ke > ks) {
				struct kv *kv = &r->cookies[r->ncookies];

				kv->key = arena_strndup(&r->arena, ks, (size_t)(ke - ks));
				kv->val = arena_strndup(&r->arena, vs, (size_t)(ve - vs));
				kv->vlen = (size_t)(ve - vs);
				if (kv->key != NULL && kv->val != NULL)
					r->ncookies++;
			}
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
}

const struct kv *
req_param(const struct req *r, const char *key)
{
	size_t	 i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return &r->params[i];
	return NULL;
}

const char *
req_cookie(const struct req *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->ncookies; i++)
		if (strcmp(r->cookies[i].key, name) == 0)
			return r->cookies[i].val;
	return NULL;
}

int
req_parse_params(struct req *r, const struct req_env *env, size_t n)
{
	const char *uri = NULL, *cl = NULL, *cookie = NULL, *method = "GET";
	const char *q, *e, *v;
	char	*end;
	size_t	 nlen, i;
	long long cn;

	r->content_length = -1;
	r->query = "";
	for (i = 0; i < n; i++) {
		e = env[i].name;
		nlen = env[i].nlen;
		v = env[i].value;
		/* every name below starts with one of these letters */
		if (nlen < 5 || (e[0] != 'R' && e[0] != 'C' && e[0] != 'H' && e[0] != 'S'))
			continue;
#define IS(name) (nlen == sizeof(name) - 1 && memcmp(e, name, nlen) == 0)
		if (IS("REQUEST_METHOD"))
			method = v;
		else if (IS("REQUEST_URI"))
			uri = v;
		else if (IS("CONTENT_TYPE"))
			r->content_type = v;
		else if (IS("CONTENT_LENGTH"))
			cl = v;
		else if (IS("HTTP_AUTHORIZATION"))
			r->authorization = v;
		else if (IS("HTTP_COOKIE"))
			cookie = v;
		else if (IS("HTTP_HOST"))
			r->host = v;
		else if (IS("SERVER_PORT"))
			r->server_port = v;
		else if (IS("REMOTE_ADDR"))
			r->remote_addr = v;
		else if (IS("HTTP_USER_AGENT"))
			r->user_agent = v;
		else if (IS("HTTP_X_CSRFTOKEN"))
			r->csrf_header = v;
		else if (IS("HTTP_X_TELEGRAM_ID"))
			r->telegram_id = v;
		else if (IS("HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"))
			r->tg_secret = v;
		else if (IS("HTTP_REFERER"))
			r->referer = v;
		else if (IS("HTTP_ORIGIN"))
			r->origin = v;
		else if (IS("HTTP_IF_NONE_MATCH"))
			r->if_none_match = v;
		else if (IS("HTTPS"))
			r->https = strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0;
#undef IS
	}
	r->method_str = method;
	r->method = method_from_str(method);
	if (r->remote_addr == NULL)
		r->remote_addr = "";
	if (uri == NULL || *uri != '/')
		return 400;
	if ((q = strchr(uri, '?')) != NULL) {
		r->path = arena_strndup(&r->arena, uri, (size_t)(q - uri));
		r->query = q + 1;
	} else
		r->path = uri;
	if (r->path == NULL)
		return 500;
	if (cl != NULL && *cl != '\0') {
		if (*cl < '0' || *cl > '9')
			return 400;
		cn = strtoll(cl, &end, 10);
		if (*end != '\0' || cn < 0 || cn == (long long)0x7fffffffffffffffLL)
			return 400;
		r->content_length = cn;
	}
	if (req_parse_query(r, r->query) < 0)
		return 400;
	if (cookie != NULL)
		req_parse_cookies(r, cookie);
	return 0;
}

int
req_parse_env(struct req *r, char **envp)
{
	struct req_env env[256];
	const char *v;
	size_t	 n = 0;

	for (; envp != NULL && *envp != NULL && n < 256; envp++) {
		if ((v = strchr(*envp, '=')) == NULL)
			continue;
		env[n].name = *envp;
		env[n].nlen = (size_t)(v - *envp);
		env[n].value = v + 1;
		env[n].vlen = strlen(v + 1);
		n++;
	}
	return req_parse_params(r, env, n);
}

const char *
http_reason(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Request Entity Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

void
resp_header(struct req *r, const char *name, const char *value)
{
	/* a CR or LF would split the header: never let one through */
	if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n:") != NULL)
		return;
	buf_puts(&r->headers, name);
	buf_add(&r->headers, ": ", 2);
	buf_puts(&r->headers, value);
	buf_add(&r->headers, "\r\n", 2);
}

void
resp_html(struct req *r)
{
	r->out_type = "text/html; charset=utf-8";
	resp_header(r, "X-Frame-Options", "DENY");
	resp_header(r, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'self'; img-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	resp_header(r, "Referrer-Policy", "same-origin");
}

int
resp_redirect(struct req *r, int status, const char *location)
{
	r->status = status;
	buf_reset(&r->body_out);
	resp_header(r, "Location", location);
	return status;
}

int
resp_kv(struct req *r, int status, const char *key, const char *msg)
{
	r->status = status;
	buf_reset(&r->body_out);
	buf_putc(&r->body_out, '{');
	buf_json_str(&r->body_out, key, strlen(key));
	buf_putc(&r->body_out, ':');
	buf_json_str(&r->body_out, msg, strlen(msg));
	buf_putc(&r->body_out, '}');
	return status;
}

int
resp_detail(struct req *r, int status, const char *msg)
{
	return resp_kv(r, status, "detail", msg);
}

void
req_error(struct req *r, const char *field, const char *msg)
{
	cJSON	*list;

	if (r->errors == NULL && (r->errors = cJSON_CreateObject()) == NULL)
		return;
	if ((list = cJSON_GetObjectItemCaseSensitive(r->errors, field)) == NULL) {
		if ((list = cJSON_AddArrayToObject(r->errors, field)) == NULL)
			return;
	}
	cJSON_AddItemToArray(list, cJSON_CreateString(msg));
}

int
resp_errors(struct req *r)
{
	char	*s;

	r->status = 400;
	buf_reset(&r->body_out);
	if (r->errors == NULL || (s = cJSON_PrintUnformatted(r->errors)) == NULL) {
		buf_puts(&r->body_out, "{\"non_field_errors\":[\"Invalid input.\"]}");
		return 400;
	}
	buf_puts(&r->body_out, s);
	cJSON_free(s);
	return 400;
}

/* Appends the string literal s, its length known at compile time. */
#define ADD_LIT(b, s)	buf_add((b), s, sizeof(s) - 1)

void
resp_serialize(struct req *r, struct buf *out)
{
	int	 status = r->status ? r->status : 200;

	buf_add(out, "Status: ", 8);
	buf_int(out, status);
	buf_putc(out, ' ');
	buf_puts(out, http_reason(status));
	buf_add(out, "\r\n", 2);
	/* the usual headers as single literals */
	if (status != 204 && status != 304) {
		if (r->out_type == NULL)
			ADD_LIT(out, "Content-Type: application/json; charset=utf-8\r\n");
		else {
			ADD_LIT(out, "Content-Type: ");
			buf_puts(out, r->out_type);
			buf_add(out, "\r\n", 2);
		}
		ADD_LIT(out, "Content-Length: ");
		buf_int(out, (int64_t)r->body_out.len);
		buf_add(out, "\r\n", 2);
	}
	if (r->cache_control == NULL)
		ADD_LIT(out, "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
	else {
		ADD_LIT(out, "Cache-Control: ");
		buf_puts(out, r->cache_control);
		ADD_LIT(out, "\r\nX-Content-Type-Options: nosniff\r\n");
	}
	if (status == 401 && r->out_type == NULL)
		buf_puts(out, "WWW-Authenticate: Bearer realm=\"api\"\r\n");
	buf_add(out, r->headers.p ? r->headers.p : "", r->headers.len);
	buf_add(out, "\r\n", 2);
	if (status != 204 && status != 304 && r->method != M_HEAD)
		buf_add(out, r->body_out.p ? r->body_out.p : "", r->body_out.len);
}

void
req_end(struct req *r)
{
	struct app *app = r->app;
	struct arena arena = r->arena;
	struct buf h = r->headers, b = r->body_out;

	if (r->json != NULL)
		cJSON_Delete(r->json);
	if (r->errors != NULL)
		cJSON_Delete(r->errors);
	arena_reset(&arena);
	buf_reset(&h);
	/* a response far larger than usual gives its memory back */
	if (b.cap > 1024 * 1024)
		buf_free(&b);
	else
		buf_reset(&b);
	memset(r, 0, sizeof(*r));
	r->app = app;
	r->arena = arena;
	r->headers = h;
	r->body_out = b;
}

void
req_free(struct req *r)
{
	req_end(r);
	arena_free(&r->arena);
	buf_free(&r->headers);
	buf_free(&r->body_out);
}
