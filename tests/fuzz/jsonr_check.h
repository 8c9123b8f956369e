/*
 * The fuzzers' check of daemon/jsonr.c: jr_loadb gives the tree
 * json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) gives, keys in the
 * same order, or NULL. A tree where jansson refuses, or a different tree,
 * aborts (a finding).
 */
#ifndef OGI_JSONR_CHECK_H
#define OGI_JSONR_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../daemon/jsonr.h"

static void
jsonr_check(const char *text, size_t len)
{
	json_t *a = jr_loadb(text, len), *b;
	char *da, *db;

	if (a == NULL)
		return;
	b = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	               NULL);
	da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	db = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (da == NULL || db == NULL || strcmp(da, db) != 0) {
		fprintf(stderr, "jr_loadb: %.400s\njansson:  %.400s\n",
		        da != NULL ? da : "?", db != NULL ? db : "(refused)");
		abort();
	}
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);
}

#endif
