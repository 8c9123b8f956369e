/*
 * The store's lists: app.list (its filters and the plans of a text
 * search), deadline.overdue and deadline.due_soon.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/*
 * app.list filters, one bit each; the statement for a combination is
 * built once and kept. Every combination is served by an index: state,
 * assignee and received_on lead their own indexes, and text search goes
 * through the FTS5 trigram table of the search index (lib/store_search.c)
 * when the reader has it attached, or scans the text when not.
 *
 * A text search of 3 characters or more (store_app_list), in order:
 *   1. the index's matches in received order, every filter checked row
 *      by row, the page cut exactly (list_fts_ordered), unless it is for
 *      the overdue alone and they are fewer than the term's matches
 *      (late_count); it gives up after ORDERED_EXTRA rows past the page;
 *   2. the overdue alone: the running states' indexes walked in received
 *      order, due date and text checked (list_late_by_state), within
 *      LATE_KSTEPS; then, without dates and if not too many, every
 *      overdue row's text (LF_LATE);
 *   3. with a state or an assignee: that index walked with each row's
 *      text checked, within WALK_KSTEPS (list_walk_bounded);
 *   4. else every match gathered, or with more than FTS_MANY (without a
 *      state or an assignee) received order walked and the matches
 *      probed, or past FTS_SCAN the text read (LF_MANY).
 * Each gives the page the plain SQL of list_stmt over every row would
 * (tests/unit/test_search.c checks them against a reader without the
 * index); they differ in what they read.
 */
enum {
	LF_STATE = 1 << 0,
	LF_ASSIGNEE = 1 << 1,
	LF_FTS = 1 << 2,
	LF_LIKE = 1 << 3,
	LF_FROM = 1 << 4,
	LF_TO = 1 << 5,
	LF_OVERDUE = 1 << 6, /* the value (over or not) is a parameter */
	LF_MANY = 1 << 7,    /* a common search term: walk received order */
	LF_LAG = 1 << 8,     /* rows the search index has not caught up with */
	LF_LATE = 1 << 9,    /* overdue only, through apps_running_due */
	LF_EXACT = 1 << 10,  /* q has no ASCII letter: no lower() needed */
};

/*
 * A text search without a state or an assignee that the ordered plan
 * gave up on: past this many matches, finding them all and sorting costs
 * more than walking apps_received in order and probing the match set
 * until a page is full; below it the opposite.
 */
#define FTS_MANY 1000
/*
 * Past this many, even gathering the matches costs more than walking
 * apps_received and reading each row's text: one row in fifty matches at
 * a million applications, so a page of 50 reads a few thousand rows (a
 * term in 100,000 rows took 15 ms to gather, more than the page).
 */
#define FTS_SCAN 20000

/*
 * A row's text contains the query (what the trigram index finds): ASCII
 * letters in any case. A query without ASCII letters is found in lower()
 * of a text exactly where it is found in the text (lower() changes
 * nothing else), so TEXT_HAS_EXACT spares two copies of every row's text.
 */
#define TEXT_HAS(p)                                                            \
	"(instr(id, " p ") > 0 OR instr(lower(name), lower(" p ")) > 0"        \
	" OR instr(lower(description), lower(" p ")) > 0)"
#define TEXT_HAS_EXACT(p)                                                      \
	"(instr(id, " p ") > 0 OR instr(name, " p ") > 0"                      \
	" OR instr(description, " p ") > 0)"
#define TEXT_CHECK(mask, p) ((mask)&LF_EXACT ? TEXT_HAS_EXACT(p) : TEXT_HAS(p))
/* How far the search index got (lib/store_search.c). */
#define SEARCH_LAST                                                            \
	"coalesce((SELECT value FROM search.meta WHERE key = 'last'), 0)"
#define SEARCH_PENDING                                                         \
	"SELECT app_rowid FROM search_dirty WHERE seq > coalesce((SELECT"      \
	" value FROM search.meta WHERE key = 'dirty'), 0)"

/* printf to the end of q[cap], which stays a string; *len may pass cap. */
static void sql_add(char *, size_t, size_t *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
sql_add(char *q, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(q + *len, cap - *len, fmt, ap);
	va_end(ap);
	*len += n > 0 ? (size_t)n : 0;
}

static sqlite3_stmt *
list_stmt(struct store *s, int mask)
{
	char q[4096];
	size_t len = 0;

	if (s->list_stmts[mask] != NULL)
		return s->list_stmts[mask];
	sql_add(q, sizeof(q), &len,
	        "SELECT " APP_COLS " FROM apps%s"
	        " WHERE (?1 IS NULL OR (received_on, id) > ((SELECT received_on"
	        " FROM apps WHERE id = ?1), ?1))",
	        mask & LF_MANY ? " INDEXED BY apps_received"
	        : mask & LF_LAG
	            ? " NOT INDEXED" /* by rowid, whatever the stats */
	        : mask & LF_LATE ? " INDEXED BY apps_running_due"
	                         : "");
	if (mask & LF_STATE)
		sql_add(q, sizeof(q), &len, " AND state = ?3");
	if (mask & LF_ASSIGNEE)
		sql_add(q, sizeof(q), &len, " AND assignee = ?4");
	if (mask & LF_FTS)
		/*
		 * The index's matches, and the rows it has not caught up with
		 * (past "last", or text changed past "dirty"), whose text is
		 * checked here.
		 */
		sql_add(
		    q, sizeof(q), &len,
		    " AND rowid IN (SELECT rowid & 4294967295 FROM search.fts"
		    " WHERE fts MATCH ?5 UNION ALL SELECT rowid FROM apps"
		    " WHERE rowid > " SEARCH_LAST " UNION ALL " SEARCH_PENDING
		    ")"
		    " AND ((rowid <= " SEARCH_LAST " AND rowid NOT IN"
		    " (" SEARCH_PENDING ")) OR %s)",
		    TEXT_CHECK(mask, "?10"));
	if (mask & LF_LAG)
		sql_add(q, sizeof(q), &len,
		        " AND rowid IN (SELECT rowid FROM apps"
		        " WHERE rowid > " SEARCH_LAST
		        " UNION ALL " SEARCH_PENDING ")"
		        " AND %s",
		        TEXT_CHECK(mask, "?10"));
	if (mask & LF_LIKE)
		sql_add(q, sizeof(q), &len, " AND %s", TEXT_CHECK(mask, "?5"));
	if (mask & LF_FROM)
		sql_add(q, sizeof(q), &len, " AND received_on >= ?6");
	if (mask & LF_TO)
		sql_add(q, sizeof(q), &len, " AND received_on <= ?7");
	if (mask & LF_OVERDUE)
		sql_add(q, sizeof(q), &len, " AND ((%s AND due_on < ?8) = ?9)",
		        SQL_RUNNING);
	if (mask & LF_LATE)
		sql_add(q, sizeof(q), &len, " AND %s AND due_on < ?8",
		        SQL_RUNNING);
	sql_add(q, sizeof(q), &len, " ORDER BY received_on, id LIMIT ?2");
	if (len >= sizeof(q)) {
		snprintf(s->err, sizeof(s->err), "list statement %d: too long",
		         mask);
		return NULL;
	}
	if (sqlite3_prepare_v3(s->db, q, -1, SQLITE_PREPARE_PERSISTENT,
	                       &s->list_stmts[mask], NULL) != SQLITE_OK) {
		store_fail(s, "prepare list");
		return NULL;
	}
	return s->list_stmts[mask];
}

static bool
has_ascii_letter(const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
			return true;
	return false;
}

/* SQLite's lower() folds ASCII only (it does more when built with ICU). */
static bool
lower_ascii_only(struct store *s)
{
	sqlite3_stmt *st;

	if (s->lower_folds == 0) {
		s->lower_folds = 2;
		if (sqlite3_prepare_v2(s->db,
		                       "SELECT lower('\xc3\x84') = '\xc3\x84'",
		                       -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW &&
			    sqlite3_column_int(st, 0) == 1)
				s->lower_folds = 1;
			sqlite3_finalize(st);
		}
	}
	return s->lower_folds == 1;
}

/*
 * The query as one FTS5 phrase: "..." with inner quotes doubled, through
 * lower() as the indexed text is (store_search.c SEARCH_TEXT).
 */
static char *
fts_phrase(struct store *s, const char *q)
{
	sqlite3_stmt *st = NULL;
	const char *lq = q;
	size_t n, i, j = 0;
	char *p;

	if ((has_ascii_letter(q) || !lower_ascii_only(s)) &&
	    (st = store_stmt(s, STMT_LOWER)) != NULL) {
		bind_text(st, 1, q);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			lq = (const char *)sqlite3_column_text(st, 0);
	}
	n = strlen(lq);
	p = xmalloc(2 * n + 3);
	p[j++] = '"';
	for (i = 0; i < n; i++) {
		if (lq[i] == '"')
			p[j++] = '"';
		p[j++] = lq[i];
	}
	p[j++] = '"';
	p[j] = '\0';
	if (st != NULL)
		sqlite3_reset(st);
	return p;
}

/* Characters (not bytes) in a UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The parameters of list_stmt(mask); phrase is FTS5's form of q. */
static void
list_bind(sqlite3_stmt *st, const struct store_list_q *lq, int mask,
          const char *phrase)
{
	sqlite3_clear_bindings(st);
	bind_text(st, 1, lq->after);
	sqlite3_bind_int(st, 2, lq->limit);
	if (mask & LF_STATE)
		sqlite3_bind_int(st, 3, lq->state);
	if (mask & LF_ASSIGNEE)
		bind_text(st, 4, lq->assignee);
	if (mask & LF_FTS)
		bind_text(st, 5, phrase);
	else if (mask & LF_LIKE)
		bind_text(st, 5, lq->q);
	if (mask & (LF_FTS | LF_LAG))
		bind_text(st, 10, lq->q);
	if (mask & LF_FROM)
		bind_day(st, 6, lq->from);
	if (mask & LF_TO)
		bind_day(st, 7, lq->to);
	if (mask & LF_OVERDUE) {
		bind_day(st, 8, lq->today);
		sqlite3_bind_int(st, 9, lq->overdue);
	}
	if (mask & LF_LATE)
		bind_day(st, 8, lq->today);
}

/*
 * The state, assignee and overdue filters of list_stmt, in C, for a row
 * read by rowid. As in SQL, a running application without a due date is
 * neither overdue nor not ((running AND NULL) = x is NULL).
 */
static bool
list_row_passes(const struct app *a, const struct store_list_q *lq)
{
	bool running = a->state < 7 && a->state % 2 == 0;

	if (lq->state >= 0 && (int)a->state != lq->state)
		return false;
	if (lq->assignee != NULL &&
	    (a->assignee == NULL || strcmp(a->assignee, lq->assignee) != 0))
		return false;
	if (lq->overdue >= 0) {
		if (running && a->due_on == DAY_NONE)
			return false;
		if ((running && a->due_on < lq->today) != (lq->overdue != 0))
			return false;
	}
	return true;
}

/* The day of a search key (SEARCH_KEY), days before 1970 too. */
static day_t
key_day(int64_t k)
{
	return (day_t)((k - SEARCH_KEY_ROWID(k)) / 4294967296LL);
}

static int64_t
day_key(day_t d)
{
	return (int64_t)d * 4294967296LL;
}

/* app.list's order: received_on, then id. */
static int
app_cmp_listed(const void *x, const void *y)
{
	const struct app *a = x, *b = y;

	if (a->received_on != b->received_on)
		return a->received_on < b->received_on ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* more's rows appended to v[*nv], more itself freed. */
static void
apps_append(struct app **v, size_t *nv, struct app *more, size_t nmore)
{
	if (nmore > 0) {
		*v = xreallocarray(*v, *nv + nmore, sizeof(**v));
		memcpy(*v + *nv, more, nmore * sizeof(**v));
		*nv += nmore;
	}
	free(more);
}

/* v sorted in app.list's order and cut to limit: the page, handed over. */
static void
apps_page(struct app *v, size_t nv, int limit, struct app **out, size_t *n)
{
	size_t keep = nv < (size_t)limit ? nv : (size_t)limit, i;

	if (nv > 1)
		qsort(v, nv, sizeof(*v), app_cmp_listed);
	for (i = keep; i < nv; i++)
		app_clear(&v[i]);
	*out = v;
	*n = keep;
}

static bool
rowid_in(const int64_t *v, size_t n, int64_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == r)
			return true;
		if (v[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* What the search index has caught up with, and the rows past it. */
struct search_lag {
	int64_t last;  /* every row up to this rowid is indexed... */
	int64_t *pend; /* ...but for these, whose text changed since */
	size_t npend;
};

static int
search_lag_read(struct store *s, struct search_lag *g)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SEARCH_MARKS);
	size_t cap = 0;
	int64_t dirty;
	int rc;

	memset(g, 0, sizeof(*g));
	if (st == NULL || store_step_row(s, st, "search marks") == -1)
		return -1;
	g->last = sqlite3_column_int64(st, 0);
	dirty = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if ((st = store_stmt(s, STMT_SEARCH_PENDING)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, dirty);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (g->npend == cap) {
			cap = cap ? cap * 2 : 16;
			g->pend = xreallocarray(g->pend, cap, sizeof(*g->pend));
		}
		g->pend[g->npend++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(g->pend);
		g->pend = NULL;
		return store_fail(s, "search pending");
	}
	return 0;
}

/*
 * Rows list_fts_ordered may read past the page before it gives up: a
 * term whose matches the filters mostly refuse, or a page's last day (or
 * its cursor's) with more matches than this (a bulk import received on
 * one day), goes to the plans that walk or gather.
 */
#define ORDERED_EXTRA 1000

/*
 * Text search. The index gives its matches in key order (day received,
 * then rowid), within the dates asked, and each row is read as its key
 * comes and kept if it passes the filters, until the page is full and the keys
 * have passed the day of its last row. The rows the index has not caught up
 * with are found by their text. All of them, sorted by (received_on, id)
 * and cut to the page, are the page: every row of its last day is among
 * them, whatever the order of ids within a day. So a page of a term in
 * a thousand rows of a million reads about fifty rows, not a thousand.
 * Returns 1 when it gave up (ORDERED_EXTRA), with nothing in *out.
 */
static int
list_fts_ordered(struct store *s, const struct store_list_q *lq, int mask,
                 struct app **out, size_t *n)
{
	sqlite3_stmt *keys, *row, *st;
	struct search_lag g = { 0 };
	struct app *v = NULL, *lag = NULL;
	size_t nv = 0, cap = 0, nlag = 0, nread = 0;
	int64_t lo = INT64_MIN, hi = INT64_MAX, k, r;
	day_t after_day = 0, stop_day = 0;
	char *phrase = NULL;
	bool failed = false;
	int rc, ret = -1, txn;

	*out = NULL;
	*n = 0;
	if (lq->limit <= 0)
		return 0;
	if ((txn = store_read_begin(s)) == -1)
		return -1;
	if (lq->after != NULL) {
		if ((st = store_stmt(s, STMT_APP_RECEIVED)) == NULL)
			goto out;
		bind_text(st, 1, lq->after);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			after_day = (day_t)sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE) {
			ret = 0; /* an unknown start: no page, as in SQL */
			goto out;
		}
		if (rc != SQLITE_ROW) {
			store_fail(s, "list after");
			goto out;
		}
		lo = day_key(after_day);
	}
	if (lq->from != DAY_NONE && day_key(lq->from) > lo)
		lo = day_key(lq->from);
	if (lq->to != DAY_NONE)
		hi = day_key(lq->to + 1);
	if (search_lag_read(s, &g) == -1)
		goto out;

	if ((keys = store_stmt(s, STMT_SEARCH_KEYS)) == NULL ||
	    (row = store_stmt(s, STMT_APP_BY_ROWID)) == NULL)
		goto out;
	phrase = fts_phrase(s, lq->q);
	bind_text(keys, 1, phrase);
	sqlite3_bind_int64(keys, 2, lo);
	sqlite3_bind_int64(keys, 3, hi);
	while ((rc = sqlite3_step(keys)) == SQLITE_ROW) {
		k = sqlite3_column_int64(keys, 0);
		r = SEARCH_KEY_ROWID(k);
		if (nv >= (size_t)lq->limit && key_day(k) > stop_day)
			break;
		if (r > g.last || rowid_in(g.pend, g.npend, r))
			continue; /* found by its text below */
		if (++nread > (size_t)lq->limit + ORDERED_EXTRA) {
			ret = 1;
			break;
		}
		sqlite3_bind_int64(row, 1, r);
		if ((rc = sqlite3_step(row)) != SQLITE_ROW) {
			if (rc != SQLITE_DONE) {
				store_fail(s, "list row");
				sqlite3_reset(row);
				failed = true;
				break;
			}
			sqlite3_reset(row);
			continue; /* not in this snapshot */
		}
		if (nv == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memset(&v[nv], 0, sizeof(v[nv]));
		store_app_row(row, &v[nv]);
		sqlite3_reset(row);
		if ((lq->after != NULL &&
		     (v[nv].received_on < after_day ||
		      (v[nv].received_on == after_day &&
		       strcmp(v[nv].id, lq->after) <= 0))) ||
		    !list_row_passes(&v[nv], lq)) {
			app_clear(&v[nv]);
			continue;
		}
		if (++nv == (size_t)lq->limit)
			stop_day = v[nv - 1].received_on;
	}
	if (failed || ret == 1 || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
		if (!failed && ret != 1)
			store_fail(s, "list search");
		sqlite3_reset(keys);
		goto out;
	}
	sqlite3_reset(keys);

	/* The rows past the index, by their text. */
	if ((st = list_stmt(s, (mask & ~LF_FTS) | LF_LAG)) == NULL)
		goto out;
	list_bind(st, lq, (mask & ~LF_FTS) | LF_LAG, NULL);
	if (store_app_rows(s, st, &lag, &nlag) == -1)
		goto out;
	apps_append(&v, &nv, lag, nlag);
	apps_page(v, nv, lq->limit, out, n);
	v = NULL;
	nv = 0;
	ret = 0;
out:
	store_apps_free(v, nv);
	free(g.pend);
	free(phrase);
	store_read_end(s, txn);
	return ret;
}

/*
 * A text search of the overdue alone: the ordered plan reads matches from
 * the oldest, and the overdue are recent, so a common term reads its
 * whole allowance first. When there are fewer overdue applications than
 * the term has matches (and not too many to read), their text is checked
 * instead, in apps_running_due. Not with dates: that walk cannot skip to
 * them.
 */
#define LATE_WALK_MAX 10000

/* Overdue applications, up to LATE_WALK_MAX (that on an error). */
static int
late_count(struct store *s, day_t today)
{
	sqlite3_stmt *st = store_stmt(s, STMT_LATE_COUNT);
	int late = LATE_WALK_MAX;

	if (st == NULL)
		return late;
	bind_day(st, 1, today);
	sqlite3_bind_int(st, 2, LATE_WALK_MAX);
	if (sqlite3_step(st) == SQLITE_ROW)
		late = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return late;
}

/* The index's matches of q, up to cap. */
static int
fts_matches(struct store *s, const char *q, int cap)
{
	sqlite3_stmt *st = store_stmt(s, STMT_FTS_PROBE);
	char *phrase;
	int matches = 0;

	if (st == NULL)
		return 0;
	phrase = fts_phrase(s, q);
	bind_text(st, 1, phrase);
	sqlite3_bind_int(st, 2, cap);
	if (sqlite3_step(st) == SQLITE_ROW)
		matches = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	free(phrase);
	return matches;
}

/*
 * The VM steps (in thousands) a walk of a state's or an assignee's index
 * may take, checking each row's text, before it gives up for the plan
 * that gathers the term's matches: about 2,000 rows, 5-15 ms. A term
 * common elsewhere but rare in that state would otherwise read all of it.
 */
#define WALK_KSTEPS 20

static int
walk_over(void *arg)
{
	int *left = arg;

	return --*left < 0;
}

/*
 * store_app_rows(st) within *left thousand VM steps, taken off what it uses: 1
 * if it ran out (nothing in *out, no error), 0 or -1 as app_rows.
 */
static int
app_rows_within(struct store *s, sqlite3_stmt *st, int *left, struct app **out,
                size_t *n)
{
	int rc;

	sqlite3_progress_handler(s->db, 1000, walk_over, left);
	rc = store_app_rows(s, st, out, n);
	sqlite3_progress_handler(s->db, 0, NULL, NULL);
	if (rc == -1 && *left < 0) {
		s->err[0] = '\0';
		return 1;
	}
	return rc;
}

/* list_stmt(mask) within WALK_KSTEPS: 1 if it gave up, nothing in *out. */
static int
list_walk_bounded(struct store *s, const struct store_list_q *lq, int mask,
                  struct app **out, size_t *n)
{
	sqlite3_stmt *st = list_stmt(s, mask);
	int left = WALK_KSTEPS;

	if (st == NULL)
		return -1;
	list_bind(st, lq, mask, NULL);
	return app_rows_within(s, st, &left, out, n);
}

/*
 * The overdue with a term, by state: each running state's index walked in
 * received order, the due date and the text checked, up to a page each,
 * and the four merged. The oldest running applications are the overdue
 * ones, so a common term fills the pages in a few hundred rows; a term
 * rare among them reads them all, so all four share LATE_KSTEPS
 * (thousands of VM steps; each row costs ~30 with the due date and the
 * text: a common term at a million took ~35k): 1 if it gave up, nothing
 * in *out.
 */
#define LATE_KSTEPS 60

static int
list_late_by_state(struct store *s, const struct store_list_q *lq, int mask,
                   struct app **out, size_t *n)
{
	/* Received last: where a backlog waits, and where cut helps most. */
	static const int running[] = { ST_REVIEW, ST_SECRECY, ST_READY,
		                       ST_RECEIVED };
	int m = (mask & (LF_FROM | LF_TO | LF_EXACT)) | LF_STATE | LF_LIKE |
	        LF_OVERDUE;
	struct store_list_q one = *lq;
	sqlite3_stmt *st;
	struct app *v = NULL, *part;
	size_t nv = 0, np, i;
	int left = LATE_KSTEPS, rc = 0, txn;

	*out = NULL;
	*n = 0;
	if ((txn = store_read_begin(s)) == -1)
		return -1;
	for (i = 0; i < sizeof(running) / sizeof(running[0]) && rc == 0; i++) {
		int mi = one.to != DAY_NONE ? m | LF_TO : m;

		if ((st = list_stmt(s, mi)) == NULL) {
			rc = -1;
			break;
		}
		one.state = running[i];
		list_bind(st, &one, mi, NULL);
		if ((rc = app_rows_within(s, st, &left, &part, &np)) != 0)
			break;
		/*
		 * A full page of this state: no row received after its last
		 * can be on the page; the next states stop there.
		 */
		if (np == (size_t)lq->limit &&
		    (one.to == DAY_NONE || part[np - 1].received_on < one.to))
			one.to = part[np - 1].received_on;
		apps_append(&v, &nv, part, np);
	}
	store_read_end(s, txn);
	if (rc != 0) {
		store_apps_free(v, nv);
		return rc;
	}
	apps_page(v, nv, lq->limit, out, n);
	return 0;
}

int
store_app_list(struct store *s, const struct store_list_q *lq, struct app **out,
               size_t *n)
{
	sqlite3_stmt *st;
	char *phrase = NULL;
	int mask = 0, rc, late = LATE_WALK_MAX;
	bool late_only;

	if (lq->state >= 0)
		mask |= LF_STATE;
	if (lq->assignee != NULL)
		mask |= LF_ASSIGNEE;
	if (lq->q != NULL && lq->q[0] != '\0') {
		mask |= utf8_chars(lq->q) >= 3 && s->search_attached ? LF_FTS
		                                                     : LF_LIKE;
		if (!has_ascii_letter(lq->q) && lower_ascii_only(s))
			mask |= LF_EXACT;
	}
	if (lq->from != DAY_NONE)
		mask |= LF_FROM;
	if (lq->to != DAY_NONE)
		mask |= LF_TO;
	if (lq->overdue >= 0)
		mask |= LF_OVERDUE;
	late_only = (mask & LF_FTS) && lq->overdue == 1 &&
	            !(mask & (LF_STATE | LF_ASSIGNEE));
	if (late_only && !(mask & (LF_FROM | LF_TO)))
		late = late_count(s, lq->today);
	if ((late >= LATE_WALK_MAX ||
	     fts_matches(s, lq->q, late + 1) <= late) &&
	    (mask & LF_FTS) &&
	    (rc = list_fts_ordered(s, lq, mask, out, n)) != 1)
		return rc;
	/* Fewer overdue than matches, or the ordered plan gave up. */
	if (late_only && (rc = list_late_by_state(s, lq, mask, out, n)) != 1)
		return rc;
	/*
	 * The ordered plan gave up: the term is common, and the filters keep
	 * few of its rows. A state or an assignee leads an index in received
	 * order, walked with each row's text checked, for a while; the
	 * overdue, if not too many, are read in apps_running_due; else the
	 * matches are gathered (below, by their count without a state or an
	 * assignee).
	 */
	if ((mask & LF_FTS) && (mask & (LF_STATE | LF_ASSIGNEE))) {
		rc = list_walk_bounded(s, lq, (mask & ~LF_FTS) | LF_LIKE, out,
		                       n);
		if (rc != 1)
			return rc;
	} else if ((mask & LF_FTS) && late < LATE_WALK_MAX)
		mask = (mask & ~(LF_FTS | LF_OVERDUE)) | LF_LIKE | LF_LATE;
	if ((mask & LF_FTS) && !(mask & (LF_STATE | LF_ASSIGNEE))) {
		int matches = fts_matches(s, lq->q, FTS_SCAN);

		if (matches >= FTS_SCAN)
			mask = (mask & ~LF_FTS) | LF_LIKE | LF_MANY;
		else if (matches >= FTS_MANY)
			mask |= LF_MANY;
	}
	if ((st = list_stmt(s, mask)) == NULL)
		return -1;
	if (mask & LF_FTS)
		phrase = fts_phrase(s, lq->q);
	list_bind(st, lq, mask, phrase);
	rc = store_app_rows(s, st, out, n);
	free(phrase);
	return rc;
}

int
store_overdue(struct store *s, day_t today, int limit, const char *after,
              day_t after_due, struct app **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_OVERDUE);

	if (st == NULL)
		return -1;
	bind_day(st, 1, today);
	bind_text(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	bind_day(st, 4, after_due);
	return store_app_rows(s, st, out, n);
}

int
store_due_soon(struct store *s, day_t today, day_t last, int limit,
               const char *after, day_t after_due, struct app **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_DUE_SOON);

	if (st == NULL)
		return -1;
	bind_day(st, 1, today);
	bind_text(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	bind_day(st, 4, last);
	bind_day(st, 5, after_due);
	return store_app_rows(s, st, out, n);
}
