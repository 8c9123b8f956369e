/*
 * report.annual (SPEC section 7) and report.summary: the store counts,
 * lib/report.c lays the figures out and checks they balance, and this file
 * turns them into JSON. Both read the reader handle, in one snapshot.
 */
#include <stdlib.h>

#include "../lib/log.h"
#include "../lib/report.h"
#include "../lib/store.h"
#include "../lib/xmalloc.h"
#include "methods.h"
#include "params.h"
#include "view.h"

/* {ROW: {COLUMN: n}} with every row and column, zeros included. */
static json_t *
annual_applications(const struct report *r)
{
	json_t *rows = json_object(), *cols;
	size_t i;
	int c;

	for (i = 0; i < report_nrows; i++) {
		cols = json_object();
		for (c = 0; c < REPORT_NCOLS; c++)
			json_object_set_new(
			    cols, report_column_key(c),
			    json_integer(report_value(r, &report_rows[i], c)));
		json_object_set_new(rows, report_rows[i].key, cols);
	}
	return rows;
}

/* {KIND: {RESULT: n}} with every kind and result. */
static json_t *
annual_appeals(const struct report *r)
{
	json_t *kinds = json_object(), *res;
	int k, i;

	for (k = 0; k < AK__COUNT; k++) {
		res = json_object();
		for (i = 0; i < REPORT_NRESULTS; i++)
			json_object_set_new(res, report_result_key(i),
			                    json_integer(report_appeal_value(
			                        r, (enum appeal_kind)k, i)));
		json_object_set_new(kinds,
		                    appeal_kind_name((enum appeal_kind)k), res);
	}
	return kinds;
}

int
m_report_annual(struct session *s, json_t *params, json_t **result,
                struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = {
		{ "year", P_INT, true, DATE_MIN_YEAR, DATE_MAX_YEAR }, PSPEC_END
	};
	struct report r;
	int bad;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	report_init(&r, (int)param_int(params, "year", 0));
	if (store_report_annual(ogid->rstore, &r) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	/* Never hand out figures that do not add up. */
	if (report_check(&r, &bad) == -1) {
		log_warnx("report.annual %d: column %s does not balance",
		          r.year, report_column_key(bad));
		rpc_error_set(err, RPC_INTERNAL,
		              "internal error: the %d report does not balance"
		              " in column %s",
		              r.year, report_column_key(bad));
		return -1;
	}
	*result =
	    json_pack("{s:i, s:o, s:o}", "year", r.year, "applications",
	              annual_applications(&r), "appeals", annual_appeals(&r));
	return 0;
}

static json_t *
json_stat(int v)
{
	return v < 0 ? json_null() : json_integer(v);
}

int
m_report_summary(struct session *s, json_t *params, json_t **result,
                 struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "from", P_DATE, true, 0, 0 },
		                             { "to", P_DATE, true, 0, 0 },
		                             PSPEC_END };
	struct store_summary sum;
	struct report_stats st;
	json_t *longest;
	day_t from, to, today = daemon_today();
	int *days;
	size_t i;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	from = param_date(params, "from", DAY_NONE);
	to = param_date(params, "to", DAY_NONE);
	if (from > to) {
		rpc_error_param(err, "to", "before from");
		return -1;
	}
	if (store_report_summary(ogid->rstore, from, to, today, &sum) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		store_summary_free(&sum);
		return -1;
	}
	days =
	    xreallocarray(NULL, sum.nreplied ? sum.nreplied : 1, sizeof(*days));
	for (i = 0; i < sum.nreplied; i++)
		days[i] =
		    report_workdays(ogid->cal, sum.recv[i], sum.replied[i]);
	report_stats(days, sum.nreplied, &st);
	free(days);
	longest = json_array();
	for (i = 0; i < sum.nlongest; i++) {
		const struct store_open_app *o = &sum.longest[i];

		json_array_append_new(
		    longest,
		    json_pack(
		        "{s:s, s:o, s:s, s:i}", "id", o->id, "received_on",
		        json_date(o->received_on), "state",
		        app_state_name(o->state) ? app_state_name(o->state)
		                                 : "unknown",
		        "workdays_open",
		        report_workdays(ogid->cal, o->received_on, today)));
	}
	*result = json_pack(
	    "{s:o, s:o, s:o, s:I, s:I, s:I, s:I,"
	    " s:{s:I, s:o, s:o, s:o}, s:o}",
	    "from", json_date(from), "to", json_date(to), "as_of",
	    json_date(today), "received", (json_int_t)sum.received, "extended",
	    (json_int_t)sum.extended, "concluded", (json_int_t)sum.concluded,
	    "overdue", (json_int_t)sum.overdue, "reply_workdays", "replied",
	    (json_int_t)st.count, "median", json_stat(st.median), "p90",
	    json_stat(st.p90), "max", json_stat(st.max), "longest_open",
	    longest);
	store_summary_free(&sum);
	return 0;
}
