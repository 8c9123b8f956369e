/*
 * The working-day calendar. One flag and one running count per day from
 * DATE_MIN_YEAR-01-01 to DATE_MAX_YEAR-12-31: cum[i] is the number of
 * working days in [first, first + i], so is_workday is a lookup, count a
 * subtraction and add a binary search. Changing a year recomputes the
 * counts from that year on (about 70,000 additions at worst).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "xmalloc.h"

#define CAL_NYEARS (DATE_MAX_YEAR - DATE_MIN_YEAR + 1)

struct cal_year {
	bool known;
	day_t *holidays; /* sorted, weekend ones included */
	size_t nholidays;
	day_t *workdays; /* sorted, weekend days only */
	size_t nworkdays;
};

struct cal {
	day_t first;
	size_t ndays;
	uint8_t *work; /* 1 if working day */
	int32_t *cum;
	struct cal_year years[CAL_NYEARS];
	uint64_t serial; /* new with every change: cal_serial */
};

static _Atomic uint64_t cal_serials;

static int
cal_weekend(day_t d)
{
	return date_weekday(d) >= 6;
}

/* Monday-Friday days x with x < d, counted from a fixed Monday. */
static int64_t
cal_weekdays_before(day_t d)
{
	int64_t k = (int64_t)d - 4; /* 1970-01-05 was a Monday */
	int64_t w = k >= 0 ? k / 7 : -((-k + 6) / 7);
	int64_t r = k - 7 * w;

	return 5 * w + (r < 5 ? r : 5);
}

static bool
cal_in_range(const struct cal *cal, day_t d)
{
	return d >= cal->first && (int64_t)d - cal->first < (int64_t)cal->ndays;
}

static size_t
cal_index(const struct cal *cal, day_t d)
{
	return (size_t)(d - cal->first);
}

static struct cal_year *
cal_year_slot(struct cal *cal, int year)
{
	if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR)
		return NULL;
	return &cal->years[year - DATE_MIN_YEAR];
}

static void
cal_recount(struct cal *cal, size_t from)
{
	int32_t c = from == 0 ? 0 : cal->cum[from - 1];
	size_t i;

	cal->serial = atomic_fetch_add(&cal_serials, 1) + 1;
	for (i = from; i < cal->ndays; i++) {
		c += cal->work[i];
		cal->cum[i] = c;
	}
}

/* Reset a year's flags to weekends only; returns the year's first index. */
static size_t
cal_reset_flags(struct cal *cal, int year)
{
	day_t d, first = date_from_ymd(year, 1, 1);
	day_t last = date_from_ymd(year, 12, 31);

	for (d = first; d <= last; d++)
		cal->work[cal_index(cal, d)] = !cal_weekend(d);
	return cal_index(cal, first);
}

struct cal *
cal_new(void)
{
	struct cal *cal;
	size_t i;

	cal = xcalloc(1, sizeof *cal);
	cal->first = date_first_day();
	cal->ndays = (size_t)(date_last_day() - cal->first + 1);
	cal->work = xcalloc(cal->ndays, sizeof *cal->work);
	cal->cum = xcalloc(cal->ndays, sizeof *cal->cum);
	for (i = 0; i < cal->ndays; i++)
		cal->work[i] = !cal_weekend(cal->first + (day_t)i);
	cal_recount(cal, 0);
	return cal;
}

static void
cal_year_free(struct cal_year *y)
{
	free(y->holidays);
	free(y->workdays);
	memset(y, 0, sizeof *y);
}

void
cal_free(struct cal *cal)
{
	size_t i;

	if (cal == NULL)
		return;
	for (i = 0; i < CAL_NYEARS; i++)
		cal_year_free(&cal->years[i]);
	free(cal->work);
	free(cal->cum);
	free(cal);
}

static day_t *
cal_dup_days(const day_t *v, size_t n)
{
	day_t *p;

	p = xreallocarray(NULL, n, sizeof *p);
	if (n > 0)
		memcpy(p, v, n * sizeof *p);
	return p;
}

static bool
cal_days_equal(const day_t *a, size_t na, const day_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

bool
cal_equal(const struct cal *a, const struct cal *b)
{
	const struct cal_year *x, *y;
	size_t i;

	for (i = 0; i < CAL_NYEARS; i++) {
		x = &a->years[i];
		y = &b->years[i];
		if (x->known != y->known)
			return false;
		if (x->known && (!cal_days_equal(x->holidays, x->nholidays,
		                                 y->holidays, y->nholidays) ||
		                 !cal_days_equal(x->workdays, x->nworkdays,
		                                 y->workdays, y->nworkdays)))
			return false;
	}
	return true;
}

struct cal *
cal_copy(const struct cal *src)
{
	struct cal *cal;
	const struct cal_year *sy;
	size_t i;

	cal = xcalloc(1, sizeof *cal);
	cal->serial = atomic_fetch_add(&cal_serials, 1) + 1;
	cal->first = src->first;
	cal->ndays = src->ndays;
	cal->work = xreallocarray(NULL, cal->ndays, sizeof *cal->work);
	memcpy(cal->work, src->work, cal->ndays * sizeof *cal->work);
	cal->cum = xreallocarray(NULL, cal->ndays, sizeof *cal->cum);
	memcpy(cal->cum, src->cum, cal->ndays * sizeof *cal->cum);
	for (i = 0; i < CAL_NYEARS; i++) {
		sy = &src->years[i];
		if (!sy->known)
			continue;
		cal->years[i].known = true;
		cal->years[i].holidays =
		    cal_dup_days(sy->holidays, sy->nholidays);
		cal->years[i].nholidays = sy->nholidays;
		cal->years[i].workdays =
		    cal_dup_days(sy->workdays, sy->nworkdays);
		cal->years[i].nworkdays = sy->nworkdays;
	}
	return cal;
}

static int
cal_cmp_day(const void *a, const void *b)
{
	day_t x = *(const day_t *)a, y = *(const day_t *)b;

	return (x > y) - (x < y);
}

/* Sorted, duplicates dropped; returns the new length. */
static size_t
cal_sort_unique(day_t *v, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cal_cmp_day);
	for (i = 1; i < n; i++) {
		if (v[i] != v[o])
			v[++o] = v[i];
	}
	return o + 1;
}

static int
cal_check_year(int year, const day_t *v, size_t n, const char **why, day_t *bad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] < date_first_day() || v[i] > date_last_day() ||
		    date_year(v[i]) != year) {
			*why = "date outside the year";
			*bad = v[i];
			return -1;
		}
	}
	return 0;
}

/* Both sorted: the first date in both, or DAY_NONE. */
static day_t
cal_common(const day_t *a, size_t na, const day_t *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb) {
		if (a[i] == b[j])
			return a[i];
		if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return DAY_NONE;
}

/* Keep only weekend days: weekdays work anyway. */
static size_t
cal_keep_weekends(day_t *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (cal_weekend(v[i]))
			v[o++] = v[i];
	}
	return o;
}

int
cal_set_year(struct cal *cal, int year, const day_t *holidays, size_t nholidays,
             const day_t *workdays, size_t nworkdays, const char **why,
             day_t *bad)
{
	struct cal_year *y;
	day_t *h, *w, both;
	size_t i, from;
	const char *why0;
	day_t bad0;

	if (why == NULL)
		why = &why0;
	if (bad == NULL)
		bad = &bad0;
	*why = NULL;
	*bad = DAY_NONE;
	if ((y = cal_year_slot(cal, year)) == NULL) {
		*why = "year out of range";
		return -1;
	}
	if (cal_check_year(year, holidays, nholidays, why, bad) == -1 ||
	    cal_check_year(year, workdays, nworkdays, why, bad) == -1)
		return -1;

	h = cal_dup_days(holidays, nholidays);
	w = cal_dup_days(workdays, nworkdays);
	nholidays = cal_sort_unique(h, nholidays);
	nworkdays = cal_sort_unique(w, nworkdays);
	if ((both = cal_common(h, nholidays, w, nworkdays)) != DAY_NONE) {
		free(h);
		free(w);
		*why = "date is both a holiday and a working day";
		*bad = both;
		return -1;
	}
	nworkdays = cal_keep_weekends(w, nworkdays);

	cal_year_free(y);
	y->known = true;
	y->holidays = h;
	y->nholidays = nholidays;
	y->workdays = w;
	y->nworkdays = nworkdays;

	from = cal_reset_flags(cal, year);
	for (i = 0; i < nholidays; i++)
		cal->work[cal_index(cal, h[i])] = 0;
	for (i = 0; i < nworkdays; i++)
		cal->work[cal_index(cal, w[i])] = 1;
	cal_recount(cal, from);
	return 0;
}

void
cal_clear_year(struct cal *cal, int year)
{
	struct cal_year *y;

	if ((y = cal_year_slot(cal, year)) == NULL)
		return;
	cal_year_free(y);
	cal_recount(cal, cal_reset_flags(cal, year));
}

uint64_t
cal_serial(const struct cal *cal)
{
	return cal->serial;
}

bool
cal_year_known(const struct cal *cal, int year)
{
	if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR)
		return false;
	return cal->years[year - DATE_MIN_YEAR].known;
}

day_t
cal_known_until(const struct cal *cal, int year)
{
	int y;

	if (year > DATE_MAX_YEAR)
		year = DATE_MAX_YEAR + 1;
	if (cal_year_known(cal, year)) {
		for (y = year; y < DATE_MAX_YEAR && cal_year_known(cal, y + 1);
		     y++)
			;
		return date_from_ymd(y, 12, 31);
	}
	for (y = year - 1; y >= DATE_MIN_YEAR; y--)
		if (cal_year_known(cal, y))
			return date_from_ymd(y, 12, 31);
	return DAY_NONE;
}

void
cal_get_year(const struct cal *cal, int year, day_t **holidays, size_t *nh,
             day_t **workdays, size_t *nw)
{
	const struct cal_year *y = NULL;

	if (cal_year_known(cal, year))
		y = &cal->years[year - DATE_MIN_YEAR];
	*nh = y != NULL ? y->nholidays : 0;
	*nw = y != NULL ? y->nworkdays : 0;
	*holidays = cal_dup_days(y != NULL ? y->holidays : NULL, *nh);
	*workdays = cal_dup_days(y != NULL ? y->workdays : NULL, *nw);
}

bool
cal_is_workday(const struct cal *cal, day_t d)
{
	if (!cal_in_range(cal, d))
		return !cal_weekend(d);
	return cal->work[cal_index(cal, d)] != 0;
}

/*
 * The running count for any day, so that cum(b) - cum(a) counts (a, b];
 * outside the table only weekends are skipped.
 */
static int64_t
cal_cum(const struct cal *cal, day_t d)
{
	day_t last = cal->first + (day_t)cal->ndays - 1;

	if (d < cal->first)
		return -(cal_weekdays_before(cal->first) -
		         cal_weekdays_before((day_t)((int64_t)d + 1)));
	if (d > last)
		return cal->cum[cal->ndays - 1] +
		       (cal_weekdays_before((day_t)((int64_t)d + 1)) -
		        cal_weekdays_before(last + 1));
	return cal->cum[cal_index(cal, d)];
}

int
cal_count(const struct cal *cal, day_t from, day_t to)
{
	int64_t n;

	if (from == DAY_NONE || to == DAY_NONE)
		return 0;
	n = cal_cum(cal, to) - cal_cum(cal, from);
	if (n > INT32_MAX)
		return INT32_MAX;
	if (n < -INT32_MAX)
		return -INT32_MAX;
	return (int)n;
}

/* The first index at or after lo whose running count reaches target. */
static size_t
cal_search(const struct cal *cal, size_t lo, int64_t target)
{
	size_t hi = cal->ndays, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->cum[mid] < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

day_t
cal_effective(const struct cal *cal, day_t d)
{
	size_t i;

	if (d == DAY_NONE)
		return DAY_NONE;
	while (d < cal->first && cal_weekend(d))
		d++;
	if (!cal_in_range(cal, d)) {
		while (cal_weekend(d) && d < INT32_MAX)
			d++;
		return d;
	}
	i = cal_index(cal, d);
	if (cal->work[i])
		return d;
	i = cal_search(cal, i, (int64_t)cal->cum[i] + 1);
	if (i >= cal->ndays)
		return DAY_NONE;
	return cal->first + (day_t)i;
}

day_t
cal_add(const struct cal *cal, day_t d, int n)
{
	day_t e;
	size_t i;

	if (n < 0 || (e = cal_effective(cal, d)) == DAY_NONE ||
	    !cal_in_range(cal, e))
		return DAY_NONE;
	i = cal_index(cal, e);
	i = cal_search(cal, i, (int64_t)cal->cum[i] + n);
	if (i >= cal->ndays)
		return DAY_NONE;
	return cal->first + (day_t)i;
}

struct cal_entry {
	day_t day;
	int line;
	bool work;
};

static int
cal_entry_cmp(const void *a, const void *b)
{
	const struct cal_entry *x = a, *y = b;

	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->line > y->line) - (x->line < y->line);
}

/* One line: "YYYY-MM-DD off|work [name]". 1 if a date, 0 if blank, -1. */
static int
cal_parse_line(const char *p, const char *end, struct cal_entry *e,
               const char **why)
{
	char buf[11];
	size_t klen;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#' || *p == '\r')
		return 0;
	if (end - p < 10) {
		*why = "expected a date YYYY-MM-DD";
		return -1;
	}
	memcpy(buf, p, 10);
	buf[10] = '\0';
	if (date_parse(buf, &e->day) == -1) {
		*why = "expected a date YYYY-MM-DD";
		return -1;
	}
	p += 10;
	if (p == end || (*p != ' ' && *p != '\t')) {
		*why = "expected off or work after the date";
		return -1;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (klen = 0; p + klen < end; klen++) {
		if (p[klen] == ' ' || p[klen] == '\t' || p[klen] == '\r')
			break;
	}
	if (klen == 3 && memcmp(p, "off", 3) == 0)
		e->work = false;
	else if (klen == 4 && memcmp(p, "work", 4) == 0)
		e->work = true;
	else {
		*why = "expected off or work after the date";
		return -1;
	}
	return 1;
}

/* Entries sorted by day: apply the years they name to cal. */
static int
cal_apply_entries(struct cal *cal, const struct cal_entry *v, size_t n,
                  const char **why, int *line)
{
	day_t *h, *w, bad;
	size_t i, j, k, nh, nw;
	int year, rc = 0;

	h = xreallocarray(NULL, n, sizeof *h);
	w = xreallocarray(NULL, n, sizeof *w);
	for (i = 0; i < n && rc == 0; i = j) {
		year = date_year(v[i].day);
		nh = nw = 0;
		for (j = i; j < n && date_year(v[j].day) == year; j++) {
			if (v[j].work)
				w[nw++] = v[j].day;
			else
				h[nh++] = v[j].day;
		}
		if (cal_set_year(cal, year, h, nh, w, nw, why, &bad) == 0)
			continue;
		rc = -1;
		for (k = i; k < j; k++) {
			if (v[k].day == bad) {
				*line = v[k].line;
				break;
			}
		}
	}
	free(h);
	free(w);
	return rc;
}

int
cal_load_text(struct cal *cal, const char *text, const char **why, int *line)
{
	struct cal_entry *v = NULL, e;
	struct cal *tmp, swap;
	const char *p, *end, *why0;
	size_t n = 0, cap = 0;
	int lineno = 0, line0, rc;

	if (why == NULL)
		why = &why0;
	if (line == NULL)
		line = &line0;
	*why = NULL;
	*line = 0;
	for (p = text; *p != '\0'; p = *end == '\n' ? end + 1 : end) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		lineno++;
		if ((rc = cal_parse_line(p, end, &e, why)) == -1) {
			*line = lineno;
			free(v);
			return -1;
		}
		if (rc == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		e.line = lineno;
		v[n++] = e;
	}
	if (n > 0)
		qsort(v, n, sizeof *v, cal_entry_cmp);

	/* All or nothing: apply to a copy, then swap it in. */
	tmp = cal_copy(cal);
	rc = cal_apply_entries(tmp, v, n, why, line);
	free(v);
	if (rc == 0) {
		swap = *cal;
		*cal = *tmp;
		*tmp = swap;
	}
	cal_free(tmp);
	return rc;
}
