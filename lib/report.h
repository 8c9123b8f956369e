/*
 * The annual report (SPEC section 7): the layout of table 三 (rows in the
 * order of the official form, with their subtotals) and of table 四, the
 * counts the store gathers for a year, the balance rule, and the working-
 * day statistics of report.summary. Pure: no I/O.
 */
#ifndef OGI_REPORT_H
#define OGI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "calendar.h"

/* Table 三: the columns are enum app_column, then the total. */
#define REPORT_COL_TOTAL COL__COUNT
#define REPORT_NCOLS (COL__COUNT + 1)

/* Table 四: the results are enum appeal_result, then the total. */
#define REPORT_RESULT_TOTAL AR__COUNT
#define REPORT_NRESULTS (AR__COUNT + 1)

enum report_row_kind {
	RR_NEW,         /* received in the year */
	RR_CARRIED_IN,  /* received before it, open at its start */
	RR_OUTCOME,     /* concluded in the year with this outcome */
	RR_GROUP,       /* subtotal of an outcome group */
	RR_CONCLUDED,   /* concluded in the year (总计) */
	RR_CARRIED_OUT, /* received by its end, open after it */
};

struct report_row {
	const char *key; /* wire name */
	enum report_row_kind kind;
	enum outcome outcome;     /* RR_OUTCOME, else OC_NONE */
	enum outcome_group group; /* RR_OUTCOME and RR_GROUP, else OG__COUNT */
};

/*
 * The rows of table 三 in the order of the official form: a group's
 * subtotal comes before its outcomes. `grant` and `partial` are groups
 * of one outcome: one row each, of kind RR_OUTCOME.
 */
extern const struct report_row report_rows[];
extern const size_t report_nrows;

/* Wire names: columns (REPORT_COL_TOTAL is "total"), appeal results. */
const char *report_column_key(int col);
const char *report_result_key(int result);

/* The figures of one year, as the store counts them. */
struct report {
	int year;
	int64_t received[COL__COUNT]; /* new */
	int64_t carried_in[COL__COUNT];
	int64_t concluded[OC__COUNT][COL__COUNT];
	int64_t carried_out[COL__COUNT];
	int64_t appeals[AK__COUNT]
	               [AR__COUNT]; /* pending: undecided by Dec 31 */
};

void report_init(struct report *, int year);
/* First and last day of the report's year. */
day_t report_first_day(const struct report *);
day_t report_last_day(const struct report *);

/* A cell of table 三; col may be REPORT_COL_TOTAL. */
int64_t report_value(const struct report *, const struct report_row *, int col);
/* A cell of table 四; result may be REPORT_RESULT_TOTAL. */
int64_t report_appeal_value(const struct report *, enum appeal_kind,
                            int result);

/*
 * The balance rule: new + carried_in = concluded + carried_out in every
 * column. 0 if it holds; -1 with *bad_col the first column where it fails.
 */
int report_check(const struct report *, int *bad_col);

/* report.summary: working days from receipt to reply. */
struct report_stats {
	size_t count;
	int median, p90; /* -1 when count is 0 */
	int max;
};

/*
 * Working days from receipt to reply, counted as SPEC section 3 counts:
 * from the effective date of receipt (the day itself not counted) to the
 * reply. Never negative.
 */
int report_workdays(const struct cal *, day_t received, day_t replied);
/*
 * Nearest-rank statistics over n values (sorted in place): the median is
 * the value of rank ceil(n/2), the 90th percentile that of rank
 * ceil(0.9 n).
 */
void report_stats(int *values, size_t n, struct report_stats *);

#endif
