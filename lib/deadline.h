/*
 * Deadline arithmetic (SPEC section 4). Pure: the due date follows from the
 * rule set, the start of the clock, the extension grants and the pauses,
 * over a calendar. Nothing here is stored as truth.
 */
#ifndef OGI_DEADLINE_H
#define OGI_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"

enum dl_rules {
	DL_RULES_2007 = 2007, /* received before 2019-05-15: 15 + up to 15 */
	DL_RULES_2019 = 2019, /* 20 + up to 20 */
};

/* The rule set for a date of receipt. */
enum dl_rules dl_rules_for(day_t received_on);
int dl_base_days(enum dl_rules);     /* 15 or 20 */
int dl_max_extension(enum dl_rules); /* 15 or 20 */

struct dl_pause {
	day_t from;
	day_t to; /* DAY_NONE while still open */
};

struct dl_input {
	enum dl_rules rules;
	day_t start; /* receipt, or the correction's date of receipt */
	const int *extensions; /* working days of each grant */
	size_t nextensions;
	const struct dl_pause *pauses; /* closed and open, since start */
	size_t npauses;
};

struct dl_result {
	day_t start;
	day_t effective_start;
	int base_days;
	int extension_days; /* sum of grants */
	int paused_days;    /* working days in (from, to] of closed pauses */
	day_t due_on;       /* cal_add(start, base + ext + paused) */
};

/* Working days a closed pause adds: cal_count(from, to). 0 if open. */
int dl_pause_days(const struct cal *, const struct dl_pause *);
void dl_compute(const struct cal *, const struct dl_input *,
                struct dl_result *);

/* cal_count(due_on, today) when today > due_on, else 0. */
int dl_overdue_workdays(const struct cal *, day_t due_on, day_t today);
/* cal_count(today, due_on): negative when overdue. */
int dl_remaining_workdays(const struct cal *, day_t due_on, day_t today);

/*
 * Non-working days strictly between from and to (from < x < to), the days
 * skipped when counting; at most max written to out. Returns how many
 * there are in total (may exceed max).
 */
size_t dl_skipped_days(const struct cal *, day_t from, day_t to, day_t *out,
                       size_t max);

/*
 * The last day of an applicant/third-party period counted from a notice:
 * cal_add(notice, n). It lapses at 00:00 local time of the day after.
 */
day_t dl_period_last_day(const struct cal *, day_t notice, int n);

#endif
