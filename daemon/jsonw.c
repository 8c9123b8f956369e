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
#include "../lib/xmalloc.h"
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

void
jw_clear(struct jw *w)
{
	w->len = 0;
	w->comma = false;
}

const char *
jw_contents(struct jw *w, size_t *len)
{
	if (w->cap - w->len < 1) /* empty, or full: room for the NUL */
		jw_grow(w, 0);
	w->buf[w->len] = '\0';
	if (len)
		*len = w->len;
	return w->buf;
}

char *
jw_finish(struct jw *w, size_t *len)
{
	char *s;

	jw_contents(w, len);
	s = w->buf;
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

/*
 * jansson utf.c's utf8_check_first + utf8_check_full, inline for
 * jw_escaped's loop: the length of the sequence at s, 0 if it is not valid
 * UTF-8. The second byte's range after E0, ED, F0 and F4 is what refuses
 * overlong forms, UTF-16 surrogates and code points above U+10FFFF
 * (Unicode table 3-7), without assembling the code point.
 */
static inline size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char u = s[0];

	if (u < 0x80)
		return 1;
	if (u < 0xC2 || u > 0xF4)
		return 0; /* continuation, overlong 2-byte, or too high */
	if (n < 2 || (s[1] & 0xC0) != 0x80)
		return 0;
	if (u < 0xE0)
		return 2;
	if (n < 3 || (s[2] & 0xC0) != 0x80 || (u == 0xE0 && s[1] < 0xA0) ||
	    (u == 0xED && s[1] > 0x9F))
		return 0;
	if (u < 0xF0)
		return 3;
	if (n < 4 || (s[3] & 0xC0) != 0x80 || (u == 0xF0 && s[1] < 0x90) ||
	    (u == 0xF4 && s[1] > 0x8F))
		return 0;
	return 4;
}

/*
 * What jw_escaped must do with a byte: 0 copy it, JW_ESC escape it (a
 * control, '"' or '\\'), JW_UTF8 check the UTF-8 sequence it starts (or
 * copy it, unchecked). One load per byte, not four comparisons.
 */
#define JW_ESC 1
#define JW_UTF8 2
/* clang-format off */
static const unsigned char jw_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20 '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50 '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x80 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xf0 */
};
/* clang-format on */

/*
 * The escaped string body, as jansson's dump_string without flags. With
 * check, false at the first byte that is not valid UTF-8, where
 * dump_string fails; without, the caller has checked.
 */
static bool
jw_escaped(struct jw *w, const char *s, size_t n, bool check)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s, *end = s + n;
	unsigned mask = check ? JW_ESC | JW_UTF8 : JW_ESC;
	/* checked, a byte past 0x7F starts a sequence to check */
	uint64_t high = check ? JW_HIGHS : 0, word;
	char e[6];

	jw_ch(w, '"');
	while (s < end) {
		unsigned char c;
		const char *esc;
		size_t elen = 2, k;

		if (end - s >= 8) {
			word = jw_word_load(s);
			if ((jw_word_special(word) | (word & high)) == 0) {
				s += 8;
				continue;
			}
		}
		c = (unsigned char)*s;
		if ((jw_class[c] & mask) == 0) {
			s++;
			continue;
		}
		if (c >= 0x80) {
			k = utf8_seq((const unsigned char *)s,
			             (size_t)(end - s));
			if (k == 0)
				return false;
			s += k;
			continue;
		}
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
		s++;
	}
	jw_raw(w, run, (size_t)(end - run));
	jw_ch(w, '"');
	return true;
}

void
jw_key(struct jw *w, const char *k)
{
	if (w->comma)
		jw_ch(w, ',');
	(void)jw_escaped(w, k, strlen(k), false);
	jw_ch(w, ':');
	w->comma = false;
}

void
jw_stringn(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	(void)jw_escaped(w, s, n, false);
}

bool
jw_string_checked(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	return jw_escaped(w, s, n, true);
}

void
jw_string(struct jw *w, const char *s)
{
	jw_stringn(w, s, strlen(s));
}

/* "%lld" by hand: snprintf's format parsing costs several times this. */
char *
jw_int_text(char buf[JW_INT_MAX], int64_t v)
{
	char *p = buf + JW_INT_MAX;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

void
jw_int(struct jw *w, int64_t v)
{
	char b[JW_INT_MAX], *p = jw_int_text(b, v);

	jw_sep(w);
	jw_raw(w, p, (size_t)(b + sizeof(b) - p));
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
	char b[32]; /* the longest fits; jansson's buffer is larger still */
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

/*
 * jw_json: a jansson value written as jansson's do_dump writes it with
 * JSON_SORT_KEYS | JSON_COMPACT, without building the sorted key list in
 * the heap or looking each key up again.
 */
struct jw_member {
	const char *key;
	size_t len;
	const json_t *value;
};

/* Objects of up to this many members sort on the stack, by insertion. */
#define JW_SMALL_OBJECT 16

/* jansson's compare_keys: bytes, then length (keys may hold NUL). */
static int
jw_member_cmp(const void *a, const void *b)
{
	const struct jw_member *m1 = a, *m2 = b;
	int r = memcmp(m1->key, m2->key, m1->len < m2->len ? m1->len : m2->len);

	if (r != 0)
		return r;
	return m1->len < m2->len ? -1 : m1->len > m2->len;
}

static void
jw_members_sort(struct jw_member *m, size_t n)
{
	struct jw_member t;
	size_t i, j;

	if (n > JW_SMALL_OBJECT) {
		qsort(m, n, sizeof(*m), jw_member_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		t = m[i];
		for (j = i; j > 0 && jw_member_cmp(&m[j - 1], &t) > 0; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

static bool jw_value(struct jw *, const json_t *, bool check);

static bool
jw_json_members(struct jw *w, struct jw_member *m, size_t n, bool check)
{
	size_t i;

	jw_begin_object(w);
	for (i = 0; i < n; i++) {
		if (i > 0)
			jw_ch(w, ',');
		/* jansson ignores a bad key here; only json_object_set_nocheck
		 * makes one, and we refuse it */
		if (!jw_escaped(w, m[i].key, m[i].len, check))
			return false;
		jw_ch(w, ':');
		w->comma = false;
		if (!jw_value(w, m[i].value, check))
			return false;
	}
	jw_end_object(w);
	return true;
}

static bool
jw_json_object(struct jw *w, const json_t *o, bool check)
{
	struct jw_member small[JW_SMALL_OBJECT], *m = small;
	size_t n = json_object_size(o), i = 0;
	void *it = json_object_iter((json_t *)o);
	bool ok;

	if (n > JW_SMALL_OBJECT)
		m = xreallocarray(NULL, n, sizeof(*m));
	for (; it != NULL && i < n; i++) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
		it = json_object_iter_next((json_t *)o, it);
	}
	jw_members_sort(m, i);
	ok = jw_json_members(w, m, i, check);
	if (m != small)
		free(m);
	return ok;
}

static bool
jw_json_array(struct jw *w, const json_t *a, bool check)
{
	size_t i, n = json_array_size(a);

	jw_begin_array(w);
	for (i = 0; i < n; i++)
		if (!jw_value(w, json_array_get(a, i), check))
			return false;
	jw_end_array(w);
	return true;
}

/* check: strings and keys checked for UTF-8 as jansson's dump does. */
static bool
jw_value(struct jw *w, const json_t *v, bool check)
{
	if (v == NULL)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return jw_json_object(w, v, check);
	case JSON_ARRAY:
		return jw_json_array(w, v, check);
	case JSON_STRING:
		jw_sep(w);
		return jw_escaped(w, json_string_value(v),
		                  json_string_length(v), check);
	case JSON_INTEGER:
		jw_int(w, json_integer_value(v));
		return true;
	case JSON_REAL:
		return jw_real(w, json_real_value(v));
	case JSON_TRUE:
		jw_bool(w, true);
		return true;
	case JSON_FALSE:
		jw_bool(w, false);
		return true;
	case JSON_NULL:
		jw_null(w);
		return true;
	}
	return false;
}

bool
jw_json(struct jw *w, const json_t *v)
{
	return jw_value(w, v, true);
}

bool
jw_json_valid(struct jw *w, const json_t *v)
{
	return jw_value(w, v, false);
}

size_t
jw_utf8_seq(const unsigned char *s, size_t n)
{
	return utf8_seq(s, n);
}

/*
 * Eight ASCII bytes at a time, and the 3-byte sequences of Chinese text
 * (leads E1-EC and EE-EF, whose continuation bytes need no range check)
 * without utf8_seq's tests: ~12 instructions a byte of Chinese were 1.5k
 * of a submit's.
 */
bool
jw_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned char u;

	while (i < n) {
		if ((u = p[i]) < 0x80) {
			if (n - i >= 8 &&
			    (jw_word_load(p + i) & (JW_ONES * 0x80)) == 0)
				i += 8;
			else
				i++;
			continue;
		}
		if (n - i >= 3 && u >= 0xE1 && u <= 0xEF && u != 0xED &&
		    (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
			i += 3;
			continue;
		}
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}
