/* Method parameter checking against a table (see params.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "params.h"

/*
 * Characters in n bytes of UTF-8 (checked already): n less the
 * continuation bytes, counted eight bytes at a time.
 */
static size_t
utf8_len_n(const char *s, size_t n)
{
	size_t i = 0, cont = 0;
	uint64_t w;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		/* 10xxxxxx: bit 7 set, bit 6 clear */
		cont += (size_t)__builtin_popcountll(w & ~(w << 1) &
		                                     0x8080808080808080ULL);
	}
	for (; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			cont++;
	return n - cont;
}

static int
bad(struct rpc_error *err, const char *prefix, const char *name,
    const char *reason)
{
	char field[128];

	snprintf(field, sizeof(field), "%s%s", prefix ? prefix : "", name);
	rpc_error_param(err, field, reason);
	return -1;
}

/*
 * Nothing but spaces, tabs, line breaks and ideographic spaces (U+3000,
 * the full-width space of Chinese input methods): no text for a field
 * that must have some.
 */
static bool
blank(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if (strncmp(s, "\xe3\x80\x80", 3) == 0) {
			s += 2;
			continue;
		}
		return false;
	}
	return true;
}

static const char *type_reasons[] = {
	[P_STRING] = "must be a string",
	[P_INT] = "must be an integer",
	[P_BOOL] = "must be true or false",
	[P_DATE] = "must be a date YYYY-MM-DD",
	[P_OBJECT] = "must be an object",
	[P_ARRAY] = "must be an array",
	[P_NUMBER] = "must be a number",
	[P_ANY] = "",
};

int
params_check_text(const char *s, size_t len, const struct pspec *p,
                  const char *prefix, struct rpc_error *err)
{
	char reason[96];
	size_t n;
	day_t d;

	if (p->type == P_DATE) {
		if (date_parse(s, &d) == -1)
			return bad(err, prefix, p->name,
			           "not a real date YYYY-MM-DD in range");
		return 0;
	}
	if (p->type != P_STRING)
		return bad(err, prefix, p->name, type_reasons[p->type]);
	if (strlen(s) != len)
		return bad(err, prefix, p->name,
		           "must not contain NUL characters");
	n = utf8_len_n(s, len);
	if (p->min >= 1 && n > 0 && blank(s))
		return bad(err, prefix, p->name, "must not be blank");
	if ((int64_t)n < p->min) {
		if (p->min == 1)
			return bad(err, prefix, p->name, "must not be empty");
		snprintf(reason, sizeof(reason),
		         "must be at least %lld characters", (long long)p->min);
		return bad(err, prefix, p->name, reason);
	}
	if (p->max > 0 && (int64_t)n > p->max) {
		snprintf(reason, sizeof(reason),
		         "must be at most %lld characters", (long long)p->max);
		return bad(err, prefix, p->name, reason);
	}
	return 0;
}

static int
check_one(json_t *v, const struct pspec *p, const char *prefix,
          struct rpc_error *err)
{
	char reason[96];

	switch (p->type) {
	case P_STRING:
		if (!json_is_string(v))
			return bad(err, prefix, p->name,
			           type_reasons[P_STRING]);
		return params_check_text(json_string_value(v),
		                         json_string_length(v), p, prefix, err);
	case P_INT:
		if (!json_is_integer(v))
			return bad(err, prefix, p->name, type_reasons[P_INT]);
		if (json_integer_value(v) < p->min ||
		    json_integer_value(v) > p->max) {
			snprintf(reason, sizeof(reason),
			         "must be between %lld and %lld",
			         (long long)p->min, (long long)p->max);
			return bad(err, prefix, p->name, reason);
		}
		return 0;
	case P_NUMBER: {
		double x;

		if (!json_is_number(v))
			return bad(err, prefix, p->name,
			           type_reasons[P_NUMBER]);
		x = json_number_value(v);
		if (!isfinite(x) || x < (double)p->min || x > (double)p->max) {
			snprintf(reason, sizeof(reason),
			         "must be between %lld and %lld",
			         (long long)p->min, (long long)p->max);
			return bad(err, prefix, p->name, reason);
		}
		return 0;
	}
	case P_BOOL:
		if (!json_is_boolean(v))
			return bad(err, prefix, p->name, type_reasons[P_BOOL]);
		return 0;
	case P_DATE:
		if (!json_is_string(v))
			return bad(err, prefix, p->name, type_reasons[P_DATE]);
		return params_check_text(json_string_value(v),
		                         json_string_length(v), p, prefix, err);
	case P_OBJECT:
		if (!json_is_object(v))
			return bad(err, prefix, p->name,
			           type_reasons[P_OBJECT]);
		return 0;
	case P_ARRAY:
		if (!json_is_array(v))
			return bad(err, prefix, p->name, type_reasons[P_ARRAY]);
		return 0;
	case P_ANY:
		return 0;
	}
	return 0;
}

int
params_check(json_t *params, const struct pspec *spec, const char *prefix,
             struct rpc_error *err)
{
	return params_check_with(params, spec, prefix, NULL, NULL, err);
}

/* The longest table a method may have (a longer one is a bug: fatal). */
#define PARAMS_MAX_SPEC 48

/*
 * Each member's place in spec (its value in vals), with one pass over the
 * members and a strcmp against the table's names for each: a hash lookup
 * a table entry cost ~165 instructions, ~2.3k a submit. The first unknown
 * member, if any, in *unknown.
 */
static void
params_place(json_t *params, const struct pspec *spec, json_t **vals,
             const char **unknown)
{
	const struct pspec *p;
	const char *key;
	json_t *v;

	for (p = spec; p->name != NULL; p++) {
		if (p - spec >= PARAMS_MAX_SPEC)
			fatalx("params: a table of over %d entries",
			       PARAMS_MAX_SPEC);
		vals[p - spec] = NULL;
	}
	*unknown = NULL;
	json_object_foreach(params, key, v)
	{
		for (p = spec; p->name != NULL; p++)
			if (p->name[0] == key[0] && strcmp(p->name, key) == 0)
				break;
		if (p->name == NULL) {
			if (*unknown == NULL)
				*unknown = key;
		} else
			vals[p - spec] = v;
	}
}

/*
 * daemon/methods_submit.c's fast_fields checks app.submit's params read
 * without a tree (submit_fast.c) in the same order: a rule added here
 * belongs there too (test_submit_fast compares the two).
 */
int
params_check_with(json_t *params, const struct pspec *spec, const char *prefix,
                  param_fn fn, void *arg, struct rpc_error *err)
{
	json_t *vals[PARAMS_MAX_SPEC], *v;
	const struct pspec *p;
	const char *unknown = NULL;
	int rc = -1;

	if (params == NULL)
		params = json_object();
	else
		json_incref(params);
	if (!json_is_object(params)) {
		json_decref(params);
		rpc_error_param(err, prefix && *prefix ? prefix : "params",
		                "must be an object");
		return -1;
	}
	params_place(params, spec, vals, &unknown);
	/* Spec order first, so the first bad field is the first in the table.
	 */
	for (p = spec; p->name != NULL; p++) {
		v = vals[p - spec];
		if (v == NULL || (json_is_null(v) && !p->required)) {
			if (p->required) {
				bad(err, prefix, p->name, "is required");
				goto out;
			}
			continue;
		}
		if (check_one(v, p, prefix, err) == -1 ||
		    (fn != NULL && fn(v, p, arg, err) == -1))
			goto out;
	}
	if (unknown != NULL) {
		char name[64];
		size_t n = strlen(unknown);

		/* At most 60 bytes, cut before a character, not inside one. */
		if (n > 60) {
			n = 60;
			while (n > 0 &&
			       ((unsigned char)unknown[n] & 0xC0) == 0x80)
				n--;
		}
		memcpy(name, unknown, n);
		name[n] = '\0';
		bad(err, prefix, name, "unknown field");
		goto out;
	}
	rc = 0;
out:
	json_decref(params);
	return rc;
}

const char *
param_str(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

int64_t
param_int(json_t *params, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(params, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

bool
param_bool(json_t *params, const char *key, bool dflt)
{
	json_t *v = json_object_get(params, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

day_t
param_date(json_t *params, const char *key, day_t dflt)
{
	const char *s = param_str(params, key);
	day_t d;

	if (s == NULL || date_parse(s, &d) == -1)
		return dflt;
	return d;
}
