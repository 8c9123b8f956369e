/*
 * Numbers out of range in a request line: see overflow.h. The line is
 * copied with each such number replaced by the mark "\u0000n", then read
 * by jansson with JSON_ALLOW_NUL; everything else keeps its exact value
 * (an id of 2^53 + 1 included).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xmalloc.h"
#include "overflow.h"

#define MARK_TEXT "\"\\u0000n\""
#define MARK_VALUE "\0n"
#define MARK_LEN 2

/*
 * Is the token [s, s + n) a well-formed JSON number that jansson cannot
 * hold? A malformed one is left for jansson to refuse.
 */
static bool
number_too_big(const char *s, size_t n)
{
	static const char max[] = "9223372036854775807"; /* 19 digits */
	const char *d = s;
	size_t nd, k;
	char *copy, *end;
	double v;
	bool big;

	if (memchr(s, '.', n) == NULL && memchr(s, 'e', n) == NULL &&
	    memchr(s, 'E', n) == NULL) {
		if (*d == '-')
			d++;
		nd = n - (size_t)(d - s);
		for (k = 0; k < nd; k++)
			if (d[k] < '0' || d[k] > '9')
				return false;
		if (nd == 0 || (d[0] == '0' && nd > 1))
			return false;
		if (nd != 19)
			return nd > 19;
		/* -9223372036854775808 is in range; 9223372036854775808 not */
		return memcmp(d, max, 18) > 0 ||
		       (memcmp(d, max, 18) == 0 &&
		        d[18] > (*s == '-' ? '8' : '7'));
	}
	copy = xmalloc(n + 1);
	memcpy(copy, s, n);
	copy[n] = '\0';
	errno = 0;
	v = strtod(copy, &end);
	big = end == copy + n && errno == ERANGE &&
	      (v == HUGE_VAL || v == -HUGE_VAL);
	free(copy);
	return big;
}

json_t *
overflow_parse(const char *buf, size_t len, json_error_t *err)
{
	char *out = xmalloc(len * 2 + 16);
	size_t i = 0, o = 0, n;
	json_t *root;

	while (i < len) {
		char c = buf[i];

		if (c == '"') { /* a string, escapes and all, as it is */
			out[o++] = buf[i++];
			while (i < len && buf[i] != '"') {
				if (buf[i] == '\\' && i + 1 < len)
					out[o++] = buf[i++];
				out[o++] = buf[i++];
			}
			if (i < len)
				out[o++] = buf[i++];
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			for (n = 1;
			     i + n < len &&
			     strchr("0123456789+-.eE", buf[i + n]) != NULL &&
			     buf[i + n] != '\0';
			     n++)
				;
			if (number_too_big(buf + i, n)) {
				memcpy(out + o, MARK_TEXT,
				       sizeof(MARK_TEXT) - 1);
				o += sizeof(MARK_TEXT) - 1;
			} else {
				memcpy(out + o, buf + i, n);
				o += n;
			}
			i += n;
		} else
			out[o++] = buf[i++];
	}
	root = json_loadb(
	    out, o, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    err);
	free(out);
	return root;
}

bool
overflow_is_mark(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) == MARK_LEN &&
	       memcmp(json_string_value(v), MARK_VALUE, MARK_LEN) == 0;
}

static void
overflow_id(json_t *req)
{
	if (json_is_object(req) && overflow_is_mark(json_object_get(req, "id")))
		json_object_set_new(req, "id", json_null());
}

void
overflow_ids(json_t *root)
{
	json_t *x;
	size_t i;

	if (json_is_array(root)) {
		json_array_foreach(root, i, x)
		{
			overflow_id(x);
		}
	} else
		overflow_id(root);
}

static bool
find_at(const json_t *v, char *path, size_t len, size_t at)
{
	const char *key;
	json_t *x;
	size_t i;
	int n;

	if (overflow_is_mark(v))
		return true;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x)
		{
			n = snprintf(path + at, len - at, at ? ".%s" : "%s",
			             key);
			if (n >= 0 &&
			    find_at(x, path, len,
			            at + (size_t)n < len ? at + (size_t)n
			                                 : len - 1))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			n = snprintf(path + at, len - at, "[%zu]", i);
			if (n >= 0 &&
			    find_at(x, path, len,
			            at + (size_t)n < len ? at + (size_t)n
			                                 : len - 1))
				return true;
		}
	}
	path[at] = '\0';
	return false;
}

bool
overflow_find(const json_t *v, char *path, size_t len)
{
	path[0] = '\0';
	return v != NULL && find_at(v, path, len, 0);
}
