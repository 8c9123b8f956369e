/*
 * A fast reader for request lines: see jsonr.h. Recursive descent over the
 * bytes; every doubt is a NULL that sends the line to json_loadb.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"
#include "jsonw.h"

struct jr {
	const unsigned char *p, *end;
	int depth;
	char *buf; /* a string with escapes, decoded (owned) */
	size_t cap;
};

static json_t *jr_value(struct jr *);

static bool
jr_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void
jr_space(struct jr *r)
{
	while (r->p < r->end && jr_is_space(*r->p))
		r->p++;
}

static int
jr_hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			c = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | c;
	}
	*out = v;
	return 0;
}

/* Room for n more bytes in r->buf past len. */
static void
jr_reserve(struct jr *r, size_t len, size_t n)
{
	char *nb;
	size_t cap;

	if (len + n <= r->cap)
		return;
	cap = r->cap ? r->cap : 256;
	while (cap < len + n)
		cap *= 2;
	if ((nb = realloc(r->buf, cap)) == NULL)
		abort();
	r->buf = nb;
	r->cap = cap;
}

/*
 * The string whose opening quote r->p is on: its bytes in *s, *n (the input
 * itself when it has no escapes, else r->buf), and whether they are all
 * ASCII (valid UTF-8 then, without jansson's check). -1: not sure.
 */
static int
jr_string(struct jr *r, const char **s, size_t *n, bool *ascii)
{
	static const char unescape[128] = {
		['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
		['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
	};
	const unsigned char *start = ++r->p, *q;
	uint64_t high = 0, w;
	size_t len;

	for (q = start; r->end - q >= 8; q += 8) {
		w = jw_word_load(q);
		if (jw_word_special(w) != 0)
			break;
		high |= w;
	}
	for (; q < r->end && *q != '"' && *q != '\\' && *q >= 0x20;)
		high |= *q++;
	*ascii = (high & JW_HIGHS) == 0;
	if (q < r->end && *q == '"') {
		*s = (const char *)start;
		*n = (size_t)(q - start);
		r->p = q + 1;
		return 0;
	}
	len = (size_t)(q - start);
	jr_reserve(r, 0, len + 16);
	memcpy(r->buf, start, len);
	while (q < r->end) {
		unsigned c = *q, u, lo;

		if (c == '"') {
			*s = r->buf;
			*n = len;
			r->p = q + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		jr_reserve(r, len, 4);
		if (c != '\\') {
			if (c >= 0x80)
				*ascii = false;
			r->buf[len++] = (char)c;
			q++;
			continue;
		}
		if (++q >= r->end)
			return -1;
		c = *q++;
		if (c < sizeof(unescape) && unescape[c] != 0) {
			r->buf[len++] = unescape[c];
			continue;
		}
		if (c != 'u')
			return -1;
		if (r->end - q < 4 || jr_hex4(q, &u) == -1 || u == 0)
			return -1;
		q += 4;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return -1;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
			    jr_hex4(q + 2, &lo) == -1 || lo < 0xDC00 ||
			    lo > 0xDFFF)
				return -1;
			q += 6;
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
		}
		if (u >= 0x80)
			*ascii = false;
		if (u < 0x80)
			r->buf[len++] = (char)u;
		else if (u < 0x800) {
			r->buf[len++] = (char)(0xC0 | u >> 6);
			r->buf[len++] = (char)(0x80 | (u & 0x3F));
		} else if (u < 0x10000) {
			r->buf[len++] = (char)(0xE0 | u >> 12);
			r->buf[len++] = (char)(0x80 | (u >> 6 & 0x3F));
			r->buf[len++] = (char)(0x80 | (u & 0x3F));
		} else {
			r->buf[len++] = (char)(0xF0 | u >> 18);
			r->buf[len++] = (char)(0x80 | (u >> 12 & 0x3F));
			r->buf[len++] = (char)(0x80 | (u >> 6 & 0x3F));
			r->buf[len++] = (char)(0x80 | (u & 0x3F));
		}
	}
	return -1;
}

/* An integer: -?(0|[1-9][0-9]*) in int64. Reals and the rest: NULL. */
static json_t *
jr_integer(struct jr *r)
{
	const unsigned char *q = r->p;
	bool neg = false;
	uint64_t v = 0, max;

	if (*q == '-') {
		neg = true;
		q++;
	}
	if (q >= r->end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0')
		q++;
	else {
		max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (; q < r->end && *q >= '0' && *q <= '9'; q++) {
			unsigned d = *q - '0';

			if (v > (max - d) / 10)
				return NULL;
			v = v * 10 + d;
		}
	}
	if (q < r->end &&
	    (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9')))
		return NULL;
	r->p = q;
	if (neg)
		return json_integer(
		    v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)v);
	return json_integer((json_int_t)v);
}

static json_t *
jr_word(struct jr *r, const char *w, size_t n, json_t *v)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return NULL;
	r->p += n;
	return v;
}

/*
 * Between the members of an object or array (close: its closing byte).
 * Past the opening byte: 1 if it closes at once. Past a member: 1 if it
 * closes, 0 past a comma, -1 on anything else.
 */
static int
jr_open(struct jr *r, unsigned char close)
{
	r->p++;
	jr_space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 1;
	}
	return 0;
}

static int
jr_next(struct jr *r, unsigned char close)
{
	jr_space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 1;
	}
	if (r->p >= r->end || *r->p != ',')
		return -1;
	r->p++;
	jr_space(r);
	return 0;
}

/*
 * A string or key as jansson would take it: ASCII, or valid UTF-8 by
 * jw_utf8_valid, jansson's rule at a fifth of the cost of its own check
 * (~5 instructions a byte of Chinese text against ~28). What it refuses,
 * jansson gets to refuse (jr_loadb returns NULL).
 */
static bool
jr_utf8_ok(const char *s, size_t n, bool ascii)
{
	return ascii || jw_utf8_valid(s, n);
}

static json_t *
jr_object(struct jr *r)
{
	json_t *o = json_object(), *v;
	const char *k;
	char kbuf[128], *kheap;
	size_t kn, n = 0;
	bool ascii;
	int rc;

	if (jr_open(r, '}') == 1)
		return o;
	for (;;) {
		if (r->p >= r->end || *r->p != '"' ||
		    jr_string(r, &k, &kn, &ascii) == -1)
			break;
		kheap = NULL;
		if (k == r->buf) { /* the value may reuse r->buf */
			if (kn < sizeof(kbuf))
				k = memcpy(kbuf, k, kn);
			else if ((kheap = malloc(kn)) == NULL)
				abort();
			else
				k = memcpy(kheap, k, kn);
		}
		v = NULL;
		jr_space(r);
		if (r->p < r->end && *r->p == ':') {
			r->p++;
			jr_space(r);
			v = jr_value(r);
		}
		if (v == NULL)
			rc = -1;
		else if (!jr_utf8_ok(k, kn, ascii)) {
			json_decref(v);
			rc = -1;
		} else if ((rc = json_object_setn_new_nocheck(o, k, kn, v)) ==
		               0 &&
		           json_object_size(o) != ++n)
			/* A duplicate (it replaced the first): jansson's error
			 * to give. One look-up a member, in the set. */
			rc = -1;
		free(kheap);
		if (rc == -1 || (rc = jr_next(r, '}')) == -1)
			break;
		if (rc == 1)
			return o;
	}
	json_decref(o);
	return NULL;
}

static json_t *
jr_array(struct jr *r)
{
	json_t *a = json_array(), *v;
	int rc;

	if (jr_open(r, ']') == 1)
		return a;
	for (;;) {
		if ((v = jr_value(r)) == NULL ||
		    json_array_append_new(a, v) == -1 ||
		    (rc = jr_next(r, ']')) == -1)
			break;
		if (rc == 1)
			return a;
	}
	json_decref(a);
	return NULL;
}

static json_t *
jr_value(struct jr *r)
{
	const char *s;
	size_t n;
	bool ascii;
	json_t *v;

	if (r->p >= r->end)
		return NULL;
	switch (*r->p) {
	case '{':
	case '[':
		if (++r->depth > JR_MAX_DEPTH)
			return NULL;
		v = *r->p == '{' ? jr_object(r) : jr_array(r);
		r->depth--;
		return v;
	case '"':
		if (jr_string(r, &s, &n, &ascii) == -1)
			return NULL;
		return jr_utf8_ok(s, n, ascii) ? json_stringn_nocheck(s, n)
		                               : NULL;
	case 't':
		return jr_word(r, "true", 4, json_true());
	case 'f':
		return jr_word(r, "false", 5, json_false());
	case 'n':
		return jr_word(r, "null", 4, json_null());
	default:
		return jr_integer(r);
	}
}

json_t *
jr_loadb(const char *buf, size_t len)
{
	struct jr r = { (const unsigned char *)buf,
		        (const unsigned char *)buf + len, 0, NULL, 0 };
	json_t *v;

	jr_space(&r);
	v = jr_value(&r);
	jr_space(&r);
	if (v != NULL && r.p != r.end) {
		json_decref(v);
		v = NULL;
	}
	free(r.buf);
	return v;
}

/* Past the string whose opening quote is at buf[i]: its end, or len. */
static size_t
jr_past_string(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return len;
}

int
jr_first_element(const char *buf, size_t len, size_t *off, size_t *elen)
{
	size_t i = 0, start, depth = 0;

	while (i < len && jr_is_space(buf[i]))
		i++;
	if (i == len || buf[i++] != '[')
		return 0;
	while (i < len && jr_is_space(buf[i]))
		i++;
	if (i == len || buf[i] != '{')
		return 0;
	for (start = i; i < len;) {
		char ch = buf[i];

		if (ch == '"') {
			i = jr_past_string(buf, len, i);
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && --depth == 0) {
			*off = start;
			*elen = i + 1 - start;
			return 1;
		}
		i++;
	}
	return 0;
}

size_t
jr_values(const char *buf, size_t len, size_t max)
{
	size_t i = 0, n = 1;

	while (i < len && n <= max) {
		char ch = buf[i];

		if (ch == '"') {
			i = jr_past_string(buf, len, i);
			continue;
		}
		if (ch == '{' || ch == '[' || ch == ',')
			n++;
		i++;
	}
	return n;
}
