/*
 * params.c: checking a method's params against a table: unknown fields,
 * types, required fields, lengths, ranges and dates, each refused with
 * -32602 and data {field, reason} naming the first bad field.
 */
#ifndef OGI_PARAMS_H
#define OGI_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "../lib/date.h"
#include "ogid.h"

enum ptype {
	P_STRING, /* UTF-8 text, length in characters min..max */
	P_INT,    /* integer min..max */
	P_BOOL,
	P_DATE, /* "YYYY-MM-DD", a real date */
	P_OBJECT,
	P_ARRAY,
	P_NUMBER, /* integer or real, min..max */
	P_ANY,
};

struct pspec {
	const char *name;
	enum ptype type;
	bool required;
	int64_t min, max; /* P_STRING: characters; P_INT/P_NUMBER: value */
};
#define PSPEC_END                                                              \
	{                                                                      \
		NULL, P_ANY, false, 0, 0                                       \
	}

/*
 * Check params (NULL means {}) against spec; prefix names nested fields
 * ("applicant."). 0, or -1 with err set.
 */
int params_check(json_t *params, const struct pspec *, const char *prefix,
                 struct rpc_error *);
/*
 * Checks beyond the table (enums, nested objects, dates against today):
 * called for each field present, right after the table accepts it, so
 * that the first bad field in table order is the one named. 0 or -1 with
 * err set.
 */
typedef int (*param_fn)(json_t *value, const struct pspec *, void *arg,
                        struct rpc_error *);
int params_check_with(json_t *params, const struct pspec *, const char *prefix,
                      param_fn, void *arg, struct rpc_error *);
/*
 * A P_STRING or P_DATE value given as text (len bytes, NUL-terminated),
 * checked as params_check checks one in a tree. 0, or -1 with err set.
 */
int params_check_text(const char *s, size_t len, const struct pspec *,
                      const char *prefix, struct rpc_error *);
/* Accessors for checked params: absent gives the default. */
const char *param_str(json_t *, const char *key);
int64_t param_int(json_t *, const char *key, int64_t dflt);
bool param_bool(json_t *, const char *key, bool dflt);
/* A checked P_DATE, or dflt when absent. */
day_t param_date(json_t *, const char *key, day_t dflt);

#endif
