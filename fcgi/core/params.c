/* params: declared query parameters, read by one table walk. */
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "request.h"
#include "timeutil.h"
#include "utf8.h"

/* Digits only, at most digits of them (0: any), no more than INT64_MAX; 0 or -1. */
static int
read_digits(const char *s, size_t n, unsigned digits, int64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (n == 0 || (digits > 0 && n > digits))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > ((uint64_t)INT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = (int64_t)v;
	return 0;
}

/* The value of the name kv spells among spec's names; 0, or -1 when none. */
static int
read_name(const struct param_spec *spec, const struct kv *kv, int64_t *out)
{
	size_t	 i;

	for (i = 0; spec->names != NULL && spec->names[i] != NULL; i++)
		if (strlen(spec->names[i]) == kv->vlen &&
		    memcmp(spec->names[i], kv->val, kv->vlen) == 0) {
			*out = spec->values != NULL ? spec->values[i] : (int64_t)i;
			return 0;
		}
	return -1;
}

/* A date-time; a '+' of the offset sent unescaped arrives as ' '.  0 or -1. */
static int
read_time(const struct kv *kv, const struct tz *zone, int64_t *out)
{
	char	 tmp[64];
	size_t	 i;

	if (strlen(kv->val) != kv->vlen)
		return -1;
	if (rfc3339_parse_in(kv->val, kv->vlen, zone, out) == 0)
		return 0;
	if (kv->vlen >= sizeof(tmp))
		return -1;
	memcpy(tmp, kv->val, kv->vlen + 1);
	for (i = 11; i < kv->vlen; i++)
		if (tmp[i] == ' ')
			tmp[i] = '+';
	return rfc3339_parse_in(tmp, kv->vlen, zone, out);
}

/* Reads one present value into v; 0, or -1 when bad. */
static int
read_one(struct req *r, const struct param_spec *spec, const struct kv *kv,
    struct param_val *v)
{
	v->s = kv->val;
	switch (spec->kind) {
	case PK_INT:
		return read_digits(kv->val, kv->vlen, spec->digits, &v->n) < 0 ||
		    v->n < spec->lo || v->n > spec->hi ? -1 : 0;
	case PK_ID:
		if (read_name(spec, kv, &v->n) == 0)
			return 0;
		return read_digits(kv->val, kv->vlen, 19, &v->n) < 0 || v->n <= 0 ? -1 : 0;
	case PK_CHOICE:
		return read_name(spec, kv, &v->n);
	case PK_TIME:
		return read_time(kv, r->zone, &v->n);
	case PK_TEXT:
		if (strlen(kv->val) != kv->vlen)
			return -1;
		if (spec->norm != NULL && (v->s = spec->norm(&r->arena, kv->val)) == NULL)
			return -1;
		return 0;
	}
	return -1;
}

/* Records the error of a bad value of spec. */
static void
bad_value(struct req *r, const struct param_spec *spec, const struct kv *kv)
{
	char	 msg[192];

	if (spec->msg != NULL) {
		req_error(r, spec->name, spec->msg);
		return;
	}
	switch (spec->kind) {
	case PK_CHOICE:
		if (kv->vlen <= 100 && strlen(kv->val) == kv->vlen &&
		    utf8_valid(kv->val, kv->vlen))
			snprintf(msg, sizeof(msg), "Select a valid choice. %s is not one "
			    "of the available choices.", kv->val);
		else
			snprintf(msg, sizeof(msg), "Select a valid choice. That choice is "
			    "not one of the available choices.");
		req_error(r, spec->name, msg);
		break;
	case PK_ID:
		req_error(r, spec->name, PARAM_MSG_ID);
		break;
	case PK_TIME:
		req_error(r, spec->name, PARAM_MSG_TIME);
		break;
	case PK_TEXT:
		req_error(r, spec->name, PARAM_MSG_TEXT);
		break;
	default:
		req_error(r, spec->name, PARAM_MSG_INT);
		break;
	}
}

int
params_read(struct req *r, const struct param_spec *spec, size_t n,
    struct param_val *out)
{
	const struct kv *kv;
	size_t	 i;
	int	 bad = 0;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++) {
		if ((spec[i].flags & PF_BARRIER) && r->errors != NULL)
			break;
		kv = req_param(r, spec[i].name);
		if (kv == NULL || (kv->vlen == 0 && !(spec[i].flags & PF_EMPTY)))
			continue;
		if (read_one(r, &spec[i], kv, &out[i]) == 0) {
			out[i].state = PS_SET;
			continue;
		}
		out[i].state = PS_BAD;
		bad++;
		if (!(spec[i].flags & PF_QUIET))
			bad_value(r, &spec[i], kv);
		if (spec[i].flags & PF_BARRIER)
			break;
	}
	return bad;
}
