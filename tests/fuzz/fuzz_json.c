/*
 * libFuzzer harness for daemon/jsonr.c: each input is one request line.
 * jr_loadb must give the tree json_loadb(JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY) gives, keys in the same order, or NULL; a tree where
 * jansson refuses, or a different tree, aborts (a finding).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../daemon/jsonr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	json_t *a = jr_loadb(text, size), *b;
	char *da, *db;

	if (a == NULL)
		return 0;
	b = json_loadb(text, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	               NULL);
	da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	db = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (da == NULL || db == NULL || strcmp(da, db) != 0) {
		fprintf(stderr,
		        "fuzz_json: jr_loadb: %.400s\njansson: %.400s\n",
		        da != NULL ? da : "?", db != NULL ? db : "(refused)");
		abort();
	}
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);
	return 0;
}
