/*
 * lib/store_refs.c: the client_ref index in two parts, the refs of recent
 * applications in memory and the rest in client_refs. A retry finds its
 * first application wherever the ref is, and nothing changes; a clash of
 * the number still fails; a rollback takes back the refs of
 * its transaction; a cycle's refs move into client_refs with COMMITs, a
 * chunk each (here first 1024 at once), or at open; a merge that fails
 * leaves them where they were; a cycle in chunks keeps its refs hot until
 * its last chunk, and a rollback takes back its chunk; and migration 10
 * moves the refs of a database of the old schema (and 11 folds
 * apps_report_open into apps_state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/app.h"
#include "../../lib/store.h"
#include "../../lib/store_int.h"
#include "sqldb.h"
#include "tap.h"

static char path[128];
static int next_n = 1;

static void
bail(const char *what, struct store *s)
{
	printf("Bail out! %s: %s\n", what, s ? store_error(s) : "");
	exit(1);
}

/* store_app_insert_once of user's ref (NULL: none); its number in *id. */
static int
submit(struct store *s, int64_t user, const char *ref, char *id,
       struct app *first)
{
	struct app a;
	int rc;

	app_init(&a);
	snprintf(a.id, APP_ID_LEN, "2026-%06d", next_n);
	a.name = "测试";
	a.description = "依申请公开";
	a.client_ref = (char *)ref;
	a.created_by = user;
	a.received_on = a.start = a.due_on = 20400;
	a.version = 1;
	app_init(first);
	rc = store_app_insert_once(s, &a, first);
	if (rc == 0) {
		next_n++;
		if (id != NULL)
			snprintf(id, APP_ID_LEN, "%s", a.id);
	}
	return rc;
}

/* Whether a retry of user's ref finds application id. */
static int
finds(struct store *s, int64_t user, const char *ref, const char *id)
{
	struct app first;
	int rc = submit(s, user, ref, NULL, &first);
	int ok = rc == STORE_EXISTS && strcmp(first.id, id) == 0;

	if (!ok)
		printf("# %s: rc %d, first %s, want %s\n", ref, rc, first.id,
		       id);
	app_clear(&first);
	return ok;
}

/* n applications of user's, refs "<prefix>-<i>", in one transaction. */
static void
submit_many(struct store *s, int64_t user, const char *prefix, int n)
{
	struct app first;
	char ref[64];
	int i;

	if (store_begin(s) == -1)
		bail("begin", s);
	for (i = 0; i < n; i++) {
		snprintf(ref, sizeof(ref), "%s-%d", prefix, i);
		if (submit(s, user, ref, NULL, &first) != 0)
			bail("submit", s);
		app_clear(&first);
	}
	if (store_commit(s) == -1)
		bail("commit", s);
}

static long long
count(const char *sql)
{
	return sql_one_at(path, sql);
}

static void
run_sql(const char *sql)
{
	if (sql_exec_at(path, sql) != SQLITE_OK)
		bail("sql", NULL);
}

static struct store *
reopen(struct store *s)
{
	store_close(s);
	if (store_open(path, false, true, &s) == -1)
		bail("open", s);
	return s;
}

static long long
refs_upto(void)
{
	return count("SELECT CAST(value AS INTEGER) FROM meta"
	             " WHERE key = 'refs_upto'");
}

/* Whether user's refs "<prefix>-<i>", i in [from, to), find the numbers
 * first, first + 1, ... */
static int
finds_all(struct store *s, int64_t user, const char *prefix, int from, int to,
          int first)
{
	char ref[64], id[APP_ID_LEN];
	int i;

	for (i = from; i < to; i++) {
		snprintf(ref, sizeof(ref), "%s-%d", prefix, i);
		snprintf(id, APP_ID_LEN, "2026-%06d", first + i);
		if (!finds(s, user, ref, id))
			return 0;
	}
	return 1;
}

/*
 * A hot ref whose application was deleted by hand (not the last row) and
 * is submitted again: the new application stands for every retry, and
 * after the merge.
 */
static void
test_deleted_hot(struct store *s)
{
	char gone[APP_ID_LEN], id[APP_ID_LEN], sql[128];
	struct app first;

	if (store_begin(s) == -1)
		bail("begin", s);
	if (submit(s, 14, "del", gone, &first) != 0 ||
	    submit(s, 14, "after", NULL, &first) != 0)
		bail("submit", s);
	app_clear(&first);
	if (store_commit(s) == -1)
		bail("commit", s);
	snprintf(sql, sizeof(sql), "DELETE FROM apps WHERE id = '%s'", gone);
	run_sql(sql);
	ok(submit(s, 14, "del", id, &first) == 0,
	   "a hot ref whose application was deleted by hand is new (%s)", id);
	app_clear(&first);
	ok(finds(s, 14, "del", id) && finds(s, 14, "del", id),
	   "and every retry finds the new one, not a third");
	submit_many(s, 14, "w", 1030);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 14"
	         " AND client_ref = 'del'") == 1 &&
	       count("SELECT app_rowid FROM client_refs WHERE created_by = 14"
	             " AND client_ref = 'del'") ==
	           count("SELECT rowid FROM apps WHERE created_by = 14"
	                 " AND client_ref = 'del'"),
	   "the merge keeps the new one");
	ok(finds(s, 14, "del", id), "found from client_refs too");
}

/*
 * A cycle's worth of hot refs at open, and the log's writes fail (a full
 * disk): the merge at open is given up and the store opens; the refs are
 * found in memory, and the first commit once the disk has room merges
 * them.
 */
static void
test_open_full(const char *dir)
{
	struct store *s;

	snprintf(path, sizeof(path), "%s/full.db", dir);
	store_refs_tune(1 << 20, 1 << 30);
	if (store_create(path, &s) == -1)
		bail("create", s);
	next_n = 1;
	submit_many(s, 5, "k", 40);
	store_close(s);
	store_refs_tune(16, 1 << 30);
	sql_pwrite_hook((sqlite3_syscall_ptr)sql_pwrite_log_full);
	s = NULL;
	ok(store_open(path, false, true, &s) == 0,
	   "40 hot refs at open, a cycle of 16, the disk full: it opens (%s)",
	   s != NULL ? store_error(s) : "");
	sql_pwrite_hook(NULL);
	if (s == NULL)
		bail("open", s);
	ok(count("SELECT count(*) FROM client_refs") == 0,
	   "nothing merged at open");
	ok(finds_all(s, 5, "k", 0, 40, 1), "the refs are found in memory");
	submit_many(s, 5, "l", 1);
	ok(count("SELECT count(*) FROM client_refs") == 41,
	   "the next commit merges them (%lld)",
	   count("SELECT count(*) FROM client_refs"));
	ok(finds_all(s, 5, "k", 0, 40, 1), "and they are found there");
	store_close(s);
	db_files_remove(path);
}

/* A cycle of 1024 refs in chunks of 300, one a commit. */
static void
test_chunks(struct store **sp)
{
	struct store *s;
	long long upto, last;
	int c0, d0;

	store_refs_tune(1024, 300);
	s = *sp = reopen(*sp);
	upto = refs_upto();
	c0 = next_n;
	submit_many(s, 12, "c", 1024);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 12") ==
	           300 &&
	       refs_upto() == upto,
	   "the commit that begins a cycle moves its first chunk only (%lld)",
	   count("SELECT count(*) FROM client_refs WHERE created_by = 12"));
	ok(count("SELECT (SELECT max(client_ref) FROM client_refs"
	         " WHERE created_by = 12) = (SELECT client_ref FROM apps"
	         " WHERE created_by = 12 ORDER BY client_ref"
	         " LIMIT 1 OFFSET 299)") == 1,
	   "the first 300 in key order");
	last = count("SELECT max(rowid) FROM apps");
	ok(finds_all(s, 12, "c", 0, 1024, c0), "every ref of the cycle found");

	/* A rollback takes back its chunk, and its refs. */
	if (store_begin(s) == -1)
		bail("begin", s);
	d0 = next_n;
	ok(submit(s, 12, "d-0", NULL, &(struct app){ 0 }) == 0, "a new ref");
	next_n = d0;
	store_rollback(s);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 12") ==
	       300,
	   "a rollback takes back its chunk");

	d0 = next_n;
	submit_many(s, 12, "d", 5);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 12") ==
	       600,
	   "the next commit moves the next chunk");
	submit_many(s, 12, "d", 0);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 12") ==
	           900 &&
	       refs_upto() == upto,
	   "and the next; refs_upto waits for the last");
	submit_many(s, 12, "e", 1);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 12") ==
	           1024 &&
	       refs_upto() == last,
	   "the last chunk, and refs_upto the cycle's last application "
	   "(%lld)",
	   refs_upto());
	ok(finds_all(s, 12, "c", 0, 1024, c0) &&
	       finds_all(s, 12, "d", 0, 5, d0),
	   "found from client_refs, and the refs added during the cycle hot");
	ok(count("SELECT count(*) FROM client_refs WHERE client_ref"
	         " GLOB '[de]-*'") == 0,
	   "which are not in client_refs");
	s = *sp = reopen(s);
	ok(finds_all(s, 12, "d", 0, 5, d0) &&
	       finds_all(s, 12, "c", 0, 1024, c0),
	   "after a reopen too");
}

int
main(void)
{
	char dir[] = "/tmp/ogi-test-refs.XXXXXX", first_id[APP_ID_LEN];
	char rb_id[APP_ID_LEN], id[APP_ID_LEN];
	struct store *s;
	struct app first, a;
	int64_t changes;
	int n;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp", NULL);
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	store_refs_tune(1024, 1 << 30); /* a cycle in one commit */
	if (store_create(path, &s) == -1)
		bail("create", s);

	/* Hot: in memory, in the transaction and after it. */
	if (store_begin(s) == -1)
		bail("begin", s);
	ok(submit(s, 7, "a-1", first_id, &first) == 0, "a new ref: inserted");
	app_clear(&first);
	changes = store_changes(s);
	ok(finds(s, 7, "a-1", first_id) && store_changes(s) == changes,
	   "a retry in the same transaction finds it, and changes nothing");
	app_init(&a);
	ok(store_app_get(s, "2026-000002", &a) == STORE_NOTFOUND,
	   "no second application");
	app_clear(&a);
	ok(submit(s, 8, "a-1", id, &first) == 0,
	   "another user's same ref is a new application");
	app_clear(&first);
	ok(store_commit(s) == 0, "commit");
	ok(finds(s, 7, "a-1", first_id), "a retry after the commit finds it");
	n = next_n;
	next_n = 1;
	ok(submit(s, 7, "clash", NULL, &first) == -1 &&
	       strstr(store_error(s), "UNIQUE") != NULL,
	   "a clash of the number with a new ref fails (%s)", store_error(s));
	app_clear(&first);
	next_n = n;
	app_init(&a);
	a.client_ref = "a-1";
	a.created_by = 7;
	snprintf(a.id, APP_ID_LEN, "2026-%06d", 900001);
	a.name = a.description = "x";
	ok(store_app_insert(s, &a) == -1 && strstr(store_error(s), "taken"),
	   "store_app_insert refuses a taken ref (%s)", store_error(s));
	ok(count("SELECT count(*) FROM client_refs") == 0,
	   "nothing in client_refs yet");

	/* A rollback takes its refs back; the rowid is used again. */
	if (store_begin(s) == -1)
		bail("begin", s);
	ok(submit(s, 7, "rb-1", NULL, &first) == 0, "a ref in a transaction");
	app_clear(&first);
	store_rollback(s);
	if (store_begin(s) == -1)
		bail("begin", s);
	ok(submit(s, 7, "other", NULL, &first) == 0,
	   "after its rollback, another application takes the rowid");
	app_clear(&first);
	ok(submit(s, 7, "rb-1", rb_id, &first) == 0,
	   "and the rolled-back ref is new again, not that application");
	app_clear(&first);
	ok(store_commit(s) == 0, "commit");
	ok(finds(s, 7, "rb-1", rb_id), "found as the new one (%s)", rb_id);

	/* The merge: 1024 refs with a COMMIT. */
	submit_many(s, 9, "m", 1100);
	ok(count("SELECT count(*) FROM client_refs") == 1100 + 4,
	   "a commit with 1024 refs or more moves them all to client_refs");
	ok(count("SELECT CAST(value AS INTEGER) FROM meta"
	         " WHERE key = 'refs_upto'") ==
	       count("SELECT max(rowid) FROM apps"),
	   "refs_upto is the last application");
	ok(finds(s, 7, "a-1", first_id) && finds(s, 9, "m-0", "2026-000006") &&
	       finds(s, 9, "m-1099", "2026-001105"),
	   "retries find them in client_refs");
	submit_many(s, 9, "h", 10);
	ok(finds(s, 9, "h-3", "2026-001109"), "and new ones hot again");

	/* Open: the hot ones read back from apps. */
	s = reopen(s);
	ok(finds(s, 9, "h-3", "2026-001109") &&
	       finds(s, 9, "m-7", "2026-000013"),
	   "after a reopen, hot and merged refs are found");
	ok(count("SELECT count(*) FROM client_refs") == 1104,
	   "10 hot refs are not merged at open");

	/* Many hot refs at open (ogid stopped before its merge): merged. */
	run_sql("DELETE FROM client_refs WHERE created_by = 9;"
	        "UPDATE meta SET value = '4' WHERE key = 'refs_upto'");
	s = reopen(s);
	ok(count("SELECT count(*) FROM client_refs") == 1114,
	   "1110 hot refs at open are merged at once (%lld)",
	   count("SELECT count(*) FROM client_refs"));
	ok(finds(s, 9, "m-500", "2026-000506"), "and found");

	/* A merge that fails: logged, the refs stay hot, the commit stands. */
	submit_many(s, 10, "f", 1000);
	run_sql("CREATE TRIGGER no_refs BEFORE INSERT ON client_refs"
	        " BEGIN SELECT RAISE(ABORT, 'refused'); END");
	submit_many(s, 10, "f2", 30);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 10") == 0,
	   "a batch whose merge fails commits without it");
	ok(finds(s, 10, "f-5", "2026-001121") &&
	       finds(s, 10, "f-999", "2026-002115") &&
	       finds(s, 10, "f2-29", "2026-002145"),
	   "its refs are still found, in memory");
	run_sql("DROP TRIGGER no_refs");
	submit_many(s, 10, "g", 1100);
	ok(count("SELECT count(*) FROM client_refs WHERE created_by = 10") ==
	       2130,
	   "they are merged later, once it can (%lld)",
	   count("SELECT count(*) FROM client_refs WHERE created_by = 10"));

	/* A row left by an application deleted by hand, its rowid now
	 * another user's application: stale, not that application. */
	run_sql("INSERT INTO client_refs SELECT 11, 'gone', rowid FROM apps"
	        " WHERE id = '2026-001121'");
	ok(submit(s, 11, "gone", id, &first) == 0,
	   "a ref whose client_refs row names another user's application is"
	   " new (%s)",
	   id);
	app_clear(&first);
	ok(finds(s, 11, "gone", id), "and found as that new one");
	submit_many(s, 11, "t", 1030);
	ok(count("SELECT app_rowid FROM client_refs WHERE created_by = 11"
	         " AND client_ref = 'gone'") ==
	       count("SELECT rowid FROM apps WHERE client_ref = 'gone'"),
	   "the merge replaces the stale row");
	ok(finds(s, 11, "gone", id), "found from client_refs too");
	ok(submit(s, 11, NULL, NULL, &first) == 0 &&
	       submit(s, 11, NULL, NULL, &first) == 0,
	   "no ref: never taken");
	app_clear(&first);
	test_deleted_hot(s);
	test_chunks(&s);
	store_close(s);

	/* Migration 10 from the old schema: a unique index on apps. */
	run_sql("DROP TABLE client_refs;"
	        "DELETE FROM meta WHERE key = 'refs_upto';"
	        "CREATE UNIQUE INDEX apps_client_ref ON apps(created_by,"
	        " client_ref) WHERE client_ref IS NOT NULL;"
	        "CREATE INDEX apps_report_open ON apps(received_on, col)"
	        " WHERE concluded_on IS NULL;"
	        "DROP INDEX apps_state;"
	        "CREATE INDEX apps_state ON apps(state, received_on, id);"
	        "PRAGMA user_version = 9");
	if (store_open(path, false, true, &s) == -1)
		bail("open", s);
	ok(count("SELECT count(*) FROM client_refs") ==
	       count("SELECT count(*) FROM apps WHERE client_ref IS NOT NULL"),
	   "migration 10 moves every ref into client_refs (%lld)",
	   count("SELECT count(*) FROM client_refs"));
	ok(count("SELECT count(*) FROM sqlite_master"
	         " WHERE name = 'apps_client_ref'") == 0,
	   "and drops the index");
	ok(count("SELECT count(*) FROM sqlite_master"
	         " WHERE name = 'apps_report_open'") == 0 &&
	       count("SELECT count(*) FROM pragma_index_info('apps_state')") ==
	           4,
	   "migration 11: apps_report_open gone, apps_state with col");
	ok(finds(s, 7, "a-1", first_id) && finds(s, 9, "h-3", "2026-001109"),
	   "retries find their first application");
	store_close(s);
	db_files_remove(path);
	test_open_full(dir);
	rmdir(dir);
	return tap_done();
}
