/*
 * The annual report (SPEC section 7): the layout of table 三, cells,
 * subtotals and totals, the balance rule, the summary's statistics, and
 * the store's report queries against a direct count over thousands of
 * random applications and appeals in a real database, for every year
 * around them.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/calendar.h"
#include "../../lib/report.h"
#include "../../lib/store.h"
#include "tap.h"

static const struct report_row *
row(const char *key)
{
	size_t i;

	for (i = 0; i < report_nrows; i++)
		if (strcmp(report_rows[i].key, key) == 0)
			return &report_rows[i];
	printf("Bail out! no row %s\n", key);
	exit(1);
}

static void
test_layout(void)
{
	/* clang-format off */
	static const char *order[] = {
		"new", "carried_in", "grant", "partial", "deny",
		"deny.state_secret", "deny.law_prohibited",
		"deny.security_stability", "deny.third_party",
		"deny.internal_affairs", "deny.process_info",
		"deny.enforcement_file", "deny.administrative_query",
		"unavailable", "unavailable.not_held",
		"unavailable.needs_creation", "unavailable.unclear",
		"not_processed", "not_processed.petition",
		"not_processed.repeat", "not_processed.publication",
		"not_processed.excessive", "not_processed.confirmation", "other",
		"other.no_correction", "other.fee_unpaid", "other.other",
		"concluded", "carried_out",
	};
	/* clang-format on */
	int seen[OC__COUNT] = { 0 };
	size_t i;
	int o, good = 1;

	ok(report_nrows == sizeof(order) / sizeof(order[0]),
	   "table 三 has %zu rows", sizeof(order) / sizeof(order[0]));
	for (i = 0; i < report_nrows && i < sizeof(order) / sizeof(order[0]);
	     i++)
		good &= strcmp(report_rows[i].key, order[i]) == 0;
	ok(good, "rows in the order of the official form");
	good = 1;
	for (i = 0; i < report_nrows; i++) {
		const struct report_row *r = &report_rows[i];

		if (r->kind != RR_OUTCOME)
			continue;
		seen[r->outcome]++;
		good &= strcmp(r->key, outcome_name(r->outcome)) == 0 &&
		        outcome_group(r->outcome) == r->group;
	}
	for (o = 0; o < OC__COUNT; o++)
		good &= seen[o] == 1;
	ok(good, "every outcome code is one row, named and grouped as in"
	         " app.h");
	good = 1;
	for (i = 0; i < report_nrows; i++)
		if (report_rows[i].kind == RR_GROUP)
			good &=
			    strcmp(report_rows[i].key,
			           outcome_group_name(report_rows[i].group)) ==
			    0;
	ok(good, "group rows are named as the outcome groups");
	ok(strcmp(report_column_key(COL_NATURAL_PERSON), "natural_person") ==
	           0 &&
	       strcmp(report_column_key(COL_LEGAL_SERVICE), "legal_service") ==
	           0 &&
	       strcmp(report_column_key(REPORT_COL_TOTAL), "total") == 0,
	   "column keys");
	ok(strcmp(report_result_key(AR_PENDING), "pending") == 0 &&
	       strcmp(report_result_key(REPORT_RESULT_TOTAL), "total") == 0,
	   "appeal result keys");
}

static void
test_cells(void)
{
	struct report r;
	int bad = -1;

	report_init(&r, 2025);
	ok(report_first_day(&r) == D("2025-01-01") &&
	       report_last_day(&r) == D("2025-12-31"),
	   "the report's year runs Jan 1 to Dec 31");
	ok(report_check(&r, &bad) == 0, "an empty year balances");
	r.received[COL_NATURAL_PERSON] = 5;
	r.carried_in[COL_NATURAL_PERSON] = 2;
	r.concluded[OC_GRANT][COL_NATURAL_PERSON] = 1;
	r.concluded[OC_DENY_THIRD_PARTY][COL_NATURAL_PERSON] = 2;
	r.concluded[OC_DENY_STATE_SECRET][COL_NATURAL_PERSON] = 1;
	r.carried_out[COL_NATURAL_PERSON] = 3;
	r.received[COL_RESEARCH] = 1;
	r.concluded[OC_OTHER_FEE_UNPAID][COL_RESEARCH] = 1;
	ok(report_value(&r, row("new"), COL_NATURAL_PERSON) == 5 &&
	       report_value(&r, row("new"), REPORT_COL_TOTAL) == 6,
	   "new: a column and the total");
	ok(report_value(&r, row("deny"), COL_NATURAL_PERSON) == 3,
	   "deny: the sum of its eight outcomes");
	ok(report_value(&r, row("deny.third_party"), COL_NATURAL_PERSON) == 2,
	   "an outcome row");
	ok(report_value(&r, row("other"), REPORT_COL_TOTAL) == 1 &&
	       report_value(&r, row("other"), COL_NATURAL_PERSON) == 0,
	   "other: subtotal by column");
	ok(report_value(&r, row("concluded"), COL_NATURAL_PERSON) == 4 &&
	       report_value(&r, row("concluded"), REPORT_COL_TOTAL) == 5,
	   "concluded: every outcome");
	ok(report_check(&r, &bad) == 0, "5 + 2 = 4 + 3 and 1 = 1: balances");
	r.carried_out[COL_RESEARCH] = 1;
	ok(report_check(&r, &bad) == -1 && bad == COL_RESEARCH,
	   "one too many carried out: research does not balance");
	r.carried_out[COL_RESEARCH] = 0;
	r.carried_in[COL_OTHER] = -1;
	r.received[COL_OTHER] = 1;
	ok(report_check(&r, &bad) == -1 && bad == COL_OTHER,
	   "a negative figure never balances");

	r.appeals[AK_LITIGATION][AR_UPHELD] = 2;
	r.appeals[AK_LITIGATION][AR_PENDING] = 3;
	ok(report_appeal_value(&r, AK_LITIGATION, AR_PENDING) == 3 &&
	       report_appeal_value(&r, AK_LITIGATION, REPORT_RESULT_TOTAL) ==
	           5 &&
	       report_appeal_value(&r, AK_RECONSIDERATION,
	                           REPORT_RESULT_TOTAL) == 0,
	   "table 四: cells and totals");
}

static void
test_stats(void)
{
	struct cal *cal = cal_new();
	struct report_stats st;
	int v1[] = { 7 }, v2[] = { 9, 1 },
	    v10[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	int v11[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100 };
	const char *why;
	int line;

	report_stats(NULL, 0, &st);
	ok(st.count == 0 && st.median == -1 && st.p90 == -1 && st.max == -1,
	   "no values: no statistics");
	report_stats(v1, 1, &st);
	ok(st.median == 7 && st.p90 == 7 && st.max == 7, "one value");
	report_stats(v2, 2, &st);
	ok(st.median == 1 && st.p90 == 9, "two values: ranks 1 and 2");
	report_stats(v10, 10, &st);
	ok(st.median == 5 && st.p90 == 9 && st.max == 10,
	   "1..10: median rank 5, p90 rank 9");
	report_stats(v11, 11, &st);
	ok(st.median == 5 && st.p90 == 9 && st.max == 100,
	   "11 values: median rank 6, p90 rank 10");

	/* Weekends only: 2025-03-01 is a Saturday. */
	ok(report_workdays(cal, D("2025-03-03"), D("2025-03-03")) == 0,
	   "replied the day of receipt: 0 working days");
	ok(report_workdays(cal, D("2025-03-03"), D("2025-03-10")) == 5,
	   "Monday to Monday: 5");
	ok(report_workdays(cal, D("2025-03-01"), D("2025-03-03")) == 0,
	   "received Saturday, replied Monday: the effective date, 0");
	ok(report_workdays(cal, D("2025-03-01"), D("2025-03-01")) == 0,
	   "received and replied on a Saturday: never negative");
	cal_free(cal);
	cal = cal_new();
	if (cal_load_text(cal, cal_builtin_text, &why, &line) == -1) {
		printf("Bail out! builtin calendar: %s at %d\n", why, line);
		exit(1);
	}
	ok(report_workdays(cal, D("2025-02-03"), D("2025-03-03")) == 19,
	   "received in the Spring Festival 2025: counted from 2025-02-05");
	ok(report_workdays(cal, D("2025-01-06"), D("2025-02-10")) == 21,
	   "2025-01-06 to 2025-02-10 with two worked weekend days: 21");
	cal_free(cal);
}

/* ---- the store's queries against a direct count ---- */

#define NAPPS 3000
#define NAPPEALS 600

static struct fake {
	char id[APP_ID_LEN];
	enum app_column col;
	day_t rec, conc, replied;
	enum outcome oc;
	enum app_state state;
	day_t due;
	int ext;
} apps[NAPPS];

static struct fake_appeal {
	int app;
	enum appeal_kind kind;
	day_t filed, decided;
	enum appeal_result result;
} appeals[NAPPEALS];

static void
fill(struct store *st)
{
	day_t first = D("2019-01-01"), today = D("2024-06-15");
	struct app a;
	char idbuf[32];
	int i, n;

	if (store_begin(st) == -1) {
		printf("Bail out! begin: %s\n", store_error(st));
		exit(1);
	}
	for (i = 0; i < NAPPS; i++) {
		struct fake *f = &apps[i];

		snprintf(idbuf, sizeof(idbuf), "2019-%06d", i + 1);
		memcpy(f->id, idbuf, APP_ID_LEN);
		f->col = (enum app_column)tap_rnd(COL__COUNT);
		f->rec = first + tap_rnd(today - first + 1);
		f->ext = tap_rnd(4) == 0 ? 1 + tap_rnd(20) : 0;
		/* Year ends get more than their share. */
		if (tap_rnd(10) == 0)
			f->rec = date_from_ymd(2019 + tap_rnd(5), 12, 31);
		if (tap_rnd(5) == 0 || f->rec + 1 > today) {
			f->conc = f->replied = DAY_NONE;
			f->oc = tap_rnd(3) == 0 ? (enum outcome)tap_rnd(OC__COUNT)
			                    : OC_NONE;
			f->state = (enum app_state)tap_rnd(ST_REPLIED);
		} else {
			f->conc = f->rec + tap_rnd(120);
			if (f->conc > today)
				f->conc = today;
			if (tap_rnd(10) == 0)
				f->conc = date_from_ymd(date_year(f->rec), 12,
				                        31 - tap_rnd(2));
			if (f->conc < f->rec)
				f->conc = f->rec;
			f->oc = (enum outcome)tap_rnd(OC__COUNT);
			f->state = f->oc == OC_OTHER_OTHER ||
			                   f->oc == OC_OTHER_NO_CORRECTION ||
			                   f->oc == OC_OTHER_FEE_UNPAID
			               ? ST_WITHDRAWN
			               : ST_REPLIED;
			f->replied =
			    f->state == ST_REPLIED ? f->conc : DAY_NONE;
		}
		f->due = f->rec + 10 + tap_rnd(40);
		app_init(&a);
		memcpy(a.id, f->id, APP_ID_LEN);
		a.state = f->state;
		a.column = f->col;
		a.name = "n";
		a.description = "d";
		a.received_on = a.start = f->rec;
		a.concluded_on = f->conc;
		a.replied_on = f->replied;
		a.outcome = f->oc;
		a.extension_days = f->ext;
		a.due_on = f->due;
		a.version = 1;
		if (store_app_insert(st, &a) == -1) {
			printf("Bail out! insert: %s\n", store_error(st));
			exit(1);
		}
	}
	for (i = 0; i < NAPPEALS; i++) {
		struct fake_appeal *p = &appeals[i];

		p->app = tap_rnd(NAPPS);
		p->kind = (enum appeal_kind)tap_rnd(AK__COUNT);
		p->filed = apps[p->app].rec + tap_rnd(300);
		if (tap_rnd(8) == 0)
			p->filed = date_from_ymd(2019 + tap_rnd(5), 12, 31);
		p->decided = DAY_NONE;
		p->result = AR_PENDING;
		if (store_appeal_add(st, apps[p->app].id, p->kind, p->filed,
		                     &n) == -1) {
			printf("Bail out! appeal: %s\n", store_error(st));
			exit(1);
		}
		if (tap_rnd(3) != 0) {
			p->result = (enum appeal_result)tap_rnd(AR_PENDING);
			p->decided = p->filed + tap_rnd(200);
			if (tap_rnd(6) == 0)
				p->decided =
				    date_from_ymd(date_year(p->filed), 12, 31) +
				    tap_rnd(2);
			if (p->decided < p->filed)
				p->decided = p->filed;
			if (store_appeal_decide(st, apps[p->app].id, n,
			                        p->result, p->decided) != 0) {
				printf("Bail out! decide: %s\n",
				       store_error(st));
				exit(1);
			}
		}
	}
	if (store_commit(st) == -1) {
		printf("Bail out! commit: %s\n", store_error(st));
		exit(1);
	}
}

/* SPEC section 7, literally. */
static void
direct(int year, struct report *r)
{
	day_t s, e;
	int i;

	report_init(r, year);
	s = report_first_day(r);
	e = report_last_day(r);
	for (i = 0; i < NAPPS; i++) {
		const struct fake *f = &apps[i];

		if (f->rec >= s && f->rec <= e)
			r->received[f->col]++;
		if (f->rec < s && (f->conc == DAY_NONE || f->conc >= s))
			r->carried_in[f->col]++;
		if (f->conc != DAY_NONE && f->conc >= s && f->conc <= e)
			r->concluded[f->oc][f->col]++;
		if (f->rec <= e && (f->conc == DAY_NONE || f->conc > e))
			r->carried_out[f->col]++;
	}
	for (i = 0; i < NAPPEALS; i++) {
		const struct fake_appeal *p = &appeals[i];

		if (p->filed < s || p->filed > e)
			continue;
		if (p->decided != DAY_NONE && p->decided <= e)
			r->appeals[p->kind][p->result]++;
		else
			r->appeals[p->kind][AR_PENDING]++;
	}
}

static int
cmp_open(const void *a, const void *b)
{
	const struct fake *x = *(struct fake *const *)a,
	                  *y = *(struct fake *const *)b;

	if (x->rec != y->rec)
		return x->rec < y->rec ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
test_store(void)
{
	char dir[] = "/tmp/ogi-test-report.XXXXXX", path[64];
	struct store *st, *rd;
	struct report got, want;
	struct store_summary sum;
	struct fake *open[NAPPS];
	day_t from, to, today = D("2024-06-15");
	int year, good, bad, i, k;
	size_t nopen = 0, n;
	int64_t rec, conc, ext, over;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	if (store_create(path, &st) == -1) {
		printf("Bail out! create: %s\n", store_error(st));
		exit(1);
	}
	fill(st);
	if (store_open(path, true, false, &rd) == -1) {
		printf("Bail out! open reader: %s\n", store_error(rd));
		exit(1);
	}

	for (year = 2017; year <= 2026; year++) {
		report_init(&got, year);
		ok(store_report_annual(rd, &got) == 0, "%d: the store counts",
		   year);
		direct(year, &want);
		ok(memcmp(&got, &want, sizeof(got)) == 0,
		   "%d: every figure equals the direct count", year);
		ok(report_check(&got, &bad) == 0, "%d: balances", year);
	}
	report_init(&got, 2021);
	store_report_annual(rd, &got);
	report_init(&want, 2022);
	store_report_annual(rd, &want);
	ok(memcmp(got.carried_out, want.carried_in, sizeof(got.carried_out)) ==
	       0,
	   "2022 carries in what 2021 carried out");

	/* report.summary */
	for (k = 0; k < 20; k++) {
		from = D("2019-01-01") + tap_rnd(2000);
		to = from + tap_rnd(400);
		if (store_report_summary(rd, from, to, today, &sum) == -1) {
			ok(0, "summary: %s", store_error(rd));
			store_summary_free(&sum);
			continue;
		}
		rec = conc = ext = over = 0;
		n = 0;
		for (i = 0; i < NAPPS; i++) {
			const struct fake *f = &apps[i];

			if (f->rec >= from && f->rec <= to) {
				rec++;
				ext += f->ext > 0;
			}
			if (f->conc != DAY_NONE && f->conc >= from &&
			    f->conc <= to) {
				conc++;
				n += f->replied != DAY_NONE;
			}
			over +=
			    (f->state == ST_RECEIVED || f->state == ST_REVIEW ||
			     f->state == ST_SECRECY || f->state == ST_READY) &&
			    f->due < today;
		}
		good = sum.received == rec && sum.concluded == conc &&
		       sum.extended == ext && sum.overdue == over &&
		       sum.nreplied == n;
		for (i = 0; good && (size_t)i < sum.nreplied; i++)
			good = sum.replied[i] >= from && sum.replied[i] <= to &&
			       sum.recv[i] <= sum.replied[i];
		ok(good,
		   "summary %d: counts and replies equal the direct count", k);
		store_summary_free(&sum);
	}
	for (i = 0; i < NAPPS; i++)
		if (apps[i].conc == DAY_NONE)
			open[nopen++] = &apps[i];
	qsort(open, nopen, sizeof(open[0]), cmp_open);
	store_report_summary(rd, from, to, today, &sum);
	good = sum.nlongest == (nopen < 10 ? nopen : 10);
	for (i = 0; good && (size_t)i < sum.nlongest; i++)
		good = strcmp(sum.longest[i].id, open[i]->id) == 0 &&
		       sum.longest[i].received_on == open[i]->rec &&
		       sum.longest[i].state == open[i]->state;
	ok(good, "summary: the ten longest open, oldest receipt first");
	store_summary_free(&sum);

	store_close(rd);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ogi.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ogi.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_layout();
	test_cells();
	test_stats();
	test_store();
	return tap_done();
}
