/*
 * The store's report queries (SPEC section 7, report.summary): a few
 * GROUP BY statements over the covering indexes of migration 2, in the
 * store's table of statements (store.c). Run them on the reader handle:
 * each report is read in one snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

static int
bad_row(struct store *s, sqlite3_stmt *st, const char *what, int v)
{
	sqlite3_reset(st);
	s->last_rc = 0;
	snprintf(s->err, sizeof(s->err), "report: %s %d in the database", what,
	         v);
	return -1;
}

int
store_report_annual(struct store *s, struct report *r)
{
	sqlite3_stmt *st = store_stmt(s, STMT_REPORT_ANNUAL);
	int rc, part, a, b;
	int64_t n, before;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, report_first_day(r));
	sqlite3_bind_int(st, 2, report_last_day(r));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		part = sqlite3_column_int(st, 0);
		a = sqlite3_column_int(st, 1);
		b = sqlite3_column_int(st, 2);
		n = sqlite3_column_int64(st, 3);
		before = sqlite3_column_int64(st, 4);
		if (part == 3) {
			if (a < 0 || a >= AK__COUNT)
				return bad_row(s, st, "appeal kind", a);
			if (b < 0 || b >= AR__COUNT)
				return bad_row(s, st, "appeal result", b);
			r->appeals[a][b] += n;
			continue;
		}
		if (a < 0 || a >= COL__COUNT)
			return bad_row(s, st, "applicant column", a);
		switch (part) {
		case 0:
			r->received[a] += n;
			break;
		case 1:
			if (b < 0 || b >= OC__COUNT)
				return bad_row(
				    s, st, "outcome of a concluded application",
				    b);
			r->concluded[b][a] += n;
			r->carried_in[a] += before;
			break;
		case 2:
			r->carried_out[a] += n;
			r->carried_in[a] += before;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "report.annual");
	return 0;
}

static int
summary_counts(struct store *s, day_t from, day_t to, day_t today,
               struct store_summary *sum)
{
	sqlite3_stmt *st = store_stmt(s, STMT_REPORT_COUNTS);

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, from);
	sqlite3_bind_int(st, 2, to);
	sqlite3_bind_int(st, 3, today);
	if (store_step_row(s, st, "report.summary") == -1)
		return -1;
	sum->received = sqlite3_column_int64(st, 0);
	sum->extended = sqlite3_column_int64(st, 1);
	sum->concluded = sqlite3_column_int64(st, 2);
	sum->overdue = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	return 0;
}

static int
summary_replies(struct store *s, day_t from, day_t to,
                struct store_summary *sum)
{
	sqlite3_stmt *st = store_stmt(s, STMT_REPORT_REPLIES);
	size_t cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, from);
	sqlite3_bind_int(st, 2, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sum->nreplied == cap) {
			cap = cap ? cap * 2 : 256;
			sum->recv =
			    xreallocarray(sum->recv, cap, sizeof(sum->recv[0]));
			sum->replied = xreallocarray(sum->replied, cap,
			                             sizeof(sum->replied[0]));
		}
		sum->recv[sum->nreplied] = col_day(st, 0);
		sum->replied[sum->nreplied] = col_day(st, 1);
		sum->nreplied++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "report.summary replies");
	return 0;
}

static int
summary_longest(struct store *s, struct store_summary *sum)
{
	sqlite3_stmt *st = store_stmt(s, STMT_REPORT_LONGEST);
	struct store_open_app *o;
	const unsigned char *id;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, STORE_SUMMARY_LONGEST);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       sum->nlongest < STORE_SUMMARY_LONGEST) {
		o = &sum->longest[sum->nlongest++];
		id = sqlite3_column_text(st, 0);
		snprintf(o->id, sizeof(o->id), "%s",
		         id ? (const char *)id : "");
		o->received_on = col_day(st, 1);
		o->state = (enum app_state)sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, "report.summary open");
	return 0;
}

int
store_report_summary(struct store *s, day_t from, day_t to, day_t today,
                     struct store_summary *sum)
{
	int began, rc = 0;

	memset(sum, 0, sizeof(*sum));
	if ((began = store_read_begin(s)) == -1)
		return -1;
	if (summary_counts(s, from, to, today, sum) == -1 ||
	    summary_replies(s, from, to, sum) == -1 ||
	    summary_longest(s, sum) == -1)
		rc = -1;
	store_read_end(s, began);
	return rc;
}

void
store_summary_free(struct store_summary *sum)
{
	free(sum->recv);
	free(sum->replied);
	sum->recv = sum->replied = NULL;
	sum->nreplied = 0;
}
