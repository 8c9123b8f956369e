/*
 * The search index (lib/store_search.c) and app.list's text search
 * (lib/store_list.c): what the index has caught up with is found through
 * it, new rows and changed text past it by their text, and an old text
 * no longer matches; a reader without the index finds the same by
 * scanning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../lib/store.h"
#include "sqldb.h"
#include "tap.h"

static struct store *w;
static struct app apps[8];
static int napps;

static void
bail(const char *what, struct store *s)
{
	printf("Bail out! %s: %s\n", what, s ? store_error(s) : "");
	fflush(stdout); /* before LeakSanitizer's report ends the process */
	exit(1);
}

/* A new application with this name and description, in its own commit. */
static struct app *
add(const char *name, const char *description)
{
	struct app *a = &apps[napps++];

	app_init(a);
	snprintf(a->id, APP_ID_LEN, "2026-%06d", napps);
	a->name = (char *)name;
	a->description = (char *)description;
	a->received_on = a->start = a->due_on = 20000 + napps;
	a->version = 1;
	if (store_begin(w) == -1 || store_app_insert(w, a) == -1 ||
	    store_commit(w) == -1)
		bail("insert", w);
	return a;
}

static void
correct(struct app *a, const char *description)
{
	a->description = (char *)description;
	if (store_begin(w) == -1 || store_app_set_description(w, a) == -1 ||
	    store_commit(w) == -1)
		bail("correct", w);
}

/*
 * n applications from fill(i, a) in one transaction, a from app_init with
 * version 1: the first `indexed` of them indexed (store_search_build), the
 * rest left past the index.
 */
static void
insert_apps(unsigned n, unsigned indexed, void (*fill)(unsigned, struct app *))
{
	struct app a;
	unsigned i;

	if (store_begin(w) == -1)
		bail("begin", w);
	for (i = 0; i < n; i++) {
		if (i == indexed &&
		    (store_commit(w) == -1 || store_search_build(w) == -1 ||
		     store_begin(w) == -1))
			bail("build", w);
		app_init(&a);
		a.version = 1;
		fill(i, &a);
		if (store_app_insert(w, &a) == -1)
			bail("insert", w);
	}
	if (store_commit(w) == -1 ||
	    (indexed >= n && store_search_build(w) == -1))
		bail("commit", w);
}

/* app.list's query for q: any state, any date, a page of 50. */
static struct store_list_q
search_q(const char *q)
{
	struct store_list_q lq = { .state = -1,
		                   .q = q,
		                   .from = DAY_NONE,
		                   .to = DAY_NONE,
		                   .overdue = -1,
		                   .limit = 50 };

	return lq;
}

/* The ids app.list finds for q, joined with spaces. */
static const char *
found(struct store *r, const char *q)
{
	static char buf[256];
	struct store_list_q lq = search_q(q);
	struct app *items;
	size_t n, i, len = 0;

	if (store_app_list(r, &lq, &items, &n) == -1)
		bail("list", r);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		                        i ? " " : "", items[i].id);
	store_apps_free(items, n);
	return buf;
}

/* Three pages of lq, through the index and by scanning, are the same. */
static void
pages_of(struct store *idx, struct store *scan, struct store_list_q lq,
         size_t want, const char *what)
{
	struct app *x, *y;
	size_t nx, ny, i, same = 0, total = 0;
	char after[APP_ID_LEN] = "";
	int page;

	for (page = 0; page < 3; page++) {
		lq.after = after[0] ? after : NULL;
		if (store_app_list(idx, &lq, &x, &nx) == -1)
			bail("list", idx);
		if (store_app_list(scan, &lq, &y, &ny) == -1)
			bail("list", scan);
		for (i = 0; i < nx && i < ny; i++)
			same += strcmp(x[i].id, y[i].id) == 0;
		total += ny;
		if (nx != ny)
			total += nx > ny ? nx - ny : ny - nx;
		if (ny > 0)
			snprintf(after, sizeof(after), "%s", y[ny - 1].id);
		store_apps_free(x, nx);
		store_apps_free(y, ny);
	}
	ok(total == want && same == total,
	   "%s: three pages of \"%s\" agree (%zu of %zu, %zu wanted)", what,
	   lq.q, same, total, want);
}

static void
pages(struct store *idx, struct store *scan, const char *q, const char *what)
{
	pages_of(idx, scan, search_q(q), 150, what);
}

/* Every search, through the index and by scanning, gives want. */
static void
expect(struct store *idx, struct store *scan, const char *q, const char *want,
       const char *when)
{
	const char *got = found(idx, q);

	ok(strcmp(got, want) == 0, "%s: \"%s\" finds [%s] (got [%s])", when, q,
	   want, got);
	got = found(scan, q);
	ok(strcmp(got, want) == 0,
	   "%s: \"%s\" by scanning finds [%s] (got [%s])", when, q, want, got);
}

/* Every row has 公开信息; one in 5 中等事项; one in 97 罕见事项. */
static void
fill_common(unsigned i, struct app *a)
{
	snprintf(a->id, APP_ID_LEN, "2025-%06u", (i + 1) % 1000000);
	a->name = "赵六";
	a->description = i % 97 == 0  ? "关于罕见事项的公开信息"
	                 : i % 5 == 0 ? "关于中等事项的公开信息"
	                              : "申请公开信息";
	a->received_on = a->start = a->due_on = 19000 + i % 300;
}

/*
 * A term in more rows than FTS_SCAN (lib/store_list.c) is found by walking
 * received order and reading the text; in more than FTS_MANY, by walking
 * received order and probing the index's matches; in fewer, by sorting
 * the matches. Each gives the scan's pages.
 */
static void
common_term(struct store *idx, struct store *scan)
{
	insert_apps(25000, 25000, fill_common);
	pages(idx, scan, "公开信息", "a term in every row (walked)");
	pages(idx, scan, "中等事项",
	      "a term in one row of 5 (gathered, walked)");
	pages(idx, scan, "罕见事项",
	      "a term in one row of 97 (gathered, sorted)");
}

/* pages_of lq, wanting what the scan finds in three pages. */
static void
pages_as_scan(struct store *idx, struct store *scan, struct store_list_q lq,
              const char *what)
{
	struct store_list_q all = lq;
	struct app *y;
	size_t ny;

	all.limit = 3 * lq.limit;
	all.after = NULL;
	if (store_app_list(scan, &all, &y, &ny) == -1)
		bail("list", scan);
	store_apps_free(y, ny);
	pages_of(idx, scan, lq, ny, what);
}

static int
by_rowid(const void *x, const void *y)
{
	const struct app *a = x, *b = y;

	return a->rowid < b->rowid ? -1 : a->rowid > b->rowid;
}

/* Ids against rowids within a day, days against rowids. */
static void
fill_ordered(unsigned i, struct app *a)
{
	snprintf(a->id, APP_ID_LEN, "2024-%06u", 999999 - i);
	a->name = "孙七";
	a->description = i % 3 == 0 ? "顺序检查的公开申请" : "顺序检查";
	a->received_on = a->start = a->due_on = 21000 + (i * 7) % 8;
}

/*
 * The index hands its matches over in received order, and the page is cut
 * from them (lib/store_list.c list_fts_ordered). Here ids run against
 * rowids within a day, days against rowids, a quarter of the rows are
 * newer than the index, and some indexed rows have had their text
 * changed: every page, with and without dates, is the scan's.
 */
static void
ordered_pages(struct store *idx, struct store *scan)
{
	struct store_list_q lq = search_q("顺序检查");
	unsigned n = 400;

	/* The last 100 past the index; three texts changed below. */
	insert_apps(n, 300, fill_ordered);
	{
		/* Rows 10 and 11 of this set lose the term, 12 keeps it. */
		struct app *got;
		size_t ng, j;
		struct store_list_q all = search_q("顺序检查");

		all.limit = 1000;
		if (store_app_list(scan, &all, &got, &ng) == -1 || ng != n)
			bail("list all", scan);
		qsort(got, ng, sizeof(*got), by_rowid);
		for (j = 10; j < 13; j++) {
			free(got[j].description);
			got[j].description =
			    strdup(j < 12 ? "已经改写" : "改写后仍是顺序检查");
			if (store_begin(w) == -1 ||
			    store_app_set_description(w, &got[j]) == -1 ||
			    store_commit(w) == -1)
				bail("correct", w);
		}
		store_apps_free(got, ng);
	}
	pages_of(idx, scan, lq, 150, "ids against rowids, a lagging index");
	lq.from = 21002;
	lq.to = 21005;
	pages_of(idx, scan, lq, 150, "the same from day 2 to day 5");
	lq.from = 21007;
	lq.to = DAY_NONE;
	pages_of(idx, scan, lq, 50, "the same from the last day");
	lq.limit = 7;
	lq.from = DAY_NONE;
	pages_of(idx, scan, lq, 21, "the same in pages of 7");
	/* The overdue are many here (common_term's): the ordered plan. */
	lq.limit = 50;
	lq.today = 21004;
	lq.overdue = 1;
	pages_as_scan(idx, scan, lq, "overdue, more overdue than matches");
	lq.overdue = 0;
	pages_as_scan(idx, scan, lq, "not overdue, the same");
}

/* All received on day 22000 but one. */
static void
fill_busy_day(unsigned i, struct app *a)
{
	snprintf(a->id, APP_ID_LEN, "2023-%06u", 999999 - i);
	a->name = "周八";
	a->description = "同日批量导入的申请";
	a->received_on = a->start = a->due_on = 22000 + (i == 7);
}

/*
 * More matches on one day than the ordered plan reads past a page
 * (ORDERED_EXTRA): it gives the page up to the plans that gather or walk,
 * and the pages, across the day and from a cursor inside it, are the
 * scan's.
 */
static void
one_busy_day(struct store *idx, struct store *scan)
{
	struct store_list_q lq = search_q("同日批量");

	insert_apps(1500, 1500, fill_busy_day);
	pages_of(idx, scan, lq, 150, "1500 rows on one day");
	lq.limit = 20;
	lq.after = "2023-998999"; /* 1000 rows into the day */
	{
		struct app *x, *y;
		size_t nx, ny, j, same = 0;

		if (store_app_list(idx, &lq, &x, &nx) == -1 ||
		    store_app_list(scan, &lq, &y, &ny) == -1)
			bail("list", idx);
		for (j = 0; j < nx && j < ny; j++)
			same += strcmp(x[j].id, y[j].id) == 0;
		ok(nx == 20 && ny == 20 && same == 20,
		   "from a cursor 1000 rows into that day: the scan's page"
		   " (%zu of %zu, %zu)",
		   same, ny, nx);
		store_apps_free(x, nx);
		store_apps_free(y, ny);
	}
}

/* Every state, two assignees and none, due dates and none. */
static void
fill_filtered(unsigned i, struct app *a)
{
	snprintf(a->id, APP_ID_LEN, "2022-%06u", 999999 - i);
	a->name = "吴九";
	a->description = "筛选测试的申请";
	a->state = (enum app_state)(i % ST__COUNT);
	a->assignee = i % 7 == 0 ? "甲" : i % 7 == 1 ? "乙" : NULL;
	a->received_on = a->start = 21100 + (day_t)((i * 13) % 30);
	a->due_on = i % 5 == 0 ? DAY_NONE : 21100 + (day_t)(i % 40);
}

/*
 * Text search with state, assignee and overdue filters. The filters are
 * checked row by row on the index's ordered matches; where they keep too
 * few (ORDERED_EXTRA), a state or an assignee index is walked with the
 * text checked, and for the overdue, apps_running_due (where there are
 * fewer of them than matches, at once). Every page is the scan's, with a
 * quarter of the rows past the index.
 */
static void
filtered_pages(struct store *idx, struct store *scan)
{
	struct store_list_q lq = search_q("筛选测试");
	char what[96];
	int st;

	insert_apps(3200, 2400, fill_filtered);
	lq.today = 21115;
	for (st = 0; st < ST__COUNT; st += 2) {
		lq.state = st;
		snprintf(what, sizeof(what), "state %d", st);
		pages_as_scan(idx, scan, lq, what);
		lq.assignee = "甲";
		snprintf(what, sizeof(what), "state %d, assignee (few)", st);
		pages_as_scan(idx, scan, lq, what);
		lq.assignee = NULL;
	}
	lq.state = -1;
	lq.assignee = "甲";
	pages_as_scan(idx, scan, lq, "assignee");
	lq.assignee = NULL;
	lq.overdue = 1;
	pages_as_scan(idx, scan, lq, "overdue");
	lq.overdue = 0;
	pages_as_scan(idx, scan, lq, "not overdue");
	lq.today = 21102; /* overdue: few */
	lq.overdue = 1;
	pages_as_scan(idx, scan, lq, "overdue (few)");
	lq.from = 21101;
	lq.to = 21120;
	pages_as_scan(idx, scan, lq, "overdue (few), dates");
	lq.overdue = -1;
	lq.state = ST_REVIEW;
	lq.limit = 9;
	pages_as_scan(idx, scan, lq, "review, dates, pages of 9");
	/*
	 * Fewer overdue (166 of common_term's, due before day 19002) than
	 * matches: straight to their text (late_walk_cheaper).
	 */
	lq = search_q("公开信息");
	lq.today = 19002;
	lq.overdue = 1;
	lq.limit = 60;
	pages_as_scan(idx, scan, lq, "fewer overdue than matches");
}

/* The term in 1,200 under review and in the last 3 of 6,003 replied. */
static void
fill_rare_replied(unsigned i, struct app *a)
{
	snprintf(a->id, APP_ID_LEN, "2021-%06u", i + 1);
	a->name = "郑十";
	a->description =
	    i < 1200 || i >= 7200 ? "少见于答复的事项" : "大量已答复的申请";
	a->state = i < 1200 ? ST_REVIEW : ST_REPLIED;
	a->received_on = a->start = a->due_on = 23000 + (day_t)(i % 50);
}

/*
 * A term in 1,200 applications under review and in 3 replied ones,
 * searched among the replied (6,000 more of them): the ordered plan gives
 * up, the walk of the replied gives up too (WALK_KSTEPS), and the term's
 * matches are gathered. The three, as the scan finds them.
 */
static void
walk_gives_up(struct store *idx, struct store *scan)
{
	struct store_list_q lq = search_q("少见于答复");

	insert_apps(7203, 7203, fill_rare_replied);
	lq.state = ST_REPLIED;
	pages_as_scan(idx, scan, lq, "3 replied of 1203, the walk too long");
	lq.state = ST_REVIEW;
	pages_as_scan(idx, scan, lq, "1200 under review of 1203");
}

/* 1,100 concluded, then 400 overdue in turn in the four running states. */
static void
fill_late_states(unsigned i, struct app *a)
{
	static const enum app_state running[] = { ST_RECEIVED, ST_REVIEW,
		                                  ST_SECRECY, ST_READY };

	snprintf(a->id, APP_ID_LEN, "2020-%06u", i + 1);
	a->name = "王十一";
	a->description = "逾期分状态的申请";
	a->state =
	    i < 1100 ? (i % 2 ? ST_REPLIED : ST_WITHDRAWN) : running[i % 4];
	a->received_on = a->start = 24000 + (day_t)(i / 50);
	a->due_on = 24050;
}

/*
 * 1,100 concluded on day 25000, 50 under review on days 25001-25005, and
 * 3 ready on day 25005 whose ids come before that day's under review.
 */
static void
fill_cut_day(unsigned i, struct app *a)
{
	snprintf(a->id, APP_ID_LEN, "2019-%06u",
	         i < 1100 ? i + 1 : 500000 + 2000 - i);
	a->name = "李十二";
	a->description = "截止日之前";
	a->state = i < 1100 ? ST_REPLIED : i < 1150 ? ST_REVIEW : ST_READY;
	a->received_on = a->start = i < 1100   ? 25000
	                            : i < 1150 ? 25001 + (day_t)(i - 1100) / 10
	                                       : 25005;
	a->due_on = 25000;
}

/*
 * The overdue with a term whose oldest 1,100 matches are concluded: the
 * ordered plan gives up, and the running states' indexes, walked in
 * received order from the first date asked, give the overdue pages
 * (list_late_by_state), all four states of them.
 */
static void
late_by_state(struct store *idx, struct store *scan)
{
	struct store_list_q lq = search_q("逾期分状态");

	insert_apps(1500, 1500, fill_late_states);
	lq.today = 24100;
	lq.overdue = 1;
	lq.from = 24000;
	pages_as_scan(idx, scan, lq, "overdue by state, from a date");
	lq.limit = 30;
	lq.to = 24027;
	pages_as_scan(idx, scan, lq, "the same to a date, pages of 30");

	/*
	 * A full page under review ends on day 25005, where three ready ones
	 * come first by id: the states after it stop at that day, not before.
	 */
	insert_apps(1153, 1153, fill_cut_day);
	lq = search_q("截止日之前");
	lq.today = 25100;
	lq.overdue = 1;
	lq.from = 25000;
	pages_as_scan(idx, scan, lq,
	              "a full page's last day, other states on it");
}

/*
 * Case beyond ASCII: the index folds what lower() folds and no more, so
 * it finds what the text check finds ("ärger" is not "Ärger" for either;
 * "ÄRGER" is, through its ASCII letters).
 */
static void
case_beyond_ascii(struct store *idx, struct store *scan)
{
	struct app *a = add("Ärger GmbH", "Beschwerde über die STRASSE");

	if (store_search_build(w) == -1)
		bail("build", w);
	expect(idx, scan, "ÄRGER", a->id, "non-ASCII case, ASCII folded");
	expect(idx, scan, "ärger", "", "non-ASCII case not folded");
	expect(idx, scan, "strasse", a->id, "ASCII case folded");
	expect(idx, scan, "ÜBER", "", "Ü is not ü");
}

/*
 * A row added by hand with a rowid past 32 bits is not indexed (its key
 * would fold onto rowid 1's) and is found by its text; rowid 1 is found
 * for its own text only.
 */
static void
rowid_past_32_bits(struct store *idx, struct store *scan, const char *path)
{
	if (sql_exec_at(path, "CREATE TEMP TABLE t AS SELECT * FROM apps"
	                      " WHERE id = '2026-000003';"
	                      "UPDATE t SET rowid = 4294967297,"
	                      " id = '2026-900001',"
	                      " description = '手工添加的大号记录';"
	                      "INSERT INTO apps SELECT * FROM t;") != SQLITE_OK)
		bail("past 32 bits", NULL);
	if (store_search_build(w) == -1)
		bail("build past 32 bits", w);
	expect(idx, scan, "手工添加", "2026-900001",
	       "a rowid past 32 bits, by its text");
	expect(idx, scan, "道路拆迁", "2026-000001 2026-000004",
	       "rowid 1 beside a rowid past 32 bits");
}

/* search_dirty's rows and its newest seq, read beside the store. */
static void
dirty_rows(const char *path, int *n, int *max)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	*n = *max = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT count(*), coalesce(max(seq), 0)"
	                       " FROM search_dirty",
	                       -1, &st, NULL) != SQLITE_OK)
		bail("sqlite3", NULL);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int(st, 0);
		*max = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * The indexer thread publishes the text changes it applied; pruning
 * search_dirty up to there keeps the newest row, so the next change
 * still numbers past the index's mark and is searched as not indexed.
 */
static void
pruning(struct store *idx, struct store *scan, const char *path, struct app *b)
{
	int i, n, max;

	correct(b, "第三次修改的说明");
	if (store_search_start(w) == -1)
		bail("start", w);
	for (i = 0; i < 1000 && store_search_applied(w) < 3; i++)
		usleep(10000);
	ok(store_search_applied(w) == 3,
	   "the indexer publishes the text changes it applied (%lld)",
	   (long long)store_search_applied(w));
	dirty_rows(path, &n, &max);
	ok(n == 3 && max == 3, "three text changes recorded (%d, %d)", n, max);
	if (store_search_prune(w, store_search_applied(w)) == -1)
		bail("prune", w);
	dirty_rows(path, &n, &max);
	ok(n == 1 && max == 3, "pruned to the newest (%d, %d)", n, max);
	if (store_search_prune(w, 3) == -1)
		bail("prune", w);
	dirty_rows(path, &n, &max);
	ok(n == 1 && max == 3, "the newest row is never pruned (%d, %d)", n,
	   max);
	correct(b, "第四次修改的说明");
	dirty_rows(path, &n, &max);
	ok(n == 2 && max == 4, "the next change numbers on (%d, %d)", n, max);
	expect(idx, scan, "第四次修", "2026-000002", "after pruning");
	expect(idx, scan, "第三次修", "", "after pruning");
	for (i = 0; i < 1000 && store_search_applied(w) < 4; i++)
		usleep(10000);
	ok(store_search_applied(w) == 4, "the indexer applied the next (%lld)",
	   (long long)store_search_applied(w));
	expect(idx, scan, "第四次修", "2026-000002", "after pruning, indexed");
	expect(idx, scan, "第三次修", "", "after pruning, indexed");
}

int
main(void)
{
	char dir[] = "/tmp/ogi-test-search.XXXXXX", path[128], spath[160];
	struct store *idx, *scan;
	struct app *b;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp", NULL);
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	snprintf(spath, sizeof(spath), "%s.search", path);
	if (store_create(path, &w) == -1)
		bail("create", w);
	add("张三", "关于道路拆迁的批复");
	b = add("李四", "环境影响评价报告");
	add("Acme Ltd", "Road Permit for the ring road");
	if (store_search_build(w) == -1)
		bail("build", w);
	ok(access(spath, F_OK) == 0,
	   "the index is a file next to the database");
	{
		sqlite3 *db = NULL;
		long long v = -1;

		if (sqlite3_open_v2(spath, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK)
			v = sql_one(db, "SELECT v FROM fts_config"
			                " WHERE k = 'automerge'");
		sqlite3_close(db);
		ok(v == 8, "FTS5 merges segments 8 at a time (%lld)", v);
	}

	if (store_open(path, true, true, &idx) == -1)
		bail("open reader", idx);
	if (store_search_attach(idx) == -1)
		bail("attach", idx);
	if (store_open(path, true, true, &scan) == -1)
		bail("open reader", scan);

	expect(idx, scan, "道路拆迁", "2026-000001", "indexed");
	expect(idx, scan, "影响评价", "2026-000002", "indexed");
	expect(idx, scan, "road permit", "2026-000003", "indexed, ASCII case");
	expect(idx, scan, "不存在的", "", "indexed");
	expect(idx, scan, "2026-000002", "2026-000002", "by id");

	/* Past the index: a new row, and a text changed after indexing. */
	add("王五", "道路拆迁补偿方案");
	correct(b, "拆迁后的安置情况");
	expect(idx, scan, "道路拆迁", "2026-000001 2026-000004",
	       "a new row not indexed yet");
	expect(idx, scan, "影响评价", "",
	       "the old text, changed since indexing");
	expect(idx, scan, "拆迁后的", "2026-000002",
	       "the new text, not indexed yet");

	/* The index catches up: the same answers. */
	if (store_search_build(w) == -1)
		bail("build", w);
	expect(idx, scan, "道路拆迁", "2026-000001 2026-000004", "caught up");
	expect(idx, scan, "影响评价", "", "caught up");
	expect(idx, scan, "拆迁后的", "2026-000002", "caught up");

	/* Changed twice, the second time back: only the last text counts. */
	correct(b, "环境影响评价报告");
	expect(idx, scan, "影响评价", "2026-000002", "changed back");
	expect(idx, scan, "拆迁后的", "", "changed back");
	if (store_search_build(w) == -1)
		bail("build", w);
	expect(idx, scan, "影响评价", "2026-000002", "changed back, caught up");
	expect(idx, scan, "拆迁后的", "", "changed back, caught up");

	common_term(idx, scan);
	pruning(idx, scan, path, b);
	ordered_pages(idx, scan);
	one_busy_day(idx, scan);
	filtered_pages(idx, scan);
	walk_gives_up(idx, scan);
	late_by_state(idx, scan);
	case_beyond_ascii(idx, scan);
	rowid_past_32_bits(idx, scan, path);

	store_close(idx);
	store_close(scan);
	store_close(w);
	db_files_remove(path);
	rmdir(dir);
	return tap_done();
}
