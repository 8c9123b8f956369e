/*
 * lib/store.c: when SQLite rolls a whole batch back in the middle (a page
 * spilled to a log that cannot grow: here RLIMIT_FSIZE), the rest of the
 * batch and its COMMIT fail; no later write commits on its own while the
 * writes before it were lost. And the numbers a transaction takes are
 * written by its COMMIT. (store_app_insert_once: test_store_refs.)
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/app.h"
#include "../../lib/store.h"
#include "sqldb.h"
#include "tap.h"

static void
bail(const char *what, struct store *s)
{
	printf("Bail out! %s: %s\n", what, s ? store_error(s) : "");
	exit(1);
}

/* Application n, with a description long enough to fill pages fast. */
static int
insert(struct store *s, int n)
{
	static char text[2048];
	struct app a;
	int rc;

	memset(text, 'x', sizeof(text) - 1);
	snprintf(text, 32, "申请 %d ", n);
	text[strlen(text)] = 'x';
	app_init(&a);
	snprintf(a.id, APP_ID_LEN, "2026-%06u", (unsigned)n % 1000000u);
	a.name = "测试";
	a.description = text;
	a.received_on = a.start = a.due_on = 20000 + n % 300;
	a.version = 1;
	if (store_savepoint(s) == -1)
		return -1;
	if ((rc = store_app_insert(s, &a)) == -1) {
		store_rollback_to(s);
		return -1;
	}
	return store_release(s);
}

/* The year's counter read by another connection: committed state only. */
static long long
counter(const char *path, int year)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT seq FROM counters WHERE year = %d",
	         year);
	return sql_one_at(path, sql);
}

/* Numbers taken in a transaction: written by its COMMIT, given back by a
 * rollback. */
static void
seq_checks(struct store *s, const char *path)
{
	int a = 0, b = 0, c = 0;

	if (store_begin(s) == -1)
		bail("begin", s);
	ok(store_app_next_seq(s, 2030, &a) == 0 && a == 1 &&
	       store_app_take_seq(s, 2030, a) == 0 &&
	       store_app_next_seq(s, 2030, &b) == 0 && b == 2 &&
	       store_app_take_seq(s, 2030, b) == 0,
	   "numbers 1 and 2 of a new year, in one transaction (%d, %d)", a, b);
	ok(counter(path, 2030) == -1, "not written before the COMMIT");
	store_rollback(s);
	if (store_begin(s) == -1)
		bail("begin", s);
	ok(store_app_next_seq(s, 2030, &a) == 0 && a == 1,
	   "a rollback gives them back (%d)", a);
	store_app_take_seq(s, 2030, 1);
	store_app_take_seq(s, 2030, 2);
	store_app_next_seq(s, 2031, &c);
	store_app_take_seq(s, 2031, c);
	ok(store_commit(s) == 0 && counter(path, 2030) == 2 &&
	       counter(path, 2031) == 1,
	   "the COMMIT writes each year's last number");
	if (store_begin(s) == -1)
		bail("begin", s);
	ok(store_app_next_seq(s, 2030, &a) == 0 && a == 3,
	   "and the next transaction goes on from it (%d)", a);
	store_rollback(s);
}

int
main(void)
{
	char dir[] = "/tmp/ogi-test-txn.XXXXXX", path[128], wal[140];
	struct store *s;
	struct rlimit rl;
	struct stat sb;
	int i, failed_at = -1, n;
	char later[32];

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp", NULL);
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (store_create(path, &s) == -1)
		bail("create", s);
	if (store_begin(s) == -1 || insert(s, 1) == -1 || store_commit(s) == -1)
		bail("first commit", s);

	/* Files may grow by 4 MiB at most from here: a batch of 20,000
	 * applications (40 MB) spills past the 16 MiB page cache into the
	 * log, and a spill finds the log full. */
	signal(SIGXFSZ, SIG_IGN);
	stat(wal, &sb);
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = (rlim_t)sb.st_size + (4 << 20);
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		bail("setrlimit", NULL);
	if (store_begin(s) == -1)
		bail("begin", s);
	for (i = 2; i < 20000; i++)
		if (insert(s, i) == -1) {
			failed_at = i;
			break;
		}
	ok(failed_at > 2, "a write in the middle of the batch fails (%d: %s)",
	   failed_at, store_error(s));
	/* Room again, as when space is freed: the batch stays failed. */
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_FSIZE, &rl);
	snprintf(later, sizeof(later), "2026-%06d", failed_at + 1);
	n = 0;
	for (i = failed_at + 1; i < failed_at + 5; i++)
		if (insert(s, i) == -1)
			n++;
	ok(n == 4, "every later write of the batch fails too (%s)",
	   store_error(s));
	ok(strstr(store_error(s), "rolled the batch's transaction back") !=
	       NULL,
	   "saying why");
	ok(store_error_transient(s), "a transient error: the client retries");
	ok(store_commit(s) == -1, "the batch's COMMIT fails");
	{
		struct app a;

		app_init(&a);
		ok(store_app_get(s, "2026-000001", &a) == 0,
		   "the application committed before is there");
		app_clear(&a);
		app_init(&a);
		ok(store_app_get(s, "2026-000002", &a) == 1,
		   "the first of the failed batch is not");
		app_clear(&a);
		app_init(&a);
		ok(store_app_get(s, later, &a) == 1,
		   "nor a write after the failure (%s)", later);
		app_clear(&a);
	}
	ok(store_begin(s) == 0 && insert(s, 30000) == 0 && store_commit(s) == 0,
	   "with room again, the next batch commits");
	seq_checks(s, path);
	store_close(s);
	db_files_remove(path);
	rmdir(dir);
	return tap_done();
}
