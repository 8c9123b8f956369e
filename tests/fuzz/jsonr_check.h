/*
 * daemon/jsonr.c against jansson, for test_jsonr and the fuzzers:
 * jr_loadb gives the tree json_loadb(JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY) gives, keys in the same order, or NULL. A tree where
 * jansson refuses, or a different tree, is a mismatch (printed to stderr).
 */
#ifndef OGI_JSONR_CHECK_H
#define OGI_JSONR_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../daemon/jsonr.h"

enum jsonr_verdict { JSONR_SAME, JSONR_FALLBACK, JSONR_MISMATCH };

/*
 * jr_first_element against jansson: where jansson reads the text as an
 * array whose first element is an object, the span found is that object,
 * parsed alone. 0, or 1 with a message to stderr.
 */
static int
jsonr_first_mismatch(const char *text, size_t len)
{
	json_t *all = json_loadb(text, len,
	                         JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	json_t *first = json_array_get(all, 0), *span = NULL;
	size_t off = 0, elen = 0;
	int found = jr_first_element(text, len, &off, &elen), bad = 0;

	if (json_is_object(first)) {
		span = found == 1 ? json_loadb(text + off, elen,
		                               JSON_REJECT_DUPLICATES, NULL)
		                  : NULL;
		bad = span == NULL || !json_equal(span, first);
	} else if (all != NULL)
		bad = found == 1; /* not an array, or its first no object */
	if (bad)
		fprintf(stderr, "# jr_first_element: %d at %zu+%zu in %.200s\n",
		        found, off, elen, text);
	json_decref(span);
	json_decref(all);
	return bad;
}

static enum jsonr_verdict
jsonr_compare(const char *text, size_t len)
{
	json_t *a, *b;
	char *da, *db;
	enum jsonr_verdict v;

	if (jsonr_first_mismatch(text, len))
		return JSONR_MISMATCH;
	if ((a = jr_loadb(text, len)) == NULL)
		return JSONR_FALLBACK;
	b = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	               NULL);
	da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	db = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	v = da != NULL && db != NULL && strcmp(da, db) == 0 ? JSONR_SAME
	                                                    : JSONR_MISMATCH;
	if (v == JSONR_MISMATCH)
		fprintf(stderr, "# jr_loadb: %.400s\n# jansson:  %.400s\n",
		        da != NULL ? da : "?", db != NULL ? db : "(refused)");
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);
	return v;
}

/* For the fuzzers: a mismatch is a finding. */
static inline void
jsonr_check(const char *text, size_t len)
{
	if (jsonr_compare(text, len) == JSONR_MISMATCH)
		abort();
}

#endif
