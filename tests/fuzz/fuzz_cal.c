/*
 * libFuzzer harness over the date, calendar and deadline arithmetic
 * (lib/date.c, lib/calendar.c, lib/deadline.c, the calendar helpers of
 * lib/workflow.c, lib/tz.c's parser), checking invariants, not only that
 * nothing crashes.
 *
 * An input is text (see tests/fuzz/README):
 *
 *   calendar text, loaded with cal_load_text over the built-in calendar
 *   %%
 *   one operation per line
 *
 * Without a "%%" line the whole input is calendar text, and every year it
 * changed is then checked day by day. Operations (D is a date YYYY-MM-DD,
 * a day number, or "none"; N an integer):
 *
 *   parse TEXT        date_parse: accepted text formats back to itself
 *   ymd Y M D         date_from_ymd / date_to_ymd round trip
 *   add D N           cal_add: a working day, exactly N after the start
 *   count D D         cal_count: antisymmetric, additive, brute force
 *   eff D             cal_effective: the first working day at or after
 *   wd D              cal_is_workday agrees with cal_count
 *   skip D D          dl_skipped_days agrees with cal_count
 *   nth D N           wf_nth_workday_after agrees with cal_add
 *   soon D N          wf_due_soon_day: N working days before
 *   dl D EXT [D D]... dl_compute: due_on = cal_add(start, base+ext+paused)
 *   set Y D... / D... cal_set_year (holidays / working days)
 *   clear Y           cal_clear_year
 *   copy              cal_copy is the same calendar
 *   mid D             tz_day(tz_midnight(d)) == d
 *   tz TEXT           tz_parse: tz_format of the result parses back
 *
 * A violated invariant aborts with the operation on stderr.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/calendar.h"
#include "../../lib/date.h"
#include "../../lib/deadline.h"
#include "../../lib/tz.h"
#include "../../lib/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define BRUTE_MAX 4000 /* brute-force checks over at most this many days */
#define MAX_OPS 128

static struct cal *builtin;
static day_t first_day, last_day;
static const char *cur_op;

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_cal: invariant violated in \"%s\": ",
	        cur_op != NULL ? cur_op : "(load)");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why;
	int line;

	(void)argc;
	(void)argv;
	if (tz_set("Asia/Shanghai") == -1)
		abort();
	builtin = cal_new();
	if (cal_load_text(builtin, cal_builtin_text, &why, &line) == -1) {
		fprintf(stderr, "built-in calendar, line %d: %s\n", line, why);
		abort();
	}
	first_day = date_first_day();
	last_day = date_last_day();
	return 0;
}

/* ---- tokens ---- */

static long long
clampll(long long v, long long lo, long long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static bool
parse_ll(const char *t, long long *out)
{
	char *end;

	if (t == NULL || *t == '\0')
		return false;
	*out = strtoll(t, &end, 10);
	return *end == '\0';
}

/*
 * A day: "none", a date (a real one, or Y-M-D out of range computed without
 * a check), or a day number; kept within 200,000 days of the table so the
 * arithmetic stays in int32.
 */
static bool
parse_day(const char *t, day_t *out)
{
	long long v;
	int y, m, d;

	if (t == NULL)
		return false;
	if (strcmp(t, "none") == 0) {
		*out = DAY_NONE;
		return true;
	}
	if (date_parse(t, out) == 0)
		return true;
	if (sscanf(t, "%d-%d-%d", &y, &m, &d) == 3 && y > 1000 && y < 3000 &&
	    m >= 1 && m <= 12 && d >= 1 && d <= 31) {
		*out = date_from_ymd(y, m, d);
		return true;
	}
	if (!parse_ll(t, &v))
		return false;
	*out = (day_t)clampll(v, (long long)first_day - 200000,
	                      (long long)last_day + 200000);
	return true;
}

static bool
parse_int(const char *t, int lo, int hi, int *out)
{
	long long v;

	if (!parse_ll(t, &v))
		return false;
	*out = (int)clampll(v, lo, hi);
	return true;
}

/* ---- checks ---- */

static bool
in_table(day_t d)
{
	return d != DAY_NONE && d >= first_day && d <= last_day;
}

static void
check_count(const struct cal *cal, day_t a, day_t b)
{
	int c = cal_count(cal, a, b), n = 0;
	day_t x, m;

	if (a == DAY_NONE || b == DAY_NONE) {
		if (c != 0)
			fail("count with DAY_NONE is %d", c);
		return;
	}
	if (cal_count(cal, b, a) != -c)
		fail("count(a,b)=%d but count(b,a)=%d", c,
		     cal_count(cal, b, a));
	if (cal_count(cal, a, a) != 0)
		fail("count(a,a) != 0");
	m = (day_t)(((long long)a + b) / 2);
	if (cal_count(cal, a, m) + cal_count(cal, m, b) != c)
		fail("count not additive at %d", m);
	if ((long long)b - a > BRUTE_MAX || (long long)a - b > BRUTE_MAX)
		return;
	if (a <= b) {
		for (x = a + 1; x <= b; x++)
			n += cal_is_workday(cal, x);
	} else {
		for (x = b + 1; x <= a; x++)
			n -= cal_is_workday(cal, x);
	}
	if (n != c)
		fail("count(%d,%d)=%d, brute force %d", a, b, c, n);
}

static void
check_effective(const struct cal *cal, day_t d)
{
	day_t e = cal_effective(cal, d), x;

	if (d == DAY_NONE) {
		if (e != DAY_NONE)
			fail("effective(NONE) != NONE");
		return;
	}
	if (e == DAY_NONE) {
		/* Only when no working day is left in the table. */
		if (!in_table(d) || cal_count(cal, d - 1, last_day) != 0)
			fail("effective(%d) is NONE", d);
		return;
	}
	if (e < d || !cal_is_workday(cal, e))
		fail("effective(%d)=%d not a working day at or after", d, e);
	if ((long long)e - d <= BRUTE_MAX)
		for (x = d; x < e; x++)
			if (cal_is_workday(cal, x))
				fail("effective(%d)=%d skips working day %d", d,
				     e, x);
}

static void
check_add(const struct cal *cal, day_t d, int n)
{
	day_t r = cal_add(cal, d, n), e = cal_effective(cal, d), r1;

	if (n < 0 || e == DAY_NONE || !in_table(e)) {
		if (r != DAY_NONE)
			fail("add(%d,%d)=%d, want NONE", d, n, r);
		return;
	}
	if (r == DAY_NONE) {
		if (cal_count(cal, e, last_day) >= n)
			fail("add(%d,%d) is NONE with %d days left", d, n,
			     cal_count(cal, e, last_day));
		return;
	}
	if (!in_table(r) || r < e || !cal_is_workday(cal, r))
		fail("add(%d,%d)=%d is not a working day after %d", d, n, r, e);
	if (cal_count(cal, e, r) != n)
		fail("count(eff %d, add(%d,%d)=%d) = %d", e, d, n, r,
		     cal_count(cal, e, r));
	if (n > 0) {
		r1 = cal_add(cal, d, n - 1);
		if (r1 == DAY_NONE || r1 >= r || cal_count(cal, r1, r) != 1)
			fail("add(%d,%d)=%d, add(%d,%d)=%d", d, n, r, d, n - 1,
			     r1);
	} else if (r != e)
		fail("add(%d,0)=%d != effective %d", d, r, e);
	if (dl_period_last_day(cal, d, n) != r)
		fail("dl_period_last_day != cal_add");
}

static void
check_workday(const struct cal *cal, day_t d)
{
	bool w = cal_is_workday(cal, d);

	if (d == DAY_NONE || d - 1 == DAY_NONE)
		return;
	if ((cal_count(cal, d - 1, d) == 1) != w)
		fail("is_workday(%d)=%d but count(d-1,d)=%d", d, w,
		     cal_count(cal, d - 1, d));
	if (d >= first_day - 7 && d <= last_day + 7) {
		int wd = date_weekday(d);

		if (wd < 1 || wd > 7)
			fail("weekday(%d)=%d", d, wd);
		if (!in_table(d) && w != (wd <= 5))
			fail("outside the table only weekends rest: %d", d);
	}
}

static void
check_skip(const struct cal *cal, day_t a, day_t b)
{
	day_t out[16];
	size_t n, i, want;

	if (a != DAY_NONE && b != DAY_NONE && (long long)b - a > 20000)
		return; /* linear in the span */
	n = dl_skipped_days(cal, a, b, out, 16);
	if (a == DAY_NONE || b == DAY_NONE || b <= a + 1) {
		if (n != 0)
			fail("skipped(%d,%d)=%zu, want 0", a, b, n);
		return;
	}
	want = (size_t)((long long)b - a - 1 - cal_count(cal, a, b - 1));
	if (n != want)
		fail("skipped(%d,%d)=%zu, want %zu", a, b, n, want);
	for (i = 0; i < n && i < 16; i++) {
		if (out[i] <= a || out[i] >= b || cal_is_workday(cal, out[i]) ||
		    (i > 0 && out[i] <= out[i - 1]))
			fail("skipped(%d,%d)[%zu]=%d", a, b, i, out[i]);
	}
}

static void
check_nth(const struct cal *cal, day_t d, int n)
{
	day_t r, a;

	if (d == DAY_NONE || d > last_day || d < first_day - 1000)
		return; /* wf_* take days the daemon has: in the table */
	r = wf_nth_workday_after(cal, d, n);
	if (n <= 0) {
		if (r != d)
			fail("nth(%d,%d)=%d", d, n, r);
		return;
	}
	if (r == DAY_NONE) {
		if (cal_count(cal, d, last_day) >= n)
			fail("nth(%d,%d) NONE", d, n);
		return;
	}
	if (!cal_is_workday(cal, r) || cal_count(cal, d, r) != n)
		fail("nth(%d,%d)=%d, count %d", d, n, r, cal_count(cal, d, r));
	if (cal_is_workday(cal, d) && in_table(d) &&
	    (a = cal_add(cal, d, n)) != r)
		fail("nth(%d,%d)=%d but add=%d", d, n, r, a);
}

static void
check_soon(const struct cal *cal, day_t due, int n)
{
	day_t w;
	int want;

	if (!in_table(due))
		return;
	w = wf_due_soon_day(cal, due, n);
	if (n <= 0) {
		if (w != due)
			fail("due_soon_day(%d,%d)=%d", due, n, w);
		return;
	}
	if (w > due || w < first_day)
		fail("due_soon_day(%d,%d)=%d", due, n, w);
	if (w == first_day)
		return; /* ran out of table */
	if (w == due)
		fail("due_soon_day(%d,%d) did not move", due, n);
	/* [w, due) holds n working days and starts with one. */
	want = n - 1 + (int)cal_is_workday(cal, due);
	if (!cal_is_workday(cal, w) || cal_count(cal, w, due) != want)
		fail("due_soon_day(%d,%d)=%d, count %d, want %d", due, n, w,
		     cal_count(cal, w, due), want);
}

static void
check_dl(const struct cal *cal, day_t start, int ext, const struct dl_pause *ps,
         size_t np)
{
	struct dl_input in;
	struct dl_result r;
	int paused = 0, d;
	size_t i;

	memset(&in, 0, sizeof in);
	in.rules = dl_rules_for(start);
	in.start = start;
	in.extensions = &ext;
	in.nextensions = 1;
	in.pauses = ps;
	in.npauses = np;
	dl_compute(cal, &in, &r);
	for (i = 0; i < np; i++) {
		d = dl_pause_days(cal, &ps[i]);
		if (d < 0)
			fail("pause days %d", d);
		paused += d;
	}
	if (r.paused_days != paused || r.extension_days != ext ||
	    r.base_days != dl_base_days(in.rules) ||
	    r.effective_start != cal_effective(cal, start))
		fail("dl_compute fields");
	if (r.due_on != cal_add(cal, start, r.base_days + ext + paused))
		fail("due_on %d != add(start, %d)", r.due_on,
		     r.base_days + ext + paused);
	if (r.due_on != DAY_NONE && start != DAY_NONE &&
	    r.due_on < r.effective_start)
		fail("due_on before the effective start");
	if (dl_overdue_workdays(cal, r.due_on, start) < 0)
		fail("negative overdue");
	if (r.due_on != DAY_NONE &&
	    dl_remaining_workdays(cal, r.due_on, start) !=
	        cal_count(cal, start, r.due_on))
		fail("remaining");
}

static void
check_parse(const char *text)
{
	day_t d;
	char buf[16];
	int y, m, dd;

	if (date_parse(text, &d) == -1)
		return;
	if (strcmp(date_format(d, buf), text) != 0)
		fail("parse/format round trip: %s", buf);
	date_to_ymd(d, &y, &m, &dd);
	if (!date_valid_ymd(y, m, dd) || date_from_ymd(y, m, dd) != d ||
	    date_year(d) != y || !in_table(d))
		fail("parsed day %d", d);
}

static void
check_ymd(int y, int m, int d)
{
	int y2, m2, d2;
	day_t x = date_from_ymd(y, m, d);
	char buf[16];

	if (!date_valid_ymd(y, m, d))
		return;
	date_to_ymd(x, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d)
		fail("ymd round trip %d-%d-%d -> %d-%d-%d", y, m, d, y2, m2,
		     d2);
	date_to_ymd(x + 1, &y2, &m2, &d2);
	if (!date_valid_ymd(y2, m2, d2) &&
	    !(y == DATE_MAX_YEAR && m == 12 && d == 31))
		fail("the day after %d-%d-%d is %d-%d-%d", y, m, d, y2, m2, d2);
	if (date_weekday(x + 1) != date_weekday(x) % 7 + 1)
		fail("weekdays do not follow");
	if (date_parse(date_format(x, buf), &x) == -1)
		fail("format of a valid date does not parse: %s", buf);
}

static void
check_mid(day_t d)
{
	char buf[40];
	int64_t t, t2;

	if (!in_table(d))
		return;
	t = tz_midnight(d);
	if (tz_day(t) != d || tz_day(t - 1) != d - 1)
		fail("tz_day(tz_midnight(%d))", d);
	tz_format(t, buf, sizeof buf);
	if (tz_parse(buf, &t2) == -1 || t2 != t)
		fail("tz_format/tz_parse of %lld: %s", (long long)t, buf);
}

static void
check_tz(const char *text)
{
	char buf[64];
	int64_t t, t2;

	if (tz_parse(text, &t) == -1)
		return;
	tz_format(t, buf, sizeof buf);
	if (tz_parse(buf, &t2) == 0 && t2 != t)
		fail("tz_parse(tz_format(t)) != t: %s", buf);
}

/* The same working days and known years. */
static void
check_same(const struct cal *a, const struct cal *b, const char *what)
{
	int y;
	day_t s, e;

	for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		s = date_from_ymd(y, 1, 1) - 1;
		e = date_from_ymd(y, 12, 31);
		if (cal_year_known(a, y) != cal_year_known(b, y) ||
		    cal_count(a, s, e) != cal_count(b, s, e))
			fail("%s: year %d differs", what, y);
	}
	for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++)
		if (cal_known_until(a, y) != cal_known_until(b, y))
			fail("%s: known_until from %d differs", what, y);
}

/* A year checked day by day, and its lists against its flags. */
static void
check_year(const struct cal *cal, int y)
{
	day_t s = date_from_ymd(y, 1, 1), e = date_from_ymd(y, 12, 31), d;
	day_t *h, *w;
	size_t nh, nw, i;

	for (d = s; d <= e; d++) {
		check_workday(cal, d);
		if (d % 7 == 0) {
			check_effective(cal, d);
			check_add(cal, d, 20);
		}
	}
	check_count(cal, s - 1, e);
	cal_get_year(cal, y, &h, &nh, &w, &nw);
	for (i = 0; i < nh; i++)
		if (cal_is_workday(cal, h[i]) || date_year(h[i]) != y ||
		    (i > 0 && h[i] <= h[i - 1]))
			fail("holiday %d of %d", h[i], y);
	for (i = 0; i < nw; i++)
		if (!cal_is_workday(cal, w[i]) || date_weekday(w[i]) < 6 ||
		    date_year(w[i]) != y || (i > 0 && w[i] <= w[i - 1]))
			fail("working day %d of %d", w[i], y);
	free(h);
	free(w);
}

/* ---- operations ---- */

#define MAXTOK 64

static void
run_set(struct cal **calp, char **tok, int ntok)
{
	day_t h[MAXTOK], w[MAXTOK], bad, d;
	size_t nh = 0, nw = 0;
	int year, i;
	bool work = false;
	const char *why;
	struct cal *before;

	if (ntok < 2 || !parse_int(tok[1], INT_MIN / 2, INT_MAX / 2, &year))
		return;
	for (i = 2; i < ntok; i++) {
		if (strcmp(tok[i], "/") == 0) {
			work = true;
			continue;
		}
		if (!parse_day(tok[i], &d))
			continue;
		if (work)
			w[nw++] = d;
		else
			h[nh++] = d;
	}
	before = cal_copy(*calp);
	if (cal_set_year(*calp, year, h, nh, w, nw, &why, &bad) == -1) {
		if (why == NULL)
			fail("cal_set_year failed without a reason");
		check_same(*calp, before, "failed cal_set_year changed it");
	} else {
		if (!cal_year_known(*calp, year))
			fail("set year not known");
		for (i = 0; i < (int)nh; i++)
			if (cal_is_workday(*calp, h[i]))
				fail("holiday %d works", h[i]);
		for (i = 0; i < (int)nw; i++)
			if (!cal_is_workday(*calp, w[i]))
				fail("working day %d rests", w[i]);
		check_year(*calp, year);
	}
	cal_free(before);
}

static void
run_op(struct cal **calp, char *line)
{
	char *tok[MAXTOK], *p, *rest;
	int ntok = 0, n, y, m, d;
	day_t a, b;
	struct cal *cal = *calp, *c2;

	cur_op = line;
	while (*line == ' ' || *line == '\t')
		line++;
	/* parse and tz take the rest of the line verbatim. */
	if (strncmp(line, "parse ", 6) == 0) {
		check_parse(line + 6);
		return;
	}
	if (strncmp(line, "tz ", 3) == 0) {
		check_tz(line + 3);
		return;
	}
	for (p = strtok_r(line, " \t\r", &rest); p != NULL && ntok < MAXTOK;
	     p = strtok_r(NULL, " \t\r", &rest))
		tok[ntok++] = p;
	if (ntok == 0)
		return;
#define DAY(i, v) (ntok > (i) && parse_day(tok[i], &(v)))
#define INT(i, v, lo, hi) (ntok > (i) && parse_int(tok[i], lo, hi, &(v)))
	if (strcmp(tok[0], "add") == 0 && DAY(1, a) &&
	    INT(2, n, INT_MIN, INT_MAX))
		check_add(cal, a, n);
	else if (strcmp(tok[0], "count") == 0 && DAY(1, a) && DAY(2, b))
		check_count(cal, a, b);
	else if (strcmp(tok[0], "eff") == 0 && DAY(1, a))
		check_effective(cal, a);
	else if (strcmp(tok[0], "wd") == 0 && DAY(1, a))
		check_workday(cal, a);
	else if (strcmp(tok[0], "skip") == 0 && DAY(1, a) && DAY(2, b))
		check_skip(cal, a, b);
	else if (strcmp(tok[0], "nth") == 0 && DAY(1, a) &&
	         INT(2, n, -10, 5000))
		check_nth(cal, a, n);
	else if (strcmp(tok[0], "soon") == 0 && DAY(1, a) &&
	         INT(2, n, -10, 1000))
		check_soon(cal, a, n);
	else if (strcmp(tok[0], "ymd") == 0 && INT(1, y, -1000000, 1000000) &&
	         INT(2, m, 1, 12) && INT(3, d, -1000, 1000))
		check_ymd(y, m, d);
	else if (strcmp(tok[0], "mid") == 0 && DAY(1, a))
		check_mid(a);
	else if (strcmp(tok[0], "dl") == 0 && DAY(1, a) &&
	         INT(2, n, -100000, 100000)) {
		struct dl_pause ps[MAXTOK / 2];
		size_t np = 0;
		int i;

		for (i = 3; i + 1 < ntok; i += 2)
			if (parse_day(tok[i], &ps[np].from) &&
			    parse_day(tok[i + 1], &ps[np].to))
				np++;
		check_dl(cal, a, n, ps, np);
	} else if (strcmp(tok[0], "set") == 0)
		run_set(calp, tok, ntok);
	else if (strcmp(tok[0], "clear") == 0 &&
	         INT(1, y, INT_MIN / 2, INT_MAX / 2)) {
		cal_clear_year(cal, y);
		if (cal_year_known(cal, y))
			fail("cleared year still known");
		if (y >= DATE_MIN_YEAR && y <= DATE_MAX_YEAR)
			check_year(cal, y);
	} else if (strcmp(tok[0], "copy") == 0) {
		c2 = cal_copy(cal);
		check_same(cal, c2, "cal_copy");
		cal_free(cal);
		*calp = c2;
	}
#undef DAY
#undef INT
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *ops = NULL, *line, *next;
	struct cal *cal, *before;
	const char *why = NULL;
	int lineno = -1, rc, y, nops = 0;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	/* The calendar part ends at a line "%%". */
	if (strncmp(text, "%%\n", 3) == 0 || strcmp(text, "%%") == 0) {
		text[0] = '\0';
		ops = text + 2 + (text[2] == '\n');
	} else if ((ops = strstr(text, "\n%%\n")) != NULL) {
		*ops = '\0';
		ops += 4;
	} else if (size >= 3 && strcmp(text + size - 3, "\n%%") == 0) {
		text[size - 3] = '\0';
		ops = text + size;
	}

	cal = cal_copy(builtin);
	cur_op = NULL;
	if (text[0] == '\0') /* only operations: spare two copies */
		goto ops;
	before = cal_copy(builtin);
	rc = cal_load_text(cal, text, &why, &lineno);
	if (rc == -1) {
		if (why == NULL || lineno < 0)
			fail("cal_load_text failed without a reason or line");
		check_same(cal, before, "failed cal_load_text changed it");
	} else if (ops == NULL) {
		/* Every year the text changed, day by day. */
		for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
			day_t s = date_from_ymd(y, 1, 1) - 1;
			day_t e = date_from_ymd(y, 12, 31);

			if (cal_year_known(cal, y) !=
			        cal_year_known(before, y) ||
			    cal_count(cal, s, e) != cal_count(before, s, e))
				check_year(cal, y);
		}
	}
	cal_free(before);
ops:
	for (line = ops; line != NULL && *line != '\0' && nops < MAX_OPS;
	     line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		nops++;
		run_op(&cal, line);
	}
	cur_op = NULL;
	cal_free(cal);
	free(text);
	return 0;
}
