/*
 * jsonw.c: compact JSON text written directly, identical to jansson 2.14's
 * json_dumps(JSON_COMPACT) output (see jsonw.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "jsonw.h"

void
jw_init(struct jw *w)
{
	w->buf = NULL;
	w->len = w->cap = 0;
	w->comma = false;
}

void
jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

static void
jw_grow(struct jw *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 1024;
	char *nb;

	if (more > SIZE_MAX / 2 - w->len)
		fatalx("jsonw: too long");
	while (cap < w->len + more + 1)
		cap *= 2;
	if ((nb = realloc(w->buf, cap)) == NULL)
		fatal("realloc");
	w->buf = nb;
	w->cap = cap;
}

char *
jw_finish(struct jw *w, size_t *len)
{
	char *s;

	jw_grow(w, 0);
	w->buf[w->len] = '\0';
	s = w->buf;
	if (len)
		*len = w->len;
	jw_init(w);
	return s;
}

void
jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->cap - w->len < n + 1)
		jw_grow(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
jw_ch(struct jw *w, char c)
{
	if (w->cap - w->len < 2)
		jw_grow(w, 1);
	w->buf[w->len++] = c;
}

void
jw_sep(struct jw *w)
{
	if (w->comma)
		jw_ch(w, ',');
	w->comma = true;
}

void
jw_begin_object(struct jw *w)
{
	jw_sep(w);
	jw_ch(w, '{');
	w->comma = false;
}

void
jw_end_object(struct jw *w)
{
	jw_ch(w, '}');
	w->comma = true;
}

void
jw_begin_array(struct jw *w)
{
	jw_sep(w);
	jw_ch(w, '[');
	w->comma = false;
}

void
jw_end_array(struct jw *w)
{
	jw_ch(w, ']');
	w->comma = true;
}

/* The escaped string body, as jansson's dump_string without flags. */
static void
jw_escaped(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s, *end = s + n;
	char e[6];

	jw_ch(w, '"');
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc;
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jw_raw(w, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			esc = e;
			elen = 6;
			break;
		}
		jw_raw(w, esc, elen);
	}
	jw_raw(w, run, (size_t)(end - run));
	jw_ch(w, '"');
}

void
jw_key(struct jw *w, const char *k)
{
	if (w->comma)
		jw_ch(w, ',');
	jw_escaped(w, k, strlen(k));
	jw_ch(w, ':');
	w->comma = false;
}

void
jw_stringn(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_escaped(w, s, n);
}

void
jw_string(struct jw *w, const char *s)
{
	jw_stringn(w, s, strlen(s));
}

void
jw_int(struct jw *w, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	jw_sep(w);
	jw_raw(w, b, (size_t)n);
}

/* jansson 2.14 strconv.c jsonp_dtostr with precision 17 (C locale). */
int
jw_dtostr(char *buf, size_t size, double v)
{
	char *start, *end;
	size_t length;
	int ret = snprintf(buf, size, "%.17g", v);

	if (ret < 0 || (size_t)ret >= size)
		return -1;
	length = (size_t)ret;
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
		if (length + 3 >= size)
			return -1;
		buf[length] = '.';
		buf[length + 1] = '0';
		buf[length + 2] = '\0';
		length += 2;
	}
	start = strchr(buf, 'e');
	if (start) {
		start++;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, length - (size_t)(end - buf) + 1);
			length -= (size_t)(end - start);
		}
	}
	return (int)length;
}

bool
jw_real(struct jw *w, double v)
{
	char b[24]; /* jansson's MAX_REAL_STR_LENGTH */
	int n;

	if (!isfinite(v) || (n = jw_dtostr(b, sizeof(b), v)) < 0)
		return false;
	jw_sep(w);
	jw_raw(w, b, (size_t)n);
	return true;
}

void
jw_null(struct jw *w)
{
	jw_sep(w);
	jw_raw(w, "null", 4);
}

void
jw_bool(struct jw *w, bool b)
{
	jw_sep(w);
	if (b)
		jw_raw(w, "true", 4);
	else
		jw_raw(w, "false", 5);
}

/* jansson utf.c: utf8_check_first + utf8_check_full. */
size_t
jw_utf8_seq(const unsigned char *s, size_t n)
{
	size_t size, i;
	uint32_t value;
	unsigned char u = s[0];

	if (u < 0x80)
		return 1;
	if (u < 0xC2)
		return 0; /* continuation byte or overlong 2-byte */
	if (u < 0xE0) {
		size = 2;
		value = u & 0x1F;
	} else if (u < 0xF0) {
		size = 3;
		value = u & 0x0F;
	} else if (u < 0xF5) {
		size = 4;
		value = u & 0x07;
	} else
		return 0;
	if (size > n)
		return 0;
	for (i = 1; i < size; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		value = (value << 6) + (s[i] & 0x3F);
	}
	if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF) ||
	    (size == 3 && value < 0x800) || (size == 4 && value < 0x10000))
		return 0;
	return size;
}

bool
jw_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = jw_utf8_seq(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}
