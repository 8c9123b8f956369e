/*
 * jsonw.c: a growable text buffer that writes compact JSON byte for byte as
 * jansson's json_dumps(..., JSON_COMPACT) would: "," and ":" without
 * spaces, the same string escapes, "%lld" integers and "%.17g" reals; and
 * a jansson value as json_dumps(..., JSON_SORT_KEYS | JSON_COMPACT) would.
 */
#ifndef OGI_JSONW_H
#define OGI_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

struct jw {
	char *buf;
	size_t len, cap;
	bool comma; /* a value was written: the next one needs a "," */
};

void jw_init(struct jw *);
void jw_free(struct jw *);
/* The NUL-terminated text (caller frees); the writer is reset. */
char *jw_finish(struct jw *, size_t *len);
/* Empty again, keeping the buffer for the next text. */
void jw_clear(struct jw *);
/* The NUL-terminated text so far; the writer keeps it (and the buffer). */
const char *jw_contents(struct jw *, size_t *len);

/* Bytes as they are, no separator. */
void jw_raw(struct jw *, const char *, size_t);
/* A separator if a value came before, then nothing: for raw values. */
void jw_sep(struct jw *);

void jw_begin_object(struct jw *);
void jw_end_object(struct jw *);
void jw_begin_array(struct jw *);
void jw_end_array(struct jw *);
/* "key": (the key is written escaped). */
void jw_key(struct jw *, const char *);

/* Values. s must be valid UTF-8 (see jw_utf8_valid). */
void jw_string(struct jw *, const char *s);
void jw_stringn(struct jw *, const char *s, size_t n);
/* v in decimal at the end of buf (no NUL): where its digits start. */
#define JW_INT_MAX 20 /* "-9223372036854775808" */

char *jw_int_text(char buf[JW_INT_MAX], int64_t v);
void jw_int(struct jw *, int64_t);
/* false if jansson could not dump it (not finite, or too long). */
bool jw_real(struct jw *, double);
void jw_null(struct jw *);
void jw_bool(struct jw *, bool);
/* A string checked as jansson checks one: false if not valid UTF-8. */
bool jw_string_checked(struct jw *, const char *s, size_t n);
/*
 * v as json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)
 * writes it: members in the order of jansson's key comparison, strings and
 * keys checked. false where json_dumps would fail; the text written so far
 * is then to be thrown away.
 */
bool jw_json(struct jw *, const json_t *v);
/*
 * jw_json of a tree whose strings and keys are known to be valid UTF-8,
 * not checked again: one jsonr.c made from a request (it checks them), or
 * one of strings jansson checked when it made them.
 */
bool jw_json_valid(struct jw *, const json_t *v);

/* Whether json_string() would accept s (jansson's UTF-8 check). */
bool jw_utf8_valid(const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
size_t jw_utf8_seq(const unsigned char *s, size_t n);
/*
 * jansson's real format into buf: its length, or -1 if it does not fit
 * (the longest, "-2.2250738585072014e-308", needs 25 bytes).
 */
int jw_dtostr(char *buf, size_t size, double v);

/*
 * Eight bytes at a time, with the bit tricks strlen uses: whether the word
 * holds a byte a JSON string cannot carry as it is ('"', '\\' or a control
 * below 0x20). Exact for the word as a whole: 0 means none of its bytes
 * is one. jw_escaped and jr_string skip such words, the bulk of a text.
 */
#define JW_ONES 0x0101010101010101ULL
#define JW_HIGHS 0x8080808080808080ULL

static inline uint64_t
jw_word_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t
jw_word_special(uint64_t w)
{
	uint64_t q = w ^ (JW_ONES * '"'), b = w ^ (JW_ONES * '\\');

	return (((q - JW_ONES) & ~q) | ((b - JW_ONES) & ~b) |
	        ((w - JW_ONES * 0x20) & ~w)) &
	       JW_HIGHS;
}

#endif
