/*
 * libFuzzer harness for daemon/jsonr.c: each input is one request line,
 * read by jr_loadb and by jansson (jsonr_check.h).
 */
#include <stdint.h>

#include "jsonr_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jsonr_check((const char *)data, size);
	return 0;
}
