/*
 * The app.submit reader (submit_fast.h). A recursive-descent scanner of
 * the one shape it takes; any other byte is "not sure" (NULL).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xmalloc.h"
#include "jsonr.h"
#include "jsonw.h"
#include "submit_fast.h"

#define SF_ID_MAX 64 /* bytes of a string id taken here */

struct sf_scan {
	char *p, *end; /* in the copy */
};

/* The copy ends in a NUL, so no bound is needed here. */
static void
ws(struct sf_scan *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

static bool
eat(struct sf_scan *c, char ch)
{
	ws(c);
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/*
 * A string at c->p that needs no unescaping, valid UTF-8: its bytes, cut
 * out of the copy with a NUL where its closing quote was. Eight bytes at a
 * time where there is nothing to stop at (jw_word_special), and UTF-8 is
 * checked only in strings with bytes past 0x7F.
 */
static bool
str(struct sf_scan *c, const char **s, size_t *n)
{
	unsigned char *q, *end = (unsigned char *)c->end;
	uint64_t high = 0, w, sp;
	unsigned k;

	ws(c);
	if (c->p >= c->end || *c->p != '"')
		return false;
	q = (unsigned char *)++c->p;
	for (; end - q >= 8; q += 8) {
		w = jw_word_load(q);
		if ((sp = jw_word_special(w)) != 0) {
			/* The lowest flagged byte is the first special one
			 * (the flags above it may be borrows); the bytes
			 * before it are taken whole. Little-endian words. */
			k = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			        ? (unsigned)__builtin_ctzll(sp) >> 3
			        : 0;
			high |= k == 0 ? 0 : w & (~0ULL >> (64 - 8 * k));
			q += k;
			break;
		}
		high |= w;
	}
	for (; q < end && *q != '"' && *q != '\\' && *q >= 0x20; q++)
		high |= *q;
	if (q >= end || *q != '"')
		return false;
	*s = c->p;
	*n = (size_t)((char *)q - c->p);
	if ((high & JW_HIGHS) != 0 && !jw_utf8_valid(*s, *n))
		return false;
	*q = '\0';
	c->p = (char *)q + 1;
	return true;
}

static bool
null(struct sf_scan *c)
{
	ws(c);
	if (c->end - c->p < 4 || memcmp(c->p, "null", 4) != 0)
		return false;
	c->p += 4;
	return true;
}

static int
row_of(const struct pspec *spec, const char *key, size_t n)
{
	int i;

	for (i = 0; spec[i].name != NULL; i++)
		if (spec[i].name[0] == key[0] &&
		    strncmp(spec[i].name, key, n) == 0 &&
		    spec[i].name[n] == '\0')
			return i;
	return -1;
}

/* An object of spec's members, and in g those of its sub object. */
static bool
object(struct sf_scan *c, const struct pspec *spec, struct sf_field *f,
       const struct pspec *sub, struct sf_field *g)
{
	const char *k, *s;
	size_t kn, n;
	int row;

	if (!eat(c, '{'))
		return false;
	if (eat(c, '}'))
		return true;
	do {
		if (!str(c, &k, &kn) || !eat(c, ':'))
			return false;
		if ((row = row_of(spec, k, kn)) == -1 ||
		    f[row].state != SF_ABSENT)
			return false; /* unknown or twice: the usual answer */
		ws(c);
		if (c->p < c->end && *c->p == '{') {
			if (sub == NULL || spec[row].type != P_OBJECT ||
			    !object(c, sub, g, NULL, NULL))
				return false;
			f[row].state = SF_OBJECT;
		} else if (null(c))
			f[row].state = SF_NULL;
		else if (str(c, &s, &n)) {
			f[row].state = SF_STRING;
			f[row].s = s;
			f[row].n = n;
		} else
			return false;
	} while (eat(c, ','));
	return eat(c, '}');
}

/* A plain integer id (no sign, no leading zero, under 10^18). */
static json_t *
int_id(struct sf_scan *c)
{
	json_int_t v = 0;
	char *start;

	ws(c);
	start = c->p;
	if (c->p < c->end && *c->p == '0') {
		c->p++;
	} else {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9' &&
		       c->p - start < 18) {
			v = v * 10 + (*c->p - '0');
			c->p++;
		}
	}
	if (c->p == start ||
	    (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E' ||
	                       (*c->p >= '0' && *c->p <= '9'))))
		return NULL;
	return json_integer(v);
}

struct submit_fast *
submit_fast_read(const char *buf, size_t len, const struct pspec *spec,
                 const struct pspec *sub)
{
	struct submit_fast *r;
	struct sf_scan c;
	const char *k, *s;
	size_t kn, n, i;
	bool seen[4] = { false, false, false, false }, params = false;

	/* Other lines go their way before anything is copied. */
	for (i = 0; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	if (i == len || buf[i] != '{' ||
	    memmem(buf, len, "\"app.submit\"", 12) == NULL ||
	    memchr(buf, '\\', len) != NULL)
		return NULL;
	/* One block: the request, the copy it cuts up, the line as it came. */
	r = xmalloc(sizeof(*r) + 2 * len + 1);
	memset(r, 0, sizeof(*r));
	r->line = (char *)(r + 1);
	r->orig = r->line + len + 1;
	memcpy(r->line, buf, len);
	r->line[len] = '\0';
	r->len = len;
	r->spec = spec;
	r->sub = sub;
	c.p = r->line;
	c.end = r->line + len;
	if (!eat(&c, '{'))
		goto unsure;
	do {
		if (!str(&c, &k, &kn) || !eat(&c, ':'))
			goto unsure;
		if (kn == 7 && memcmp(k, "jsonrpc", 7) == 0 && !seen[0]) {
			seen[0] = true;
			if (!str(&c, &s, &n) || n != 3 ||
			    memcmp(s, "2.0", 3) != 0)
				goto unsure;
		} else if (kn == 2 && memcmp(k, "id", 2) == 0 && !seen[1]) {
			seen[1] = true;
			ws(&c);
			if (c.p < c.end && *c.p == '"') {
				if (!str(&c, &s, &n) || n > SF_ID_MAX)
					goto unsure;
				r->id = json_stringn_nocheck(s, n);
			} else
				r->id = int_id(&c);
			if (r->id == NULL)
				goto unsure;
		} else if (kn == 6 && memcmp(k, "method", 6) == 0 && !seen[2]) {
			seen[2] = true;
			if (!str(&c, &s, &n) || n != 10 ||
			    memcmp(s, "app.submit", 10) != 0)
				goto unsure;
		} else if (kn == 6 && memcmp(k, "params", 6) == 0 && !seen[3]) {
			seen[3] = params = true;
			if (!object(&c, spec, r->f, sub, r->g))
				goto unsure;
		} else
			goto unsure;
	} while (eat(&c, ','));
	if (!eat(&c, '}') || !params || !seen[0] || !seen[1] || !seen[2])
		goto unsure;
	ws(&c);
	if (c.p != c.end)
		goto unsure;
	memcpy(r->orig, buf, len);
	return r;
unsure:
	submit_fast_free(r);
	return NULL;
}

void
submit_fast_free(struct submit_fast *r)
{
	if (r == NULL)
		return;
	json_decref(r->id);
	free(r);
}

json_t *
submit_fast_tree(const struct submit_fast *r)
{
	json_error_t e;
	json_t *t = jr_loadb(r->orig, r->len);

	if (t == NULL)
		t = json_loadb(r->orig, r->len,
		               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	return t;
}

/* spec's rows in strcmp order of their names, kept for the two tables. */
static const int *
sorted_rows(const struct pspec *spec)
{
	static struct {
		const struct pspec *spec;
		int rows[SF_MAX_FIELDS + 1]; /* ended by -1 */
	} cache[2];
	int n, i, j, t, *rows;
	size_t k;

	for (k = 0; k < 2 && cache[k].spec != NULL; k++)
		if (cache[k].spec == spec)
			return cache[k].rows;
	if (k == 2)
		k = 1; /* a third table: only the last is kept */
	rows = cache[k].rows;
	for (n = 0; spec[n].name != NULL && n < SF_MAX_FIELDS; n++)
		rows[n] = n;
	rows[n] = -1;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(spec[rows[j - 1]].name,
		                            spec[rows[j]].name) > 0;
		     j--) {
			t = rows[j];
			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	cache[k].spec = spec;
	return rows;
}

static void
members_text(const struct submit_fast *r, const struct pspec *spec,
             const struct sf_field *f, struct jw *w)
{
	const int *rows = sorted_rows(spec);
	const char *name;
	int i;

	jw_begin_object(w);
	for (i = 0; rows[i] != -1; i++) {
		const struct sf_field *x = &f[rows[i]];

		if (x->state == SF_ABSENT)
			continue;
		/* A table's names need no escaping. */
		name = spec[rows[i]].name;
		jw_raw(w, w->comma ? ",\"" : "\"", w->comma ? 2 : 1);
		jw_raw(w, name, strlen(name));
		jw_raw(w, "\":", 2);
		w->comma = false;
		if (x->state == SF_NULL)
			jw_null(w);
		else if (x->state == SF_OBJECT)
			members_text(r, r->sub, r->g, w);
		else {
			/* Nothing in it to escape (see submit_fast.h). */
			jw_raw(w, "\"", 1);
			jw_raw(w, x->s, x->n);
			jw_raw(w, "\"", 1);
			w->comma = true;
		}
	}
	jw_end_object(w);
}

void
submit_fast_params_text(const struct submit_fast *r, struct jw *w)
{
	members_text(r, r->spec, r->f, w);
}
