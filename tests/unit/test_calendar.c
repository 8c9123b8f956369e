/*
 * The working-day calendar: the shipped State Council calendar day by
 * day, add and count around every Spring Festival and National Day
 * 2018-2026, year ends, set_year validation, and properties over
 * thousands of random dates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../../lib/calendar.h"
#include "../../lib/date.h"
#include "tap.h"

static const char *
fmt(day_t d, char *buf)
{
	if (d == DAY_NONE)
		return strcpy(buf, "none");
	return date_format(d, buf);
}

static struct cal *
builtin(void)
{
	struct cal *cal = cal_new();
	const char *why;
	int line;

	if (cal_load_text(cal, cal_builtin_text, &why, &line) == -1) {
		printf("Bail out! builtin calendar: line %d: %s\n", line, why);
		exit(1);
	}
	return cal;
}

static void
test_builtin(const struct cal *cal)
{
	int y;

	for (y = 2018; y <= 2026; y++)
		ok(cal_year_known(cal, y), "builtin knows %d", y);
	ok(!cal_year_known(cal, 2017), "builtin does not claim 2017");
	ok(!cal_year_known(cal, 2027), "builtin does not claim 2027");
	ok(cal_known_until(cal, 2026) == D("2026-12-31") &&
	       cal_known_until(cal, 2018) == D("2026-12-31"),
	   "known until 2026-12-31, from 2018 or 2026");
	ok(cal_known_until(cal, 2027) == D("2026-12-31"),
	   "from 2027 (unknown): the last known year before it");
	ok(cal_known_until(cal, 2017) == DAY_NONE,
	   "from 2017: nothing known before it");
}

/* clang-format off */
static const struct {
	const char *date;
	int work;
} workday_cases[] = {
	{ "2018-02-11", 1 }, /* Sunday worked */
	{ "2018-02-15", 0 }, { "2018-02-21", 0 }, { "2018-02-22", 1 },
	{ "2018-02-24", 1 }, { "2018-02-25", 0 }, { "2018-09-29", 1 },
	{ "2018-09-30", 1 }, { "2018-10-01", 0 }, { "2018-10-07", 0 },
	{ "2018-10-08", 1 },
	{ "2018-12-29", 1 }, /* Saturday worked, from the 2019 notice */
	{ "2018-12-30", 0 }, { "2018-12-31", 0 }, { "2019-01-01", 0 },
	{ "2019-01-02", 1 },
	{ "2019-02-02", 1 }, { "2019-02-03", 1 }, { "2019-02-04", 0 },
	{ "2019-02-10", 0 }, { "2019-02-11", 1 },
	{ "2019-04-28", 1 }, /* Labour Day as changed in March 2019 */
	{ "2019-05-02", 0 }, { "2019-05-04", 0 }, { "2019-05-05", 1 },
	{ "2019-09-29", 1 }, { "2019-10-07", 0 }, { "2019-10-08", 1 },
	{ "2019-10-12", 1 },
	{ "2020-01-19", 1 }, { "2020-01-24", 0 }, { "2020-01-30", 0 },
	{ "2020-01-31", 0 }, /* COVID-19 extension */
	{ "2020-02-01", 0 }, /* was to be worked; off after the extension */
	{ "2020-02-02", 0 }, { "2020-02-03", 1 },
	{ "2020-09-27", 1 }, { "2020-10-08", 0 }, { "2020-10-09", 1 },
	{ "2020-10-10", 1 },
	{ "2021-02-07", 1 }, { "2021-02-17", 0 }, { "2021-02-18", 1 },
	{ "2021-02-20", 1 }, { "2021-09-18", 1 }, { "2021-09-26", 1 },
	{ "2021-10-07", 0 }, { "2021-10-08", 1 }, { "2021-10-09", 1 },
	{ "2022-01-29", 1 }, { "2022-01-30", 1 }, { "2022-01-31", 0 },
	{ "2022-02-06", 0 }, { "2022-02-07", 1 }, { "2022-10-07", 0 },
	{ "2022-10-08", 1 }, { "2022-10-09", 1 }, { "2022-12-30", 1 },
	{ "2022-12-31", 0 }, /* from the 2023 notice */
	{ "2023-01-02", 0 }, { "2023-01-03", 1 }, { "2023-01-21", 0 },
	{ "2023-01-27", 0 }, { "2023-01-28", 1 }, { "2023-01-29", 1 },
	{ "2023-09-29", 0 }, { "2023-10-06", 0 }, { "2023-10-07", 1 },
	{ "2023-10-08", 1 }, { "2023-10-09", 1 },
	{ "2024-02-04", 1 },
	{ "2024-02-09", 1 }, /* the eve: leave encouraged, not given */
	{ "2024-02-10", 0 }, { "2024-02-17", 0 }, { "2024-02-18", 1 },
	{ "2024-02-19", 1 }, { "2024-09-29", 1 }, { "2024-10-07", 0 },
	{ "2024-10-08", 1 }, { "2024-10-12", 1 }, { "2024-12-31", 1 },
	{ "2025-01-01", 0 }, { "2025-01-26", 1 }, { "2025-01-27", 1 },
	{ "2025-01-28", 0 }, { "2025-02-04", 0 }, { "2025-02-05", 1 },
	{ "2025-02-08", 1 }, { "2025-09-28", 1 }, { "2025-10-08", 0 },
	{ "2025-10-09", 1 }, { "2025-10-11", 1 },
	{ "2026-01-01", 0 }, { "2026-01-03", 0 }, { "2026-01-04", 1 },
	{ "2026-02-14", 1 }, { "2026-02-15", 0 }, { "2026-02-23", 0 },
	{ "2026-02-24", 1 }, { "2026-02-28", 1 }, { "2026-09-20", 1 },
	{ "2026-10-07", 0 }, { "2026-10-08", 1 }, { "2026-10-10", 1 },
	{ "2026-12-31", 1 },
};
/* clang-format on */

static void
test_workdays(const struct cal *cal)
{
	size_t i;

	for (i = 0; i < sizeof workday_cases / sizeof workday_cases[0]; i++)
		ok(cal_is_workday(cal, D(workday_cases[i].date)) ==
		       (workday_cases[i].work != 0),
		   "%s is %s", workday_cases[i].date,
		   workday_cases[i].work ? "a working day" : "a day off");
}

/* The day before, three days before and the first day of each break. */
/* clang-format off */
static const struct {
	const char *date;
	int n;
	const char *want;
} add_cases[] = {
	{ "2018-02-14", 1, "2018-02-22" },
	{ "2018-02-12", 1, "2018-02-13" },
	{ "2018-02-15", 0, "2018-02-22" },
	{ "2018-02-15", 1, "2018-02-23" },
	{ "2018-02-15", 20, "2018-03-21" },
	{ "2018-02-14", 20, "2018-03-20" },
	{ "2018-09-30", 1, "2018-10-08" },
	{ "2018-09-28", 1, "2018-09-29" },
	{ "2018-10-01", 0, "2018-10-08" },
	{ "2018-10-01", 1, "2018-10-09" },
	{ "2018-10-01", 20, "2018-11-05" },
	{ "2018-09-30", 20, "2018-11-02" },
	{ "2019-02-03", 1, "2019-02-11" },
	{ "2019-02-01", 1, "2019-02-02" },
	{ "2019-02-04", 0, "2019-02-11" },
	{ "2019-02-04", 1, "2019-02-12" },
	{ "2019-02-04", 20, "2019-03-11" },
	{ "2019-02-03", 20, "2019-03-08" },
	{ "2019-09-30", 1, "2019-10-08" },
	{ "2019-09-28", 1, "2019-09-30" },
	{ "2019-10-01", 0, "2019-10-08" },
	{ "2019-10-01", 1, "2019-10-09" },
	{ "2019-10-01", 20, "2019-11-04" },
	{ "2019-09-30", 20, "2019-11-01" },
	{ "2020-01-23", 1, "2020-02-03" },
	{ "2020-01-21", 1, "2020-01-22" },
	{ "2020-01-24", 0, "2020-02-03" },
	{ "2020-01-24", 1, "2020-02-04" },
	{ "2020-01-24", 20, "2020-03-02" },
	{ "2020-01-23", 20, "2020-02-28" },
	{ "2020-09-30", 1, "2020-10-09" },
	{ "2020-09-28", 1, "2020-09-29" },
	{ "2020-10-01", 0, "2020-10-09" },
	{ "2020-10-01", 1, "2020-10-10" },
	{ "2020-10-01", 20, "2020-11-05" },
	{ "2020-09-30", 20, "2020-11-04" },
	{ "2021-02-10", 1, "2021-02-18" },
	{ "2021-02-08", 1, "2021-02-09" },
	{ "2021-02-11", 0, "2021-02-18" },
	{ "2021-02-11", 1, "2021-02-19" },
	{ "2021-02-11", 20, "2021-03-17" },
	{ "2021-02-10", 20, "2021-03-16" },
	{ "2021-09-30", 1, "2021-10-08" },
	{ "2021-09-28", 1, "2021-09-29" },
	{ "2021-10-01", 0, "2021-10-08" },
	{ "2021-10-01", 1, "2021-10-09" },
	{ "2021-10-01", 20, "2021-11-04" },
	{ "2021-09-30", 20, "2021-11-03" },
	{ "2022-01-30", 1, "2022-02-07" },
	{ "2022-01-28", 1, "2022-01-29" },
	{ "2022-01-31", 0, "2022-02-07" },
	{ "2022-01-31", 1, "2022-02-08" },
	{ "2022-01-31", 20, "2022-03-07" },
	{ "2022-01-30", 20, "2022-03-04" },
	{ "2022-09-30", 1, "2022-10-08" },
	{ "2022-09-28", 1, "2022-09-29" },
	{ "2022-10-01", 0, "2022-10-08" },
	{ "2022-10-01", 1, "2022-10-09" },
	{ "2022-10-01", 20, "2022-11-03" },
	{ "2022-09-30", 20, "2022-11-02" },
	{ "2023-01-20", 1, "2023-01-28" },
	{ "2023-01-18", 1, "2023-01-19" },
	{ "2023-01-21", 0, "2023-01-28" },
	{ "2023-01-21", 1, "2023-01-29" },
	{ "2023-01-21", 20, "2023-02-23" },
	{ "2023-01-20", 20, "2023-02-22" },
	{ "2023-09-28", 1, "2023-10-07" },
	{ "2023-09-26", 1, "2023-09-27" },
	{ "2023-09-29", 0, "2023-10-07" },
	{ "2023-09-29", 1, "2023-10-08" },
	{ "2023-09-29", 20, "2023-11-02" },
	{ "2023-09-28", 20, "2023-11-01" },
	{ "2024-02-09", 1, "2024-02-18" },
	{ "2024-02-07", 1, "2024-02-08" },
	{ "2024-02-10", 0, "2024-02-18" },
	{ "2024-02-10", 1, "2024-02-19" },
	{ "2024-02-10", 20, "2024-03-15" },
	{ "2024-02-09", 20, "2024-03-14" },
	{ "2024-09-30", 1, "2024-10-08" },
	{ "2024-09-28", 1, "2024-09-30" },
	{ "2024-10-01", 0, "2024-10-08" },
	{ "2024-10-01", 1, "2024-10-09" },
	{ "2024-10-01", 20, "2024-11-04" },
	{ "2024-09-30", 20, "2024-11-01" },
	{ "2025-01-27", 1, "2025-02-05" },
	{ "2025-01-25", 1, "2025-01-27" },
	{ "2025-01-28", 0, "2025-02-05" },
	{ "2025-01-28", 1, "2025-02-06" },
	{ "2025-01-28", 20, "2025-03-04" },
	{ "2025-01-27", 20, "2025-03-03" },
	{ "2025-09-30", 1, "2025-10-09" },
	{ "2025-09-28", 1, "2025-09-29" },
	{ "2025-10-01", 0, "2025-10-09" },
	{ "2025-10-01", 1, "2025-10-10" },
	{ "2025-10-01", 20, "2025-11-05" },
	{ "2025-09-30", 20, "2025-11-04" },
	{ "2026-02-14", 1, "2026-02-24" },
	{ "2026-02-12", 1, "2026-02-13" },
	{ "2026-02-15", 0, "2026-02-24" },
	{ "2026-02-15", 1, "2026-02-25" },
	{ "2026-02-15", 20, "2026-03-23" },
	{ "2026-02-14", 20, "2026-03-20" },
	{ "2026-09-30", 1, "2026-10-08" },
	{ "2026-09-28", 1, "2026-09-29" },
	{ "2026-10-01", 0, "2026-10-08" },
	{ "2026-10-01", 1, "2026-10-09" },
	{ "2026-10-01", 20, "2026-11-04" },
	{ "2026-09-30", 20, "2026-11-03" },
	{ "2018-12-28", 1, "2018-12-29" },
	{ "2018-12-29", 1, "2019-01-02" },
	{ "2018-12-29", 0, "2018-12-29" },
	{ "2018-12-30", 0, "2019-01-02" },
	{ "2022-12-30", 1, "2023-01-03" },
	{ "2022-12-31", 0, "2023-01-03" },
	{ "2024-12-31", 1, "2025-01-02" },
	{ "2026-12-31", 1, "2027-01-01" },
	{ "2026-01-04", 0, "2026-01-04" },
	{ "2026-01-04", 1, "2026-01-05" },
	{ "2026-02-13", 1, "2026-02-14" },
	{ "2026-02-13", 2, "2026-02-24" },
	{ "2026-02-16", 0, "2026-02-24" },
	{ "2026-02-16", 1, "2026-02-25" },
	{ "2020-01-23", 1, "2020-02-03" },
	{ "2025-09-30", 1, "2025-10-09" },
	{ "2024-02-08", 1, "2024-02-09" },
	{ "2024-02-09", 1, "2024-02-18" },
	{ "2019-05-14", 15, "2019-06-04" },
	{ "2019-05-15", 20, "2019-06-13" },
	{ "2026-01-05", 20, "2026-02-02" },
	{ "2026-02-24", 20, "2026-03-23" },
};
/* clang-format on */

static void
test_add(const struct cal *cal)
{
	char buf[16];
	day_t got;
	size_t i;

	for (i = 0; i < sizeof add_cases / sizeof add_cases[0]; i++) {
		got = cal_add(cal, D(add_cases[i].date), add_cases[i].n);
		ok(got == D(add_cases[i].want), "add(%s, %d) = %s (got %s)",
		   add_cases[i].date, add_cases[i].n, add_cases[i].want,
		   fmt(got, buf));
	}
	ok(cal_effective(cal, D("2026-02-16")) == D("2026-02-24"),
	   "received on a holiday: effective the next working day");
	ok(cal_effective(cal, D("2026-01-04")) == D("2026-01-04"),
	   "received on a worked Sunday: effective that day");
	ok(cal_effective(cal, D("2026-01-05")) == D("2026-01-05"),
	   "received on a working day: effective that day");
	ok(cal_add(cal, date_last_day(), 1) == DAY_NONE,
	   "add past the supported range: none");
	ok(cal_add(cal, D("2026-01-05"), -1) == DAY_NONE,
	   "add a negative count: none");
	ok(cal_add(cal, DAY_NONE, 1) == DAY_NONE, "add to no date: none");
}

/* Working days in (from, to]. */
/* clang-format off */
static const struct {
	const char *from, *to;
	int want;
} count_cases[] = {
	{ "2018-02-14", "2018-02-25", 3 },
	{ "2018-02-08", "2018-03-01", 12 },
	{ "2018-09-30", "2018-10-11", 4 },
	{ "2018-09-24", "2018-10-15", 12 },
	{ "2019-02-03", "2019-02-14", 4 },
	{ "2019-01-28", "2019-02-18", 12 },
	{ "2019-09-30", "2019-10-11", 4 },
	{ "2019-09-24", "2019-10-15", 12 },
	{ "2020-01-23", "2020-02-03", 1 },
	{ "2020-01-17", "2020-02-07", 10 },
	{ "2020-09-30", "2020-10-11", 2 },
	{ "2020-09-24", "2020-10-15", 11 },
	{ "2021-02-10", "2021-02-21", 3 },
	{ "2021-02-04", "2021-02-25", 12 },
	{ "2021-09-30", "2021-10-11", 3 },
	{ "2021-09-24", "2021-10-15", 12 },
	{ "2022-01-30", "2022-02-10", 4 },
	{ "2022-01-24", "2022-02-14", 12 },
	{ "2022-09-30", "2022-10-11", 4 },
	{ "2022-09-24", "2022-10-15", 12 },
	{ "2023-01-20", "2023-01-31", 4 },
	{ "2023-01-14", "2023-02-04", 12 },
	{ "2023-09-28", "2023-10-09", 3 },
	{ "2023-09-22", "2023-10-13", 11 },
	{ "2024-02-09", "2024-02-20", 3 },
	{ "2024-02-03", "2024-02-24", 12 },
	{ "2024-09-30", "2024-10-11", 4 },
	{ "2024-09-24", "2024-10-15", 12 },
	{ "2025-01-27", "2025-02-07", 3 },
	{ "2025-01-21", "2025-02-11", 11 },
	{ "2025-09-30", "2025-10-11", 3 },
	{ "2025-09-24", "2025-10-15", 11 },
	{ "2026-02-14", "2026-02-25", 2 },
	{ "2026-02-08", "2026-03-01", 11 },
	{ "2026-09-30", "2026-10-11", 3 },
	{ "2026-09-24", "2026-10-15", 10 },
	{ "2026-02-13", "2026-02-24", 2 },
	{ "2026-02-24", "2026-02-13", -2 },
	{ "2025-12-31", "2026-01-05", 2 },
	{ "2018-12-28", "2019-01-02", 2 },
	{ "2022-12-30", "2023-01-03", 1 },
	{ "2018-01-01", "2018-12-31", 250 },
	{ "2019-12-31", "2020-12-31", 249 },
	{ "2025-12-31", "2026-12-31", 248 },
	{ "2026-02-13", "2026-02-13", 0 },
};
/* clang-format on */

static void
test_count(const struct cal *cal)
{
	size_t i;
	int got, y;
	static const int per_year[] = { 250, 250, 249, 250, 249,
		                        249, 251, 248, 248 };

	for (i = 0; i < sizeof count_cases / sizeof count_cases[0]; i++) {
		got = cal_count(cal, D(count_cases[i].from),
		                D(count_cases[i].to));
		ok(got == count_cases[i].want, "count(%s, %s) = %d (got %d)",
		   count_cases[i].from, count_cases[i].to, count_cases[i].want,
		   got);
	}
	for (y = 2018; y <= 2026; y++) {
		got = cal_count(cal, date_from_ymd(y - 1, 12, 31),
		                date_from_ymd(y, 12, 31));
		ok(got == per_year[y - 2018], "%d has %d working days (got %d)",
		   y, per_year[y - 2018], got);
	}
}

/* Step by step, the obvious way. */
static day_t
naive_add(const struct cal *cal, day_t d, int n)
{
	while (!cal_is_workday(cal, d))
		d++;
	while (n > 0) {
		d++;
		if (cal_is_workday(cal, d))
			n--;
	}
	return d;
}

static int
naive_count(const struct cal *cal, day_t from, day_t to)
{
	int n = 0;
	day_t d;

	if (to < from)
		return -naive_count(cal, to, from);
	for (d = from + 1; d <= to; d++)
		n += cal_is_workday(cal, d);
	return n;
}

static void
test_naive(const struct cal *cal)
{
	day_t d, lo = D("2017-06-01"), hi = D("2028-06-30");
	int n, bad = 0;
	char b1[16], b2[16];

	for (d = lo; d <= hi; d++) {
		for (n = 0; n <= 45; n++) {
			if (cal_add(cal, d, n) != naive_add(cal, d, n)) {
				check(0, "add(%s, %d) = %s, naive %s",
				      fmt(d, b1), n,
				      fmt(cal_add(cal, d, n), b2),
				      fmt(naive_add(cal, d, n), b1));
				bad++;
			}
		}
		if (cal_count(cal, d, d + 40) != naive_count(cal, d, d + 40) ||
		    cal_count(cal, d + 40, d) != naive_count(cal, d + 40, d)) {
			check(0, "count around %s", fmt(d, b1));
			bad++;
		}
	}
	ok(bad == 0, "add and count agree with stepping, 2017-06..2028-06");

	/* Before and after the table, weekends only. */
	lo = date_first_day() - 30;
	ok(cal_count(cal, lo, lo + 60) == naive_count(cal, lo, lo + 60),
	   "count across the start of the supported range");
	hi = date_last_day() - 30;
	ok(cal_count(cal, hi, hi + 60) == naive_count(cal, hi, hi + 60),
	   "count across the end of the supported range");
}

static void
test_properties(const struct cal *cal)
{
	day_t lo = D("2016-01-01"), d, e, r, a, b, c;
	int i, n, bad = 0;
	uint32_t span = (uint32_t)(D("2029-12-31") - lo);
	char b1[16], b2[16];

	for (i = 0; i < 20000; i++) {
		d = lo + (day_t)tap_rnd(span);
		n = (int)tap_rnd(120);
		e = cal_effective(cal, d);
		r = cal_add(cal, d, n);
		if (!cal_is_workday(cal, r) || cal_count(cal, e, r) != n ||
		    r < e || (n > 0 && cal_add(cal, d, n - 1) >= r)) {
			check(0, "add(%s, %d) = %s", fmt(d, b1), n, fmt(r, b2));
			bad++;
		}
	}
	ok(bad == 0, "count(eff(d), add(d, n)) == n, result a working day "
	             "(20000 random)");

	bad = 0;
	for (i = 0; i < 20000; i++) {
		a = lo + (day_t)tap_rnd(span);
		b = lo + (day_t)tap_rnd(span);
		c = lo + (day_t)tap_rnd(span);
		if (cal_count(cal, a, b) + cal_count(cal, b, c) !=
		    cal_count(cal, a, c)) {
			check(0, "count(%s..) not additive", fmt(a, b1));
			bad++;
		}
		if (cal_count(cal, a, b) != -cal_count(cal, b, a))
			bad++;
	}
	ok(bad == 0, "count(a,b) + count(b,c) == count(a,c) (20000 random)");
}

static const char *
ref_dir(char *buf, size_t size)
{
	const char *env, *root;

	if ((env = getenv("OGI_REF_CALENDAR")) != NULL && *env != '\0')
		return env;
	if ((root = getenv("OGI_ROOT")) == NULL || *root == '\0')
		root = ".";
	snprintf(buf, size, "%s/../shared/calendar", root);
	return buf;
}

/* Reference rule: listed false works, listed true rests, else Mon-Fri. */
static void
test_reference(const struct cal *cal)
{
	char dirbuf[1024], path[1100], buf[16];
	const char *dir;
	signed char listed[366 * 9 + 16];
	day_t first = D("2018-01-01"), last = D("2026-12-31"), d;
	json_t *root, *days, *item;
	json_error_t err;
	size_t i;
	int y, want, bad = 0, nlisted = 0;

	memset(listed, -1, sizeof listed);
	dir = ref_dir(dirbuf, sizeof dirbuf);
	for (y = 2018; y <= 2026; y++) {
		snprintf(path, sizeof path, "%.1024s/%d.json", dir, y);
		if ((root = json_load_file(path, 0, &err)) == NULL) {
			if (y == 2018) {
				printf("ok %d - # SKIP reference calendar not "
				       "found\n",
				       ++tap_n);
				return;
			}
			ok(0, "reference %s: %s", path, err.text);
			return;
		}
		days = json_object_get(root, "days");
		json_array_foreach(days, i, item)
		{
			const char *s =
			    json_string_value(json_object_get(item, "date"));
			json_t *off = json_object_get(item, "isOffDay");

			if (s == NULL || date_parse(s, &d) == -1 ||
			    !json_is_boolean(off)) {
				ok(0, "reference %s: bad entry", path);
				continue;
			}
			if (d < first || d > last)
				continue; /* not ours to check */
			listed[d - first] = json_is_true(off) ? 0 : 1;
			nlisted++;
		}
		json_decref(root);
	}
	for (d = first; d <= last; d++) {
		want = listed[d - first];
		if (want == -1)
			want = date_weekday(d) <= 5;
		if (cal_is_workday(cal, d) != (want != 0)) {
			check(0, "%s: reference says %s", fmt(d, buf),
			      want ? "working" : "off");
			bad++;
		}
	}
	ok(bad == 0,
	   "every day of 2018-2026 agrees with the reference "
	   "(%d dates listed there)",
	   nlisted);
}

static void
test_set_year(void)
{
	struct cal *cal = cal_new();
	const char *why;
	day_t bad, *h, *w;
	size_t nh, nw;
	day_t hol[] = { D("2030-10-02"), D("2030-10-01"), D("2030-10-05"),
		        D("2030-10-01") };
	day_t work[] = { D("2030-09-29"), D("2030-10-08") };
	day_t outside[] = { D("2030-06-01"), D("2031-01-01") };
	day_t clash[] = { D("2030-09-29") };

	ok(cal_known_until(cal, 2030) == DAY_NONE,
	   "new calendar: nothing known");
	ok(!cal_year_known(cal, 2030), "2030 unknown");
	ok(cal_is_workday(cal, D("2030-10-01")), "unknown 2030: Tuesday works");
	ok(!cal_is_workday(cal, D("2030-09-29")), "unknown 2030: Sunday rests");
	ok(cal_count(cal, D("2030-09-27"), D("2030-10-04")) == 5,
	   "unknown 2030: a week has five working days");

	ok(cal_set_year(cal, 2030, outside, 2, NULL, 0, &why, &bad) == -1 &&
	       bad == D("2031-01-01") && why != NULL,
	   "set_year rejects a date outside the year (%s)", why);
	ok(cal_set_year(cal, 2030, NULL, 0, outside + 1, 1, &why, &bad) == -1 &&
	       bad == D("2031-01-01"),
	   "set_year rejects a working day outside the year");
	ok(cal_set_year(cal, 2030, clash, 1, work, 2, &why, &bad) == -1 &&
	       bad == D("2030-09-29") && why != NULL,
	   "set_year rejects a date in both lists (%s)", why);
	ok(cal_set_year(cal, 1989, NULL, 0, NULL, 0, &why, &bad) == -1 &&
	       bad == DAY_NONE,
	   "set_year rejects a year out of range");
	ok(!cal_year_known(cal, 2030), "failed set_year leaves 2030 unknown");
	ok(cal_is_workday(cal, D("2030-10-01")),
	   "failed set_year leaves the days alone");

	ok(cal_set_year(cal, 2030, hol, 4, work, 2, &why, &bad) == 0,
	   "set_year 2030");
	ok(cal_year_known(cal, 2030), "2030 known");
	ok(cal_known_until(cal, 2030) == D("2030-12-31"),
	   "known until 2030-12-31");
	ok(!cal_is_workday(cal, D("2030-10-01")), "2030-10-01 now off");
	ok(cal_is_workday(cal, D("2030-09-29")), "2030-09-29 Sunday now works");
	ok(cal_is_workday(cal, D("2030-10-08")), "2030-10-08 weekday works");
	ok(cal_count(cal, D("2030-09-27"), D("2030-10-04")) == 4,
	   "count sees the change");
	ok(cal_count(cal, D("2031-01-05"), D("2031-01-12")) == 5,
	   "later years unchanged");
	cal_get_year(cal, 2030, &h, &nh, &w, &nw);
	ok(nh == 3 && h[0] == D("2030-10-01") && h[1] == D("2030-10-02") &&
	       h[2] == D("2030-10-05"),
	   "get_year: holidays sorted, duplicates gone, weekend kept");
	ok(nw == 1 && w[0] == D("2030-09-29"),
	   "get_year: weekday working days dropped");
	free(h);
	free(w);
	cal_get_year(cal, 2031, &h, &nh, &w, &nw);
	ok(nh == 0 && nw == 0, "get_year of an unknown year: empty");
	free(h);
	free(w);

	ok(cal_set_year(cal, 2030, NULL, 0, NULL, 0, &why, &bad) == 0 &&
	       cal_year_known(cal, 2030) &&
	       cal_is_workday(cal, D("2030-10-01")),
	   "set_year with empty lists: known, weekends only");
	cal_clear_year(cal, 2030);
	ok(!cal_year_known(cal, 2030) && cal_known_until(cal, 2030) == DAY_NONE,
	   "clear_year forgets 2030");
	cal_free(cal);
}

static void
test_unknown_years(const struct cal *cal)
{
	day_t d;
	int bad = 0;

	for (d = D("2027-01-01"); d <= D("2035-12-31"); d++) {
		if (cal_is_workday(cal, d) != (date_weekday(d) <= 5))
			bad++;
	}
	ok(bad == 0, "2027-2035 unknown: weekends only");
	for (d = D("2010-01-01"); d <= D("2017-12-31"); d++) {
		if (cal_is_workday(cal, d) != (date_weekday(d) <= 5))
			bad++;
	}
	ok(bad == 0, "2010-2017 unknown: weekends only");
	ok(cal_add(cal, D("2030-10-04"), 1) == D("2030-10-07"),
	   "2030: Friday + 1 is Monday");
}

/* A year loaded past a gap: known_until stops at the gap. */
static void
test_known_until_gap(const struct cal *builtin_cal)
{
	struct cal *cal = cal_copy(builtin_cal);
	const char *why;
	day_t bad;

	ok(cal_set_year(cal, 2030, NULL, 0, NULL, 0, &why, &bad) == 0,
	   "2030 loaded, 2027-2029 not");
	ok(cal_known_until(cal, 2026) == D("2026-12-31"),
	   "from 2026: until 2026-12-31, not past the gap");
	ok(cal_known_until(cal, 2028) == D("2026-12-31"),
	   "from 2028 (in the gap): 2026-12-31");
	ok(cal_known_until(cal, 2030) == D("2030-12-31"),
	   "from 2030: 2030-12-31");
	ok(cal_known_until(cal, 2031) == D("2030-12-31"),
	   "from 2031: 2030-12-31");
	cal_free(cal);
}

static void
test_load_text(void)
{
	struct cal *cal = cal_new();
	const char *why;
	int line;

	ok(cal_load_text(cal,
	                 "# c\n\n2030-10-01 off 国庆节\r\n"
	                 "  2030-09-29\twork\n2030-10-02 off",
	                 &why, &line) == 0,
	   "load_text: comments, blanks, CRLF, tabs, no final newline");
	ok(!cal_is_workday(cal, D("2030-10-02")) &&
	       cal_is_workday(cal, D("2030-09-29")),
	   "load_text: the days took");
	ok(cal_load_text(cal, "2031-01-01 off\n2031-02-30 off\n", &why,
	                 &line) == -1 &&
	       line == 2,
	   "load_text: impossible date on line 2 (%s)", why);
	ok(cal_load_text(cal, "2031-01-01 holiday\n", &why, &line) == -1 &&
	       line == 1,
	   "load_text: unknown kind (%s)", why);
	ok(cal_load_text(cal, "2031-01-01off\n", &why, &line) == -1 &&
	       line == 1,
	   "load_text: kind glued to the date");
	ok(cal_load_text(cal,
	                 "2031-01-01 off\n2031-01-04 off\n2031-01-04 work\n",
	                 &why, &line) == -1 &&
	       (line == 2 || line == 3),
	   "load_text: a date both off and work (%s, line %d)", why, line);
	ok(!cal_year_known(cal, 2031) && cal_is_workday(cal, D("2031-01-01")),
	   "load_text: all or nothing");
	ok(cal_year_known(cal, 2030) && !cal_is_workday(cal, D("2030-10-01")),
	   "load_text: failure keeps what was there");
	cal_free(cal);
}

static void
test_copy(const struct cal *cal)
{
	struct cal *c = cal_copy(cal);
	day_t none[1] = { 0 };

	ok(cal_count(c, D("2018-01-01"), D("2026-12-31")) ==
	       cal_count(cal, D("2018-01-01"), D("2026-12-31")),
	   "copy counts the same");
	cal_set_year(c, 2026, none, 0, none, 0, NULL, NULL);
	ok(cal_is_workday(c, D("2026-10-08")) &&
	       cal_is_workday(c, D("2026-10-01")) &&
	       !cal_is_workday(cal, D("2026-10-01")),
	   "changing the copy leaves the original alone");
	cal_free(c);
}

/* cal_serial: new with every calendar and every change, not with reads. */
static void
test_serial(const struct cal *cal)
{
	struct cal *c = cal_copy(cal), *d = cal_new();
	day_t none[1] = { 0 }, hol[1] = { D("2026-03-11") };
	uint64_t s0 = cal_serial(c), s1;

	ok(s0 != cal_serial(cal) && cal_serial(d) != s0 &&
	       cal_serial(d) != cal_serial(cal),
	   "a new calendar and a copy each have a serial of their own");
	(void)cal_count(c, D("2026-01-01"), D("2026-12-31"));
	(void)cal_add(c, D("2026-03-02"), 20);
	(void)cal_is_workday(c, D("2026-03-11"));
	ok(cal_serial(c) == s0, "reading leaves it");
	cal_set_year(c, 2026, hol, 1, none, 0, NULL, NULL);
	ok((s1 = cal_serial(c)) != s0, "cal_set_year changes it");
	cal_set_year(c, 2026, hol, 1, none, 0, NULL, NULL);
	ok(cal_serial(c) != s1, "even to the same year");
	s1 = cal_serial(c);
	cal_clear_year(c, 2026);
	ok(cal_serial(c) != s1, "cal_clear_year changes it");
	s1 = cal_serial(c);
	ok(cal_load_text(c, "2026-03-12 off\n", NULL, NULL) == 0 &&
	       cal_serial(c) != s1,
	   "cal_load_text changes it");
	s1 = cal_serial(c);
	ok(cal_load_text(c, "2026-02-30 off\n", NULL, NULL) == -1 &&
	       cal_serial(c) == s1,
	   "a refused cal_load_text leaves it");
	cal_free(c);
	cal_free(d);
}

/* cal_equal: the same years with the same days, whatever the serials. */
static void
test_equal(const struct cal *cal)
{
	struct cal *c = cal_copy(cal), *e = cal_new();
	day_t none[1] = { 0 }, hol[1] = { D("2026-03-11") },
	      sat[1] = { D("2026-03-14") };

	ok(cal_equal(c, cal) && cal_equal(cal, c), "a copy is equal");
	ok(!cal_equal(e, cal), "an empty calendar is not");
	cal_set_year(c, 2026, hol, 1, none, 0, NULL, NULL);
	ok(!cal_equal(c, cal), "a year's holidays changed: not equal");
	cal_set_year(e, 2026, hol, 1, none, 0, NULL, NULL);
	ok(!cal_equal(c, e), "other years known: not equal");
	cal_free(c);
	c = cal_new();
	cal_set_year(c, 2026, hol, 1, none, 0, NULL, NULL);
	ok(cal_equal(c, e), "the same year set in two calendars: equal");
	cal_set_year(c, 2026, hol, 1, sat, 1, NULL, NULL);
	ok(!cal_equal(c, e), "a working Saturday more: not equal");
	cal_clear_year(c, 2026);
	cal_clear_year(e, 2026);
	ok(cal_equal(c, e), "both cleared: equal");
	cal_free(c);
	cal_free(e);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_speed(const struct cal *cal)
{
	struct cal *c = cal_copy(cal);
	day_t lo = D("2018-01-01"), *h, *w;
	uint32_t sum = 0;
	size_t nh, nw;
	double t;
	int i;

	t = seconds();
	for (i = 0; i < 1000000; i++)
		sum += (uint32_t)cal_add(cal, lo + (i % 3287), i % 60);
	t = seconds() - t;
	printf("# 1000000 cal_add calls: %.3f s (checksum %u)\n", t,
	       (unsigned)sum);

	cal_get_year(c, 2018, &h, &nh, &w, &nw);
	t = seconds();
	for (i = 0; i < 100; i++)
		cal_set_year(c, 2018, h, nh, w, nw, NULL, NULL);
	t = seconds() - t;
	printf("# cal_set_year(2018): %.3f ms each\n", t * 10);
	ok(cal_count(c, lo, D("2026-12-31")) ==
	       cal_count(cal, lo, D("2026-12-31")),
	   "setting a year to itself changes nothing");
	free(h);
	free(w);
	cal_free(c);
}

int
main(void)
{
	struct cal *cal = builtin();

	test_builtin(cal);
	test_workdays(cal);
	test_add(cal);
	test_count(cal);
	test_naive(cal);
	test_properties(cal);
	test_reference(cal);
	test_set_year();
	test_unknown_years(cal);
	test_known_until_gap(cal);
	test_load_text();
	test_copy(cal);
	test_serial(cal);
	test_equal(cal);
	test_speed(cal);
	cal_free(cal);
	return tap_done();
}
