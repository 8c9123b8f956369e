/*
 * The working-day calendar (SPEC section 3). Pure: no I/O.
 *
 * A date is a working day when it is Monday-Friday and not a listed
 * holiday, or a weekend day listed as an adjusted working day (调休). Years
 * with nothing loaded count weekends only. Internally a running count of
 * working days per day makes is_workday a lookup, count a subtraction and
 * add a binary search.
 */
#ifndef OGI_CALENDAR_H
#define OGI_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"

struct cal;

struct cal *cal_new(void); /* weekends only, nothing known */
void cal_free(struct cal *);
struct cal *cal_copy(const struct cal *);
/* The same years known, with the same holidays and working weekend days. */
bool cal_equal(const struct cal *, const struct cal *);

/*
 * Replace one year. Every date must fall in that year; a date may not be
 * both a holiday and a working day. Weekdays listed as working days are
 * accepted and ignored (they work anyway). The year becomes "known".
 * Returns 0, or -1 with *why set to a static reason and *bad to the
 * offending date (DAY_NONE if not about a date).
 */
int cal_set_year(struct cal *, int year, const day_t *holidays,
                 size_t nholidays, const day_t *workdays, size_t nworkdays,
                 const char **why, day_t *bad);
/* Forget a year: weekends only again, and not known. */
void cal_clear_year(struct cal *, int year);
bool cal_year_known(const struct cal *, int year);
/*
 * Differs from every other calendar's, and changes with every change to
 * this one: what a cache of something computed from it is keyed on.
 */
uint64_t cal_serial(const struct cal *);
/*
 * How far the calendar reaches from a year: when year is known, the last
 * day of the run of known years it begins (2026 with 2027 missing gives
 * 2026-12-31 even if 2030 is known); when not, the last day of the latest
 * known year before it; DAY_NONE when there is none.
 */
day_t cal_known_until(const struct cal *, int year);
/*
 * The year's lists as cal_set_year normalised them, sorted: holidays
 * (including weekend days listed) and weekend working days. Arrays are
 * allocated; caller frees both. Unknown year: empty lists.
 */
void cal_get_year(const struct cal *, int year, day_t **holidays, size_t *nh,
                  day_t **workdays, size_t *nw);

bool cal_is_workday(const struct cal *, day_t);
/* d if it is a working day, else the next working day. */
day_t cal_effective(const struct cal *, day_t d);
/*
 * The nth working day after the effective date of d (n >= 0; n == 0 gives
 * the effective date). DAY_NONE if it would leave the supported range.
 */
day_t cal_add(const struct cal *, day_t d, int n);
/* Working days x with from < x <= to; negative -count(to, from) if to < from.
 */
int cal_count(const struct cal *, day_t from, day_t to);

/*
 * Load the calendar shipped with ogi (State Council notices 2018-2026) from
 * its text form (data/holidays-cn.txt, compiled in). Returns 0 or -1.
 * Format, one date per line: "YYYY-MM-DD off|work [name]"; '#' comments.
 */
int cal_load_text(struct cal *, const char *text, const char **why, int *line);
extern const char cal_builtin_text[];

#endif
