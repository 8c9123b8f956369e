/*
 * overflow.c: request lines with numbers jansson cannot hold (integers
 * past 64 bits, reals past a double). They are valid JSON, so rather than
 * a parse error each call of such a line is answered with its id and the
 * field named (rpc.c); none of them runs.
 */
#ifndef OGI_OVERFLOW_H
#define OGI_OVERFLOW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * The line's tree with each number out of range replaced by a mark (a
 * string no client value can be confused with: it holds a NUL), or NULL
 * with *err set when the line is wrong in another way too.
 */
json_t *overflow_parse(const char *buf, size_t len, json_error_t *err);
bool overflow_is_mark(const json_t *);
/* Each call's id that is a mark becomes null: it cannot be echoed. */
void overflow_ids(json_t *root);
/* The path ("days", "deep.a[2]") of the first mark in v, or false. */
bool overflow_find(const json_t *v, char *path, size_t len);

#endif
