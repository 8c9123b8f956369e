/*
 * Dates: strict parsing, day numbers, weekdays, every day of the
 * supported range round-tripped.
 */
#include <string.h>

#include "../../lib/date.h"
#include "tap.h"

/* clang-format off */
static const struct {
	const char *s;
	int y, m, d;
	day_t day; /* days since 1970-01-01 */
	int wday;  /* 1 = Monday */
} good[] = {
	{ "1990-01-01", 1990, 1, 1, 7305, 1 },
	{ "2000-02-29", 2000, 2, 29, 11016, 2 }, /* 400-year leap */
	{ "2000-03-01", 2000, 3, 1, 11017, 3 },
	{ "2018-02-16", 2018, 2, 16, 17578, 5 },
	{ "2019-05-15", 2019, 5, 15, 18031, 3 },
	{ "2020-02-03", 2020, 2, 3, 18295, 1 },
	{ "2024-02-29", 2024, 2, 29, 19782, 4 },
	{ "2026-01-04", 2026, 1, 4, 20457, 7 },
	{ "2026-01-05", 2026, 1, 5, 20458, 1 },
	{ "2026-12-31", 2026, 12, 31, 20818, 4 },
	{ "2199-12-31", 2199, 12, 31, 84005, 2 },
};
/* clang-format on */

/* clang-format off */
static const char *bad[] = {
	"2026-02-30", "2025-02-29", "2100-02-29", "2023-02-29", "2026-04-31",
	"2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32", "1989-12-31",
	"2200-01-01", "0000-01-01", "2026-1-05",  "2026-01-5",  "26-01-05",
	" 2026-01-05", "2026-01-05 ", "2026-01-05T00:00", "2026/01/05",
	"20260105",   "",           "2026-01-",   "2026",       "+026-01-05",
	"2026-01-0x", "2026-0a-05", "2026--1-05", "2026-01-05\n",
	"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-01-05",
};
/* clang-format on */

static void
test_good(void)
{
	char buf[16];
	day_t d;
	int y, m, dd;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ok(date_parse(good[i].s, &d) == 0 && d == good[i].day,
		   "parse %s = %d", good[i].s, (int)good[i].day);
		ok(date_from_ymd(good[i].y, good[i].m, good[i].d) ==
		       good[i].day,
		   "from_ymd %s", good[i].s);
		date_to_ymd(good[i].day, &y, &m, &dd);
		ok(y == good[i].y && m == good[i].m && dd == good[i].d,
		   "to_ymd %s", good[i].s);
		ok(strcmp(date_format(good[i].day, buf), good[i].s) == 0,
		   "format %s", good[i].s);
		ok(date_weekday(good[i].day) == good[i].wday,
		   "%s is weekday %d", good[i].s, good[i].wday);
		ok(date_year(good[i].day) == good[i].y, "year of %s",
		   good[i].s);
	}
}

/* For the test's own output: keep one TAP line per check. */
static const char *
shown(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < size; s++) {
		if (*s >= 0x20 && *s < 0x7f)
			buf[o++] = *s;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
			                      (unsigned char)*s);
	}
	buf[o] = '\0';
	return buf;
}

static void
test_bad(void)
{
	char buf[128];
	day_t d = 12345;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(date_parse(bad[i], &d) == -1 && d == 12345, "reject \"%s\"",
		   shown(bad[i], buf, sizeof buf));
	ok(date_parse(NULL, &d) == -1, "reject NULL");
	ok(!date_valid_ymd(2026, 2, 29) && date_valid_ymd(2028, 2, 29),
	   "valid_ymd knows leap years");
	ok(!date_valid_ymd(1989, 6, 1) && !date_valid_ymd(2200, 6, 1),
	   "valid_ymd checks the range");
}

static void
test_all_days(void)
{
	char buf[16];
	day_t d, p, first = date_first_day(), last = date_last_day();
	int y, m, dd, py = 0, pm = 0, pd = 0, bad_days = 0, n = 0;

	ok(first == date_from_ymd(DATE_MIN_YEAR, 1, 1), "first day");
	ok(last == date_from_ymd(DATE_MAX_YEAR, 12, 31), "last day");
	ok(date_from_ymd(1970, 1, 1) == 0, "1970-01-01 is day 0");
	ok(date_weekday(0) == 4 && date_weekday(-1) == 3,
	   "1970-01-01 Thursday, 1969-12-31 Wednesday");
	for (d = first; d <= last; d++, n++) {
		date_to_ymd(d, &y, &m, &dd);
		if (!date_valid_ymd(y, m, dd) || date_from_ymd(y, m, dd) != d ||
		    date_parse(date_format(d, buf), &p) == -1 || p != d ||
		    date_weekday(d) != (date_weekday(d - 1) % 7) + 1)
			bad_days++;
		/* Consecutive: next day, or first of the next month/year. */
		if (d != first &&
		    !((y == py && m == pm && dd == pd + 1) ||
		      (y == py && m == pm + 1 && dd == 1 && pd >= 28) ||
		      (y == py + 1 && m == 1 && dd == 1 && pm == 12 &&
		       pd == 31)))
			bad_days++;
		py = y;
		pm = m;
		pd = dd;
	}
	ok(bad_days == 0, "all %d days of %d-%d round-trip", n, DATE_MIN_YEAR,
	   DATE_MAX_YEAR);
	ok(n == 76701, "%d days in the range", n);
}

int
main(void)
{
	test_good();
	test_bad();
	test_all_days();
	return tap_done();
}
