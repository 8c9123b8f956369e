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

static enum jsonr_verdict
jsonr_compare(const char *text, size_t len)
{
	json_t *a = jr_loadb(text, len), *b;
	char *da, *db;
	enum jsonr_verdict v;

	if (a == NULL)
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
