/*
 * store_backup (ogid backup): a consistent copy of a database that another
 * connection writes to all the while. A copy made 256 pages at a time
 * started again from the first page whenever a write came between two
 * steps, and never ended under steady writes; SIGALRM ends this test if it
 * hangs so.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/store.h"
#include "sqldb.h"
#include "tap.h"

static char dir[] = "/tmp/ogi-backup-XXXXXX";
static char path[256], out[256];
static atomic_bool stop;
static atomic_long committed; /* rows of the writer, committed */

/* Another connection: one row per transaction, until stop. */
static void *
writer(void *arg)
{
	sqlite3 *db;
	long n = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sql_exec(db, "PRAGMA synchronous = OFF;"
	                 " PRAGMA busy_timeout = 5000") != SQLITE_OK)
		return NULL;
	while (!atomic_load(&stop)) {
		if (sql_exec(db, "INSERT INTO w VALUES (randomblob(200))") !=
		    SQLITE_OK)
			break;
		atomic_store(&committed, ++n);
	}
	sqlite3_close(db);
	return NULL;
}

int
main(void)
{
	struct store *s = NULL;
	pthread_t t;
	long before, after, copied;
	struct timespec ts = { 0, 100 * 1000000L };
	int i;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	snprintf(out, sizeof(out), "%s/copy.db", dir);
	if (store_create(path, &s) == -1) {
		printf("Bail out! create: %s\n", store_error(s));
		return 1;
	}
	/* Some 24 MB: about 23 steps of 256 pages. */
	ok(sql_exec_at(path,
	               "CREATE TABLE filler(b BLOB); CREATE TABLE w(b BLOB);"
	               " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT"
	               " i + 1 FROM n WHERE i < 6000) INSERT INTO filler"
	               " SELECT randomblob(4000) FROM n") == SQLITE_OK,
	   "a database of 24 MB");

	pthread_create(&t, NULL, writer, NULL);
	for (i = 0; i < 100 && atomic_load(&committed) < 100; i++)
		nanosleep(&ts, NULL);
	if (atomic_load(&committed) < 100) {
		printf("Bail out! the writer did not start\n");
		return 1;
	}
	before = atomic_load(&committed);
	alarm(30);
	ok(store_backup(s, out) == 0, "backup while another connection"
	                              " commits all the time");
	alarm(0);
	after = atomic_load(&committed);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	ok(after > before, "the writer went on during the backup (%ld to %ld)",
	   before, after);

	copied = (long)sql_one_at(out, "SELECT count(*) FROM w");
	ok(copied >= before && copied <= after,
	   "the copy holds a moment's rows: %ld of %ld..%ld", copied, before,
	   after);
	ok(sql_one_at(out, "SELECT count(*) FROM filler") == 6000,
	   "and the whole table that was not written");
	ok(sql_one_at(out, "SELECT count(*) FROM pragma_integrity_check"
	                   " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check of the copy: ok");

	store_close(s);
	db_files_remove(path);
	db_files_remove(out);
	rmdir(dir);
	return tap_done();
}
