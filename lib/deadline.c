/*
 * Deadline arithmetic (SPEC section 4): the due date is derived from the
 * rule set, the start, the extension grants and the closed pauses.
 */
#include "deadline.h"

/* Regulations of 2019 (Art. 33) apply from 2019-05-15. */
#define DL_2019_FROM_Y 2019
#define DL_2019_FROM_M 5
#define DL_2019_FROM_D 15

enum dl_rules
dl_rules_for(day_t received_on)
{
	if (received_on <
	    date_from_ymd(DL_2019_FROM_Y, DL_2019_FROM_M, DL_2019_FROM_D))
		return DL_RULES_2007;
	return DL_RULES_2019;
}

int
dl_base_days(enum dl_rules rules)
{
	return rules == DL_RULES_2007 ? 15 : 20;
}

int
dl_max_extension(enum dl_rules rules)
{
	return rules == DL_RULES_2007 ? 15 : 20;
}

int
dl_pause_days(const struct cal *cal, const struct dl_pause *p)
{
	int n;

	if (p->from == DAY_NONE || p->to == DAY_NONE)
		return 0;
	n = cal_count(cal, p->from, p->to);
	return n > 0 ? n : 0;
}

void
dl_compute(const struct cal *cal, const struct dl_input *in,
           struct dl_result *out)
{
	size_t i;

	out->start = in->start;
	out->effective_start = cal_effective(cal, in->start);
	out->base_days = dl_base_days(in->rules);
	out->extension_days = 0;
	for (i = 0; i < in->nextensions; i++)
		out->extension_days += in->extensions[i];
	out->paused_days = 0;
	for (i = 0; i < in->npauses; i++)
		out->paused_days += dl_pause_days(cal, &in->pauses[i]);
	out->due_on =
	    cal_add(cal, in->start,
	            out->base_days + out->extension_days + out->paused_days);
}

int
dl_overdue_workdays(const struct cal *cal, day_t due_on, day_t today)
{
	int n;

	if (due_on == DAY_NONE || today <= due_on)
		return 0;
	n = cal_count(cal, due_on, today);
	return n > 0 ? n : 0;
}

int
dl_remaining_workdays(const struct cal *cal, day_t due_on, day_t today)
{
	return cal_count(cal, today, due_on);
}

size_t
dl_skipped_days(const struct cal *cal, day_t from, day_t to, day_t *out,
                size_t max)
{
	size_t n = 0;
	day_t d;

	if (from == DAY_NONE || to == DAY_NONE)
		return 0;
	for (d = from + 1; d < to; d++) {
		if (cal_is_workday(cal, d))
			continue;
		if (n < max)
			out[n] = d;
		n++;
	}
	return n;
}

day_t
dl_period_last_day(const struct cal *cal, day_t notice, int n)
{
	return cal_add(cal, notice, n);
}
