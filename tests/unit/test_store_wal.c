/*
 * lib/store_wal.c: a commit's log frames are written in a few calls, what
 * is committed is there for other connections and after a crash, and
 * commits past the unix VFS's 128 KiB write limit and past the gathering
 * limit come out whole.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/store_int.h"
#include "sqldb.h"
#include "tap.h"

static char dir[] = "/tmp/ogi-walvfs-XXXXXX";
static char path[256];

/* pwrite calls of the unix VFS (xSetSystemCall), counted. */
static int writes;
static bool log_full; /* writes to a log fail with ENOSPC */

/* The unix VFS's pwrite and pwrite64 (the same on 64-bit Linux), counted. */
static ssize_t
count_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	writes++;
	if (log_full && sql_fd_is_log(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

static void
pwrite_hook(bool on)
{
	sql_pwrite_hook(on ? (sqlite3_syscall_ptr)count_pwrite : NULL);
}

static sqlite3 *
open_db(const char *vfs, const char *cache)
{
	sqlite3 *db = NULL;
	char sql[128];

	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    vfs) != SQLITE_OK) {
		printf("Bail out! open %s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	snprintf(sql, sizeof(sql),
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	         " PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = %s",
	         cache);
	if (sql_exec(db, sql) != SQLITE_OK)
		exit(1);
	return db;
}

static void
test_gathered(void)
{
	sqlite3 *w, *r;
	int frames_writes;

	w = open_db(STORE_WAL_VFS, "-16384");
	r = open_db(NULL, "-16384");
	ok(sql_exec(w, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)") ==
	       SQLITE_OK,
	   "create");

	pwrite_hook(true);
	writes = 0;
	/* ~150 pages: some 300 frame writes without gathering. */
	ok(sql_insert_rows(w, 0, 300) == SQLITE_OK, "a commit of 600 KB");
	frames_writes = writes;
	pwrite_hook(false);
	ok(frames_writes > 0 && frames_writes <= 8,
	   "written in %d calls (128 KiB pieces)", frames_writes);
	ok(sql_one(r, "SELECT count(*) FROM t") == 300,
	   "another connection sees the commit");

	ok(sql_insert_rows(w, 300, 301) == SQLITE_OK, "a commit of one row");
	ok(sql_one(r, "SELECT count(*) FROM t") == 301, "and sees that one");

	/* Past the 8 MiB gathered at most, in a small cache: the pager
	 * spills frames before the commit and writes some of them again. */
	sqlite3_close(w);
	w = open_db(STORE_WAL_VFS, "50");
	ok(sql_exec(w, "BEGIN") == SQLITE_OK, "begin");
	ok(sql_insert_rows(w, 1000, 6000) == SQLITE_OK,
	   "10 MB in one transaction");
	ok(sql_exec(w, "UPDATE t SET v = upper(v) || 'x' WHERE k % 7 = 0") ==
	       SQLITE_OK,
	   "pages spilled are written again");
	ok(sql_exec(w, "COMMIT") == SQLITE_OK, "commit");
	ok(sql_one(r, "SELECT count(*) FROM t") == 5301,
	   "the reader sees 5301");
	ok(sql_one(r, "SELECT count(*) FROM t WHERE v LIKE '%x'") == 758,
	   "with the updates");
	ok(sql_one(
	       r,
	       "SELECT count(*) FROM t WHERE length(v) NOT IN (2000, 2001)") ==
	       0,
	   "every row whole");
	ok(sql_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK,
	   "checkpoint through the gathered log");
	ok(sql_one(r, "SELECT count(*) FROM pragma_integrity_check"
	              " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	sqlite3_close(w);
	sqlite3_close(r);
}

/*
 * Frames spilled in a batch, then a full disk when a read writes them out:
 * the statement fails and is rolled back to its savepoint, the batch goes
 * on and commits once there is room. The spilled frames must be in the
 * file (they were kept, and written by the commit's sync).
 */
static void
test_full_disk(void)
{
	sqlite3 *w, *r;
	int rc;

	db_files_remove(path);
	w = open_db(STORE_WAL_VFS, "20");
	sql_exec(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);"
	            "CREATE TABLE u(id INTEGER PRIMARY KEY, x UNIQUE);"
	            "INSERT INTO t VALUES (0, zeroblob(10))");
	sql_exec(w, "BEGIN; SAVEPOINT w");
	ok(sql_exec(w, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	               " FROM c WHERE i < 300) INSERT INTO t SELECT i,"
	               " randomblob(3000) FROM c") == SQLITE_OK,
	   "a batch spills frames");
	sql_exec(w, "RELEASE w; SAVEPOINT w");
	pwrite_hook(true);
	log_full = true;
	rc = sqlite3_exec(w, "INSERT INTO u SELECT id, length(b) FROM t", NULL,
	                  NULL, NULL);
	log_full = false;
	pwrite_hook(false);
	ok(rc != SQLITE_OK, "a write with the disk full fails (%d)", rc);
	if (sqlite3_get_autocommit(w) == 0) {
		sql_exec(w, "ROLLBACK TO w; RELEASE w");
		ok(sql_exec(w, "COMMIT") == SQLITE_OK,
		   "the rest of the batch commits");
	} else
		ok(1, "SQLite rolled the whole batch back");
	r = open_db(NULL, "-16384");
	rc = (int)sql_one(r, "SELECT count(*) FROM t");
	ok(rc == 301 || (sqlite3_get_autocommit(w) && rc == 1),
	   "a reader sees the batch whole (%d rows)", rc);
	ok(sql_one(r, "SELECT count(*) FROM pragma_integrity_check"
	              " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	sqlite3_close(r);
	sqlite3_close(w);
	r = open_db(NULL, "-16384");
	ok(sql_one(r, "SELECT count(*) FROM t") == rc,
	   "and after the log is read again");
	sqlite3_close(r);
}

/*
 * A rollback after a spill, then another writer: what the rolled back
 * transaction gathered is dropped (lib/store.c calls store_wal_discard), not
 * written over the other writer's frames later.
 */
static void
test_rollback_then_other_writer(void)
{
	sqlite3 *a, *b, *c;

	db_files_remove(path);
	a = open_db(STORE_WAL_VFS, "20");
	sql_exec(a, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);"
	            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	            " FROM c WHERE i < 50) INSERT INTO t SELECT i,"
	            " randomblob(3000) FROM c;"
	            "PRAGMA wal_checkpoint(TRUNCATE)");
	sql_exec(a,
	         "BEGIN; WITH RECURSIVE c(i) AS (SELECT 1000 UNION ALL SELECT"
	         " i + 1 FROM c WHERE i < 1300) INSERT INTO t SELECT i,"
	         " randomblob(3000) FROM c; ROLLBACK");
	store_wal_discard(a);
	b = open_db(NULL, "-16384");
	ok(sql_exec(b, "UPDATE t SET b = zeroblob(2000) WHERE id <= 50") ==
	       SQLITE_OK,
	   "another writer commits");
	sqlite3_close(b);
	ok(sql_one(a, "SELECT sum(length(b)) FROM t") == 100000,
	   "the first reads its commit");
	c = open_db(NULL, "-16384");
	ok(sql_one(c, "SELECT sum(length(b)) FROM t") == 100000,
	   "a third reads it too");
	ok(sql_one(c, "SELECT count(*) FROM pragma_integrity_check"
	              " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	sqlite3_close(c);
	sqlite3_close(a);
}

/* psow=0: commits are padded to a sector, the padding's tail written after
 * the sync; the log is written as it comes and readers see every commit. */
static void
test_no_powersafe_overwrite(void)
{
	sqlite3 *w = NULL, *r;
	char uri[300], sql[128];
	int i, bad = 0;

	db_files_remove(path);
	snprintf(uri, sizeof(uri), "file:%s?psow=0", path);
	if (sqlite3_open_v2(uri, &w,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_URI,
	                    STORE_WAL_VFS) != SQLITE_OK) {
		printf("Bail out! open %s\n", uri);
		exit(1);
	}
	sql_exec(w, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	            "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, b BLOB);"
	            "INSERT INTO t VALUES (1, 0, randomblob(3500))");
	r = open_db(NULL, "-16384");
	for (i = 1; i <= 100; i++) {
		snprintf(
		    sql, sizeof(sql),
		    "UPDATE t SET v = %d, b = randomblob(3500) WHERE id = 1",
		    i);
		if (sql_exec(w, sql) != SQLITE_OK ||
		    sql_one(r, "SELECT v FROM t WHERE id = 1") != i)
			bad++;
	}
	ok(bad == 0, "a reader sees each of 100 padded commits (%d missed)",
	   bad);
	sqlite3_close(r);
	sqlite3_close(w);
}

/* The log's pwrite calls counted; the one numbered fail_nth fails. */
static int log_writes, fail_nth;

static ssize_t
nth_log_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (sql_fd_is_log(fd) && ++log_writes == fail_nth) {
		errno = ENOSPC;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

/*
 * psow=0, and one write to the log fails (the first, second, ...: among
 * them the one that writes what was gathered when SQLite asks the sector
 * size). The commit fails, or every byte it publishes is in the file: a
 * reader never sees the log's older bytes in its place.
 */
static void
test_no_powersafe_overwrite_failed_write(void)
{
	char uri[300];
	int nth, bad = 0, failed = 0;

	for (nth = 1; nth <= 4; nth++) {
		sqlite3 *a, *w = NULL, *r;
		int rc;

		db_files_remove(path);
		a = open_db(NULL, "-16384");
		/* An older generation of the log, full of other bytes. */
		sql_exec(a, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB);"
		            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT"
		            " i + 1 FROM n WHERE i < 400) INSERT INTO t SELECT"
		            " i, randomblob(3000) FROM n;"
		            "UPDATE t SET v = randomblob(3000);"
		            "PRAGMA wal_checkpoint(PASSIVE)");
		r = open_db(NULL, "-16384");
		snprintf(uri, sizeof(uri), "file:%s?psow=0", path);
		if (sqlite3_open_v2(uri, &w,
		                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI,
		                    STORE_WAL_VFS) != SQLITE_OK) {
			printf("Bail out! open %s\n", uri);
			exit(1);
		}
		sql_exec(w, "PRAGMA synchronous = FULL;"
		            " PRAGMA wal_autocheckpoint = 0");
		log_writes = 0;
		fail_nth = nth;
		sql_pwrite_hook((sqlite3_syscall_ptr)nth_log_pwrite);
		rc = sqlite3_exec(w,
		                  "UPDATE t SET v = printf('%03000d', 7)"
		                  " WHERE k = 7",
		                  NULL, NULL, NULL);
		sql_pwrite_hook(NULL);
		if (rc != SQLITE_OK)
			failed++;
		else if (sql_one(r, "SELECT v = printf('%03000d', 7) FROM t"
		                    " WHERE k = 7") != 1) {
			printf("# write %d failed: the commit stood, the reader"
			       " saw other bytes\n",
			       nth);
			bad++;
		}
		sqlite3_close(w);
		sqlite3_close(r);
		sqlite3_close(a);
	}
	ok(bad == 0 && failed > 0,
	   "a failed write of a padded commit: it fails (%d of 4) or is"
	   " whole (%d not)",
	   failed, bad);
}

/* A process that commits and dies without closing: the commits stay. */
static void
test_crash(void)
{
	pid_t pid;
	int status = -1;
	sqlite3 *db;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		sqlite3 *c = open_db(STORE_WAL_VFS, "-16384");
		int i;

		for (i = 0; i < 20; i++)
			if (sql_insert_rows(c, 10000 + i * 50,
			                    10000 + i * 50 + 50) != SQLITE_OK)
				_exit(2);
		/* Gathered but not committed: must not appear. */
		sql_exec(c, "BEGIN");
		sql_insert_rows(c, 20000, 20300);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the child committed and died");
	db = open_db(NULL, "-16384");
	ok(sql_one(db,
	           "SELECT count(*) FROM t WHERE k BETWEEN 10000 AND 10999") ==
	       1000,
	   "every commit of the dead process is there");
	ok(sql_one(db, "SELECT count(*) FROM t WHERE k >= 20000") == 0,
	   "its open transaction is not");
	ok(sql_one(db, "SELECT count(*) FROM pragma_integrity_check"
	               " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check after the crash: ok");
	sqlite3_close(db);
}

int
main(void)
{
	sql_vfs_test_start(dir, path, sizeof(path), store_wal_register,
	                   STORE_WAL_VFS);
	test_gathered();
	test_crash();
	test_full_disk();
	test_rollback_then_other_writer();
	test_no_powersafe_overwrite();
	test_no_powersafe_overwrite_failed_write();
	db_files_remove(path);
	rmdir(dir);
	return tap_done();
}
