/*
 * Text output: display widths of UTF-8 text (Chinese characters take two
 * columns, whatever the locale), aligned tables, CSV, and small helpers
 * for reading JSON results. Text from the server is cleaned of control
 * characters before it reaches the terminal.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xmalloc.h"
#include "ogi.h"

struct range {
	uint32_t lo, hi;
};

/* East Asian Width W and F (Unicode 15), merged where adjacent. */
static const struct range wide[] = {
	{ 0x1100, 0x115F },   { 0x231A, 0x231B },   { 0x2329, 0x232A },
	{ 0x23E9, 0x23EC },   { 0x23F0, 0x23F0 },   { 0x23F3, 0x23F3 },
	{ 0x25FD, 0x25FE },   { 0x2614, 0x2615 },   { 0x2648, 0x2653 },
	{ 0x267F, 0x267F },   { 0x2693, 0x2693 },   { 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB },   { 0x26BD, 0x26BE },   { 0x26C4, 0x26C5 },
	{ 0x26CE, 0x26CE },   { 0x26D4, 0x26D4 },   { 0x26EA, 0x26EA },
	{ 0x26F2, 0x26F3 },   { 0x26F5, 0x26F5 },   { 0x26FA, 0x26FA },
	{ 0x26FD, 0x26FD },   { 0x2705, 0x2705 },   { 0x270A, 0x270B },
	{ 0x2728, 0x2728 },   { 0x274C, 0x274C },   { 0x274E, 0x274E },
	{ 0x2753, 0x2755 },   { 0x2757, 0x2757 },   { 0x2795, 0x2797 },
	{ 0x27B0, 0x27B0 },   { 0x27BF, 0x27BF },   { 0x2B1B, 0x2B1C },
	{ 0x2B50, 0x2B50 },   { 0x2B55, 0x2B55 },   { 0x2E80, 0x303E },
	{ 0x3041, 0x3247 },   { 0x3250, 0x4DBF },   { 0x4E00, 0xA4CF },
	{ 0xA960, 0xA97F },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },
	{ 0xFE10, 0xFE19 },   { 0xFE30, 0xFE6F },   { 0xFF00, 0xFF60 },
	{ 0xFFE0, 0xFFE6 },   { 0x16FE0, 0x16FE4 }, { 0x16FF0, 0x16FF1 },
	{ 0x17000, 0x18CD5 }, { 0x18D00, 0x18D08 }, { 0x1AFF0, 0x1B2FB },
	{ 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF }, { 0x1F18E, 0x1F18E },
	{ 0x1F191, 0x1F19A }, { 0x1F200, 0x1F202 }, { 0x1F210, 0x1F23B },
	{ 0x1F240, 0x1F248 }, { 0x1F250, 0x1F251 }, { 0x1F260, 0x1F265 },
	{ 0x1F300, 0x1F320 }, { 0x1F32D, 0x1F335 }, { 0x1F337, 0x1F37C },
	{ 0x1F37E, 0x1F393 }, { 0x1F3A0, 0x1F3CA }, { 0x1F3CF, 0x1F3D3 },
	{ 0x1F3E0, 0x1F3F0 }, { 0x1F3F4, 0x1F3F4 }, { 0x1F3F8, 0x1F43E },
	{ 0x1F440, 0x1F440 }, { 0x1F442, 0x1F4FC }, { 0x1F4FF, 0x1F53D },
	{ 0x1F54B, 0x1F54E }, { 0x1F550, 0x1F567 }, { 0x1F57A, 0x1F57A },
	{ 0x1F595, 0x1F596 }, { 0x1F5A4, 0x1F5A4 }, { 0x1F5FB, 0x1F64F },
	{ 0x1F680, 0x1F6C5 }, { 0x1F6CC, 0x1F6CC }, { 0x1F6D0, 0x1F6D2 },
	{ 0x1F6D5, 0x1F6D7 }, { 0x1F6DC, 0x1F6DF }, { 0x1F6EB, 0x1F6EC },
	{ 0x1F6F4, 0x1F6FC }, { 0x1F7E0, 0x1F7EB }, { 0x1F7F0, 0x1F7F0 },
	{ 0x1F90C, 0x1F93A }, { 0x1F93C, 0x1F945 }, { 0x1F947, 0x1F9FF },
	{ 0x1FA70, 0x1FAFF }, { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

/* Combining marks and other characters that take no column. */
static const struct range zero[] = {
	{ 0x0300, 0x036F },   { 0x0483, 0x0489 },   { 0x0591, 0x05BD },
	{ 0x05BF, 0x05BF },   { 0x05C1, 0x05C2 },   { 0x05C4, 0x05C5 },
	{ 0x05C7, 0x05C7 },   { 0x0610, 0x061A },   { 0x064B, 0x065F },
	{ 0x0670, 0x0670 },   { 0x06D6, 0x06DC },   { 0x06DF, 0x06E4 },
	{ 0x0E31, 0x0E31 },   { 0x0E34, 0x0E3A },   { 0x0E47, 0x0E4E },
	{ 0x1AB0, 0x1AFF },   { 0x1DC0, 0x1DFF },   { 0x200B, 0x200F },
	{ 0x202A, 0x202E },   { 0x2060, 0x2064 },   { 0x20D0, 0x20FF },
	{ 0x302A, 0x302D },   { 0x3099, 0x309A },   { 0xFE00, 0xFE0F },
	{ 0xFE20, 0xFE2F },   { 0xFEFF, 0xFEFF },   { 0x1F3FB, 0x1F3FF },
	{ 0xE0001, 0xE007F }, { 0xE0100, 0xE01EF },
};

static bool
in_ranges(uint32_t c, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/*
 * Decode one UTF-8 sequence at s; returns its length (>= 1) and the code
 * point, or U+FFFD for a byte that starts no valid sequence.
 */
static size_t
u8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) ||
	    (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = c;
	return n;
}

static int
cp_width(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7F && c < 0xA0))
		return 0;
	if (in_ranges(c, zero, sizeof zero / sizeof zero[0]))
		return 0;
	if (in_ranges(c, wide, sizeof wide / sizeof wide[0]))
		return 2;
	return 1;
}

int
out_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	int w = 0;

	while (*p != '\0') {
		p += u8_decode(p, &c);
		w += cp_width(c);
	}
	return w;
}

/* What out_clean writes as a space: C0, DEL, C1, line and paragraph
 * separators (they would move the terminal or break a line). */
static bool
is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) ||
	       c == 0x2028 || c == 0x2029;
}

/* Whether s has a character out_clean would replace (a newline aside). */
static bool
needs_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	for (; *p != '\0'; p += n) {
		if (*p >= 0x20 && *p < 0x7F) {
			n = 1;
			continue;
		}
		n = u8_decode(p, &c);
		if (c != '\n' && (is_control(c) || (c == 0xFFFD && n == 1)))
			return true;
	}
	return false;
}

void
out_clean_tree(json_t *v)
{
	const char *key;
	json_t *e;
	size_t i;
	char *clean;

	if (json_is_string(v) && needs_clean(json_string_value(v))) {
		clean = out_clean(json_string_value(v), true);
		json_string_set(v, clean);
		free(clean);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) out_clean_tree(e);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, e) out_clean_tree(e);
	}
}

/* Punctuation no line may start with (a Chinese line breaks before none). */
static bool
no_break_before(uint32_t c)
{
	static const uint32_t closing[] = {
		0x3001, 0x3002, 0x300B, 0x300D, 0x300F, 0x3011, 0xFF01,
		0xFF09, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF1F, 0x201D, 0x2019,
	};
	size_t i;

	for (i = 0; i < sizeof closing / sizeof closing[0]; i++)
		if (c == closing[i])
			return true;
	return false;
}

/*
 * One unit of wrapping at p (not a space or a newline): a wide character
 * (Chinese has no spaces, so a line may break between any two), or else a
 * run of narrow characters up to a space, a newline or a wide character;
 * closing punctuation stays with what it follows. Its width in *w.
 */
static const unsigned char *
wrap_unit(const unsigned char *p, int *w)
{
	uint32_t c;
	size_t n = u8_decode(p, &c);
	int cw = cp_width(c);
	bool first_wide = cw == 2;

	*w = cw;
	for (p += n; *p != '\0' && *p != ' ' && *p != '\n'; p += n) {
		n = u8_decode(p, &c);
		cw = cp_width(c);
		if ((first_wide || cw == 2) && !no_break_before(c))
			break;
		*w += cw;
	}
	return p;
}

void
out_wrap(FILE *fp, const char *s, int indent, int avail)
{
	const unsigned char *p = (const unsigned char *)s, *q;
	int col = 0, spaces = 0, w;
	bool started = false; /* the line has a unit (col may be 0) */

	while (*p != '\0') {
		if (*p == '\n' || *p == ' ') {
			if (*p == '\n') {
				fprintf(fp, "\n%*s", indent, "");
				col = spaces = 0;
				started = false;
			} else
				spaces++;
			p++;
			continue;
		}
		q = wrap_unit(p, &w);
		if (started && col + spaces + w > avail) {
			fprintf(fp, "\n%*s", indent, "");
			col = 0;
		} else if (started) {
			fprintf(fp, "%*s", spaces, "");
			col += spaces;
		}
		fwrite(p, 1, (size_t)(q - p), fp);
		col += w;
		spaces = 0;
		started = true;
		p = q;
	}
}

bool
out_valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	for (; *p != '\0'; p += n) {
		n = u8_decode(p, &c);
		if (c == 0xFFFD && n == 1)
			return false;
	}
	return true;
}

char *
out_clean(const char *s, bool keep_newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *q;
	uint32_t c;
	size_t n;

	q = out = xmalloc(strlen(s) * 3 + 1);
	while (*p != '\0') {
		n = u8_decode(p, &c);
		if (c == '\n' && keep_newlines)
			*q++ = '\n';
		else if (is_control(c))
			*q++ = ' ';
		else if (c == 0xFFFD && n == 1) {
			memcpy(q, "\xEF\xBF\xBD", 3); /* a stray byte */
			q += 3;
		} else {
			memcpy(q, p, n);
			q += n;
		}
		p += n;
	}
	*q = '\0';
	return out;
}

char *
out_cut(const char *s, int cols)
{
	char *clean, *p;
	uint32_t c;
	size_t n;
	int w = 0, cw;

	clean = out_clean(s, false);
	if (out_width(clean) <= cols)
		return clean;
	/* Keep what fits in cols - 1 columns, then "…". */
	for (p = clean; *p != '\0'; p += n) {
		n = u8_decode((unsigned char *)p, &c);
		cw = cp_width(c);
		if (w + cw > cols - 1)
			break;
		w += cw;
	}
	*p = '\0';
	p = xasprintf("%s…", clean);
	free(clean);
	return p;
}

void
out_pad(FILE *fp, const char *s, int cols, bool right)
{
	int pad = cols - out_width(s);

	if (right)
		fprintf(fp, "%*s", pad > 0 ? pad : 0, "");
	fputs(s, fp);
	if (!right)
		fprintf(fp, "%*s", pad > 0 ? pad : 0, "");
}

void
out_csv_field(FILE *fp, const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

struct table {
	int ncols;
	int ncells;
	char **cells; /* row-major, cleaned */
	bool *right;
};

struct table *
table_new(int ncols)
{
	struct table *t = xcalloc(1, sizeof *t);

	t->ncols = ncols;
	t->right = xcalloc((size_t)ncols, sizeof *t->right);
	return t;
}

/* A table whose columns are its header row: the names, then NULL. */
struct table *
table_with(const char *name, ...)
{
	struct table *t;
	const char *n;
	va_list ap;
	int ncols = 0;

	va_start(ap, name);
	for (n = name; n != NULL; n = va_arg(ap, const char *))
		ncols++;
	va_end(ap);
	t = table_new(ncols);
	va_start(ap, name);
	for (n = name; n != NULL; n = va_arg(ap, const char *))
		table_add(t, n);
	va_end(ap);
	return t;
}

void
table_free(struct table *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
}

void
table_align_right(struct table *t, int col)
{
	t->right[col] = true;
}

void
table_add(struct table *t, const char *cell)
{
	t->cells =
	    xreallocarray(t->cells, (size_t)t->ncells + 1, sizeof *t->cells);
	t->cells[t->ncells++] = out_clean(cell != NULL ? cell : "", false);
}

void
table_addf(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	table_add(t, s);
	free(s);
}

int
table_rows(const struct table *t)
{
	return (t->ncells + t->ncols - 1) / t->ncols;
}

int
table_col_width(const struct table *t, int col)
{
	int i, w, max = 0;

	for (i = col; i < t->ncells; i += t->ncols)
		if ((w = out_width(t->cells[i])) > max)
			max = w;
	return max;
}

static void
table_print_rows(const struct table *t, FILE *fp, int indent, int from)
{
	int *width, c, i, last;

	width = xcalloc((size_t)t->ncols, sizeof *width);
	for (c = 0; c < t->ncols; c++)
		width[c] = table_col_width(t, c);
	for (i = from * t->ncols; i < t->ncells; i += t->ncols) {
		fprintf(fp, "%*s", indent, "");
		/* No trailing blanks: the last non-empty cell ends the line. */
		last = t->ncols - 1;
		while (last > 0 &&
		       (i + last >= t->ncells || t->cells[i + last][0] == '\0'))
			last--;
		for (c = 0; c <= last; c++) {
			if (c > 0)
				fputs("  ", fp);
			if (c == last && !t->right[c])
				fputs(t->cells[i + c], fp);
			else
				out_pad(fp, t->cells[i + c], width[c],
				        t->right[c]);
		}
		fputc('\n', fp);
	}
	free(width);
}

void
table_print(const struct table *t, FILE *fp, int indent)
{
	table_print_rows(t, fp, indent, 0);
}

void
table_print_body(const struct table *t, FILE *fp, int indent)
{
	table_print_rows(t, fp, indent, 1);
}

void
table_print_csv(const struct table *t, FILE *fp)
{
	int i;

	for (i = 0; i < t->ncells; i++) {
		out_csv_field(fp, t->cells[i]);
		fputc((i + 1) % t->ncols == 0 || i + 1 == t->ncells ? '\n'
		                                                    : ',',
		      fp);
	}
}

const char *
js(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

const char *
js_any(const json_t *obj, ...)
{
	const char *key, *v = NULL;
	va_list ap;

	va_start(ap, obj);
	while (v == NULL && (key = va_arg(ap, const char *)) != NULL)
		v = js(obj, key);
	va_end(ap);
	return v;
}

/* The shortest text that reads back as d (an amount as it was sent). */
static char *
real_text(double d)
{
	char buf[64];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof buf, "%.17g", d);
	return xstrdup(buf);
}

char *
jtext(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return xstrdup("");
	if (json_is_string(v))
		return out_clean(json_string_value(v), true);
	if (json_is_true(v))
		return xstrdup("yes");
	if (json_is_false(v))
		return xstrdup("no");
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT,
		                 json_integer_value(v));
	if (json_is_real(v))
		return real_text(json_real_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

json_int_t
jint(const json_t *obj, const char *key, json_int_t def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

bool
jbool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}
