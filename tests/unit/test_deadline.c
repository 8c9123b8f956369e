/*
 * Deadlines (SPEC section 4) over the shipped calendar: the rule set by
 * date of receipt, receipt on holidays and worked weekend days,
 * extensions, pauses, overdue and remaining counts, skipped days, and the
 * last day of a notice period. Every expected date is worked out by hand
 * from the State Council notices.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/calendar.h"
#include "../../lib/deadline.h"
#include "tap.h"

#define NONE DAY_NONE

static const char *
fmt(day_t d, char *buf)
{
	if (d == NONE)
		return strcpy(buf, "none");
	return date_format(d, buf);
}

static void
test_rules(void)
{
	ok(dl_rules_for(D("2019-05-14")) == DL_RULES_2007,
	   "received 2019-05-14: 2007 Regulations");
	ok(dl_rules_for(D("2019-05-15")) == DL_RULES_2019,
	   "received 2019-05-15: 2019 Regulations");
	ok(dl_rules_for(D("2008-05-01")) == DL_RULES_2007, "2008: 2007 rules");
	ok(dl_base_days(DL_RULES_2007) == 15 &&
	       dl_max_extension(DL_RULES_2007) == 15,
	   "2007 rules: 15 + up to 15");
	ok(dl_base_days(DL_RULES_2019) == 20 &&
	       dl_max_extension(DL_RULES_2019) == 20,
	   "2019 rules: 20 + up to 20");
}

/* clang-format off */
static const struct {
	const char *what;
	const char *start;
	int ext[3];
	struct {
		const char *from, *to;
	} pause[3];
	const char *eff, *due;
	int paused, extension;
} cases[] = {
	{ "plain Monday receipt", "2026-01-05", { 0 }, { { 0 } },
	  "2026-01-05", "2026-02-02", 0, 0 },
	{ "received in the Spring Festival", "2026-02-16", { 0 }, { { 0 } },
	  "2026-02-24", "2026-03-23", 0, 0 },
	{ "received on a worked Sunday", "2026-01-04", { 0 }, { { 0 } },
	  "2026-01-04", "2026-01-30", 0, 0 },
	{ "last day of the 2007 rules", "2019-05-14", { 0 }, { { 0 } },
	  "2019-05-14", "2019-06-04", 0, 0 },
	{ "first day of the 2019 rules", "2019-05-15", { 0 }, { { 0 } },
	  "2019-05-15", "2019-06-13", 0, 0 },
	{ "2007 rules across the 2018 Spring Festival", "2018-02-14", { 0 },
	  { { 0 } }, "2018-02-14", "2018-03-13", 0, 0 },
	{ "2007 rules from a worked Sunday before National Day 2018",
	  "2018-09-30", { 0 }, { { 0 } }, "2018-09-30", "2018-10-26", 0, 0 },
	{ "2007 rules across New Year 2019", "2018-12-28", { 0 }, { { 0 } },
	  "2018-12-28", "2019-01-21", 0, 0 },
	{ "the eve of 2025, a holiday", "2025-01-28", { 0 }, { { 0 } },
	  "2025-02-05", "2025-03-04", 0, 0 },
	{ "the eve of 2024, a working Friday", "2024-02-09", { 0 }, { { 0 } },
	  "2024-02-09", "2024-03-14", 0, 0 },
	{ "across the 2020 extension", "2020-01-23", { 0 }, { { 0 } },
	  "2020-01-23", "2020-02-28", 0, 0 },
	{ "before National Day 2023", "2023-09-28", { 0 }, { { 0 } },
	  "2023-09-28", "2023-11-01", 0, 0 },
	{ "into 2027, weekends only", "2026-12-31", { 0 }, { { 0 } },
	  "2026-12-31", "2027-01-28", 0, 0 },
	{ "two extensions", "2026-01-05", { 5, 3 }, { { 0 } }, "2026-01-05",
	  "2026-02-12", 0, 8 },
	{ "a closed pause over a weekend", "2026-01-05", { 0 },
	  { { "2026-01-09", "2026-01-14" } }, "2026-01-05", "2026-02-05", 3,
	  0 },
	{ "an open pause adds nothing", "2026-01-05", { 0 },
	  { { "2026-01-09", NULL } }, "2026-01-05", "2026-02-02", 0, 0 },
	{ "a pause over the Spring Festival", "2026-02-02", { 0 },
	  { { "2026-02-12", "2026-02-25" } }, "2026-02-02", "2026-03-12", 4,
	  0 },
	{ "extensions, a pause over National Day, an open pause",
	  "2019-09-20", { 10, 5 },
	  { { "2019-09-27", "2019-10-09" }, { "2019-11-01", NULL } },
	  "2019-09-20", "2019-11-19", 4, 15 },
};
/* clang-format on */

static void
test_compute(const struct cal *cal)
{
	struct dl_pause pauses[3];
	struct dl_input in;
	struct dl_result r;
	char b1[16], b2[16];
	size_t i, j;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&in, 0, sizeof in);
		in.start = D(cases[i].start);
		in.rules = dl_rules_for(in.start);
		in.extensions = cases[i].ext;
		for (j = 0; j < 3 && cases[i].ext[j] != 0; j++)
			in.nextensions++;
		for (j = 0; j < 3 && cases[i].pause[j].from != NULL; j++) {
			pauses[j].from = D(cases[i].pause[j].from);
			pauses[j].to = D(cases[i].pause[j].to);
			in.npauses++;
		}
		in.pauses = pauses;
		dl_compute(cal, &in, &r);
		ok(r.start == in.start &&
		       r.effective_start == D(cases[i].eff) &&
		       r.due_on == D(cases[i].due) &&
		       r.paused_days == cases[i].paused &&
		       r.extension_days == cases[i].extension &&
		       r.base_days == dl_base_days(in.rules),
		   "%s: %s due %s (got effective %s, due %s)", cases[i].what,
		   cases[i].start, cases[i].due, fmt(r.effective_start, b1),
		   fmt(r.due_on, b2));
	}
}

static void
test_pause_days(const struct cal *cal)
{
	struct dl_pause p;

	p.from = D("2026-02-13");
	p.to = D("2026-02-16");
	ok(dl_pause_days(cal, &p) == 1,
	   "pause Fri 02-13 to Mon 02-16 (holiday): the worked Saturday");
	p.to = p.from;
	ok(dl_pause_days(cal, &p) == 0, "pause ending the day it began: 0");
	p.to = NONE;
	ok(dl_pause_days(cal, &p) == 0, "open pause: 0");
	p.to = D("2026-02-01");
	ok(dl_pause_days(cal, &p) == 0, "pause ending before it began: 0");
}

/* clang-format off */
static const struct {
	const char *due, *today;
	int overdue, remaining;
} clock_cases[] = {
	{ "2026-02-13", "2026-02-10", 0, 3 },
	{ "2026-02-13", "2026-02-13", 0, 0 },
	{ "2026-02-13", "2026-02-14", 1, -1 }, /* worked Saturday */
	{ "2026-02-13", "2026-02-16", 1, -1 }, /* holiday after it */
	{ "2026-02-13", "2026-02-24", 2, -2 },
	{ "2026-01-09", "2026-01-11", 0, 0 }, /* Friday due, Sunday today */
	{ "2026-01-09", "2026-01-12", 1, -1 },
	{ "2018-12-28", "2019-01-02", 2, -2 }, /* 12-29 worked, 01-02 */
	{ "2026-12-31", "2026-12-01", 0, 22 },
};
/* clang-format on */

static void
test_clock(const struct cal *cal)
{
	size_t i;
	int o, r;

	for (i = 0; i < sizeof clock_cases / sizeof clock_cases[0]; i++) {
		o = dl_overdue_workdays(cal, D(clock_cases[i].due),
		                        D(clock_cases[i].today));
		r = dl_remaining_workdays(cal, D(clock_cases[i].due),
		                          D(clock_cases[i].today));
		ok(o == clock_cases[i].overdue && r == clock_cases[i].remaining,
		   "due %s, today %s: overdue %d, remaining %d (got %d, %d)",
		   clock_cases[i].due, clock_cases[i].today,
		   clock_cases[i].overdue, clock_cases[i].remaining, o, r);
	}
}

static void
test_skipped(const struct cal *cal)
{
	day_t out[16];
	size_t n;

	n = dl_skipped_days(cal, D("2026-02-13"), D("2026-02-24"), out, 16);
	ok(n == 9 && out[0] == D("2026-02-15") && out[8] == D("2026-02-23"),
	   "skipped in (02-13, 02-24): 02-15..02-23, not the worked 02-14");
	memset(out, 0, sizeof out);
	n = dl_skipped_days(cal, D("2026-02-13"), D("2026-02-24"), out, 3);
	ok(n == 9 && out[2] == D("2026-02-17") && out[3] == 0,
	   "skipped with room for 3: total 9, three written");
	n = dl_skipped_days(cal, D("2026-01-05"), D("2026-02-02"), NULL, 0);
	ok(n == 8, "skipped in January 2026: eight weekend days");
	n = dl_skipped_days(cal, D("2018-12-28"), D("2019-01-02"), out, 16);
	ok(n == 3 && out[0] == D("2018-12-30") && out[2] == D("2019-01-01"),
	   "skipped over New Year 2019: 12-30, 12-31, 01-01");
	ok(dl_skipped_days(cal, D("2026-02-15"), D("2026-02-16"), out, 16) == 0,
	   "skipped between neighbours: none");
	ok(dl_skipped_days(cal, D("2026-02-24"), D("2026-02-13"), out, 16) == 0,
	   "skipped backwards: none");
}

static void
test_periods(const struct cal *cal)
{
	char buf[16];
	day_t d;

	d = dl_period_last_day(cal, D("2026-02-12"), 15);
	ok(d == D("2026-03-11"), "15 days from 2026-02-12: 2026-03-11 (got %s)",
	   fmt(d, buf));
	d = dl_period_last_day(cal, D("2025-10-01"), 7);
	ok(d == D("2025-10-17"),
	   "7 days from a notice on National Day 2025: 2025-10-17 (got %s)",
	   fmt(d, buf));
	d = dl_period_last_day(cal, D("2024-09-30"), 15);
	ok(d == D("2024-10-25"), "15 days from 2024-09-30: 2024-10-25 (got %s)",
	   fmt(d, buf));
	d = dl_period_last_day(cal, D("2026-01-04"), 20);
	ok(d == D("2026-01-30"), "20 days from a worked Sunday (got %s)",
	   fmt(d, buf));
}

/* A calendar change moves due_on: the deadline is derived, not stored. */
static void
test_calendar_change(const struct cal *cal)
{
	struct cal *c = cal_copy(cal);
	struct dl_input in;
	struct dl_result r;
	day_t extra[] = { D("2026-01-20") };
	day_t *h, *w;
	size_t nh, nw;

	memset(&in, 0, sizeof in);
	in.start = D("2026-01-05");
	in.rules = DL_RULES_2019;
	cal_get_year(c, 2026, &h, &nh, &w, &nw);
	h = realloc(h, (nh + 1) * sizeof *h);
	h[nh++] = extra[0];
	ok(cal_set_year(c, 2026, h, nh, w, nw, NULL, NULL) == 0,
	   "add a holiday on 2026-01-20");
	dl_compute(c, &in, &r);
	ok(r.due_on == D("2026-02-03"), "due_on moves a day later");
	free(h);
	free(w);
	cal_free(c);
}

int
main(void)
{
	struct cal *cal = cal_new();
	const char *why;
	int line;

	if (cal_load_text(cal, cal_builtin_text, &why, &line) == -1) {
		printf("Bail out! builtin calendar: line %d: %s\n", line, why);
		return 1;
	}
	test_rules();
	test_compute(cal);
	test_pause_days(cal);
	test_clock(cal);
	test_skipped(cal);
	test_periods(cal);
	test_calendar_change(cal);
	cal_free(cal);
	return tap_done();
}
