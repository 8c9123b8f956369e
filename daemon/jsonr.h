/*
 * jsonr.c: a fast reader for request lines. jansson's json_loadb costs
 * about 190 instructions a byte (a request to app.submit: ~70k, a fifth of
 * the loop thread's work for it); most of that is its character stream.
 *
 * jr_loadb returns exactly the tree that json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) returns, with keys in the same
 * order, or NULL wherever it is not sure: anything jansson refuses, real
 * numbers, integers past 64 bits, "\u0000", nesting deeper than
 * JR_MAX_DEPTH. On NULL the caller asks jansson, which then gives the
 * tree or the error it always gave. Strings and keys are checked as UTF-8
 * by jansson itself (json_stringn, json_object_setn_new).
 */
#ifndef OGI_JSONR_H
#define OGI_JSONR_H

#include <stddef.h>

#include <jansson.h>

#define JR_MAX_DEPTH 32

/* The tree (new reference), or NULL: ask json_loadb. */
json_t *jr_loadb(const char *buf, size_t len);

/*
 * At least as many as the values a tree of the text would hold (its '{',
 * '[' and ',' outside strings, plus one), counted up to max + 1: what a
 * line may cost in memory once read, some 200 bytes a value in jansson,
 * is known before it is read. A value takes 2 bytes at least ("1,"), so a
 * text of up to 2 * max - 1 bytes never has more than max.
 */
size_t jr_values(const char *buf, size_t len, size_t max);

/*
 * If the text is an array whose first element, an object, ends within
 * buf[0, len), that element's span ([*off, *off + *elen)) and 1; else 0.
 * Only brackets and strings are followed, not checked: the span is given
 * to a parser. For a batch's head before the whole line is in.
 */
int jr_first_element(const char *buf, size_t len, size_t *off, size_t *elen);

#endif
