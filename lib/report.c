/* The annual report's layout, cells and balance rule. See report.h. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* clang-format off */
#define OUT(key, oc, og) { key, RR_OUTCOME, oc, og }
#define GROUP(key, og) { key, RR_GROUP, OC_NONE, og }

const struct report_row report_rows[] = {
	{ "new", RR_NEW, OC_NONE, OG__COUNT },
	{ "carried_in", RR_CARRIED_IN, OC_NONE, OG__COUNT },
	OUT("grant", OC_GRANT, OG_GRANT),
	OUT("partial", OC_PARTIAL, OG_PARTIAL),
	GROUP("deny", OG_DENY),
	OUT("deny.state_secret", OC_DENY_STATE_SECRET, OG_DENY),
	OUT("deny.law_prohibited", OC_DENY_LAW_PROHIBITED, OG_DENY),
	OUT("deny.security_stability", OC_DENY_SECURITY_STABILITY, OG_DENY),
	OUT("deny.third_party", OC_DENY_THIRD_PARTY, OG_DENY),
	OUT("deny.internal_affairs", OC_DENY_INTERNAL_AFFAIRS, OG_DENY),
	OUT("deny.process_info", OC_DENY_PROCESS_INFO, OG_DENY),
	OUT("deny.enforcement_file", OC_DENY_ENFORCEMENT_FILE, OG_DENY),
	OUT("deny.administrative_query", OC_DENY_ADMINISTRATIVE_QUERY, OG_DENY),
	GROUP("unavailable", OG_UNAVAILABLE),
	OUT("unavailable.not_held", OC_UNAVAILABLE_NOT_HELD, OG_UNAVAILABLE),
	OUT("unavailable.needs_creation", OC_UNAVAILABLE_NEEDS_CREATION,
	    OG_UNAVAILABLE),
	OUT("unavailable.unclear", OC_UNAVAILABLE_UNCLEAR, OG_UNAVAILABLE),
	GROUP("not_processed", OG_NOT_PROCESSED),
	OUT("not_processed.petition", OC_NOT_PROCESSED_PETITION,
	    OG_NOT_PROCESSED),
	OUT("not_processed.repeat", OC_NOT_PROCESSED_REPEAT, OG_NOT_PROCESSED),
	OUT("not_processed.publication", OC_NOT_PROCESSED_PUBLICATION,
	    OG_NOT_PROCESSED),
	OUT("not_processed.excessive", OC_NOT_PROCESSED_EXCESSIVE,
	    OG_NOT_PROCESSED),
	OUT("not_processed.confirmation", OC_NOT_PROCESSED_CONFIRMATION,
	    OG_NOT_PROCESSED),
	GROUP("other", OG_OTHER),
	OUT("other.no_correction", OC_OTHER_NO_CORRECTION, OG_OTHER),
	OUT("other.fee_unpaid", OC_OTHER_FEE_UNPAID, OG_OTHER),
	OUT("other.other", OC_OTHER_OTHER, OG_OTHER),
	{ "concluded", RR_CONCLUDED, OC_NONE, OG__COUNT },
	{ "carried_out", RR_CARRIED_OUT, OC_NONE, OG__COUNT },
};
/* clang-format on */
const size_t report_nrows = sizeof(report_rows) / sizeof(report_rows[0]);

const char *
report_column_key(int col)
{
	if (col == REPORT_COL_TOTAL)
		return "total";
	return app_column_name((enum app_column)col);
}

const char *
report_result_key(int result)
{
	if (result == REPORT_RESULT_TOTAL)
		return "total";
	return appeal_result_name((enum appeal_result)result);
}

void
report_init(struct report *r, int year)
{
	memset(r, 0, sizeof(*r));
	r->year = year;
}

day_t
report_first_day(const struct report *r)
{
	return date_from_ymd(r->year, 1, 1);
}

day_t
report_last_day(const struct report *r)
{
	return date_from_ymd(r->year, 12, 31);
}

/* One column (not the total) of a row. */
static int64_t
cell(const struct report *r, const struct report_row *row, int col)
{
	int64_t n = 0;
	int o;

	switch (row->kind) {
	case RR_NEW:
		return r->received[col];
	case RR_CARRIED_IN:
		return r->carried_in[col];
	case RR_CARRIED_OUT:
		return r->carried_out[col];
	case RR_OUTCOME:
		return r->concluded[row->outcome][col];
	case RR_GROUP:
		for (o = 0; o < OC__COUNT; o++)
			if (outcome_group((enum outcome)o) == row->group)
				n += r->concluded[o][col];
		return n;
	case RR_CONCLUDED:
		for (o = 0; o < OC__COUNT; o++)
			n += r->concluded[o][col];
		return n;
	}
	return 0;
}

int64_t
report_value(const struct report *r, const struct report_row *row, int col)
{
	int64_t n = 0;
	int c;

	if (col != REPORT_COL_TOTAL)
		return cell(r, row, col);
	for (c = 0; c < COL__COUNT; c++)
		n += cell(r, row, c);
	return n;
}

int64_t
report_appeal_value(const struct report *r, enum appeal_kind k, int result)
{
	int64_t n = 0;
	int i;

	if (result != REPORT_RESULT_TOTAL)
		return r->appeals[k][result];
	for (i = 0; i < AR__COUNT; i++)
		n += r->appeals[k][i];
	return n;
}

int
report_check(const struct report *r, int *bad_col)
{
	static const struct report_row concluded = { "concluded", RR_CONCLUDED,
		                                     OC_NONE, OG__COUNT };
	int c;

	for (c = 0; c < COL__COUNT; c++) {
		if (r->received[c] < 0 || r->carried_in[c] < 0 ||
		    r->carried_out[c] < 0 ||
		    r->received[c] + r->carried_in[c] !=
		        cell(r, &concluded, c) + r->carried_out[c]) {
			if (bad_col != NULL)
				*bad_col = c;
			return -1;
		}
	}
	return 0;
}

int
report_workdays(const struct cal *cal, day_t received, day_t replied)
{
	day_t eff = cal_effective(cal, received);
	int n;

	if (eff == DAY_NONE)
		return 0;
	n = cal_count(cal, eff, replied);
	return n < 0 ? 0 : n;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The value of nearest rank ceil(pct/100 * n), n > 0, values sorted. */
static int
rank_value(const int *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

void
report_stats(int *values, size_t n, struct report_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->count = n;
	if (n == 0) {
		st->median = st->p90 = st->max = -1;
		return;
	}
	qsort(values, n, sizeof(values[0]), cmp_int);
	st->median = rank_value(values, n, 50);
	st->p90 = rank_value(values, n, 90);
	st->max = values[n - 1];
}
