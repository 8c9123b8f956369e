/*
 * lib/wal_vfs.c: a commit's log frames are written in a few calls, what
 * is committed is there for other connections and after a crash, and
 * commits past the unix VFS's 128 KiB write limit and past the gathering
 * limit come out whole.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../lib/wal_vfs.h"
#include "tap.h"

static char dir[] = "/tmp/ogi-walvfs-XXXXXX";
static char path[256];

/* The unix VFS's pwrite, counted (xSetSystemCall). */
static sqlite3_syscall_ptr real_pwrite, real_pwrite64;
static int writes;

static ssize_t
count_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	writes++;
	return ((ssize_t(*)(int, const void *, size_t, off_t))real_pwrite)(
	    fd, buf, n, off);
}

static ssize_t
count_pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	writes++;
	return ((ssize_t(*)(int, const void *, size_t, off_t))real_pwrite64)(
	    fd, buf, n, off);
}

static int
exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	return rc;
}

static long long
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
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
	if (exec(db, sql) != SQLITE_OK)
		exit(1);
	return db;
}

/* Rows [from, to) of 2,000 bytes each, in one transaction. */
static int
insert(sqlite3 *db, int from, int to)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1"
	         " FROM n WHERE i + 1 < %d) INSERT INTO t SELECT i,"
	         " printf('%%02000d', i) FROM n",
	         from, to);
	return exec(db, sql);
}

static void
test_gathered(void)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
	sqlite3 *w, *r;
	int frames_writes;

	w = open_db(WAL_VFS_NAME, "-16384");
	r = open_db(NULL, "-16384");
	ok(exec(w, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)") ==
	       SQLITE_OK,
	   "create");

	real_pwrite = unix_vfs->xGetSystemCall(unix_vfs, "pwrite");
	real_pwrite64 = unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
	if (real_pwrite != NULL)
		unix_vfs->xSetSystemCall(unix_vfs, "pwrite",
		                         (sqlite3_syscall_ptr)count_pwrite);
	if (real_pwrite64 != NULL)
		unix_vfs->xSetSystemCall(unix_vfs, "pwrite64",
		                         (sqlite3_syscall_ptr)count_pwrite64);
	writes = 0;
	/* ~150 pages: some 300 frame writes without gathering. */
	ok(insert(w, 0, 300) == SQLITE_OK, "a commit of 600 KB");
	frames_writes = writes;
	unix_vfs->xSetSystemCall(unix_vfs, "pwrite", real_pwrite);
	unix_vfs->xSetSystemCall(unix_vfs, "pwrite64", real_pwrite64);
	ok(frames_writes > 0 && frames_writes <= 8,
	   "written in %d calls (128 KiB pieces)", frames_writes);
	ok(one(r, "SELECT count(*) FROM t") == 300,
	   "another connection sees the commit");

	ok(insert(w, 300, 301) == SQLITE_OK, "a commit of one row");
	ok(one(r, "SELECT count(*) FROM t") == 301, "and sees that one");

	/* Past the 8 MiB gathered at most, in a small cache: the pager
	 * spills frames before the commit and writes some of them again. */
	sqlite3_close(w);
	w = open_db(WAL_VFS_NAME, "50");
	ok(exec(w, "BEGIN") == SQLITE_OK, "begin");
	ok(insert(w, 1000, 6000) == SQLITE_OK, "10 MB in one transaction");
	ok(exec(w, "UPDATE t SET v = upper(v) || 'x' WHERE k % 7 = 0") ==
	       SQLITE_OK,
	   "pages spilled are written again");
	ok(exec(w, "COMMIT") == SQLITE_OK, "commit");
	ok(one(r, "SELECT count(*) FROM t") == 5301, "the reader sees 5301");
	ok(one(r, "SELECT count(*) FROM t WHERE v LIKE '%x'") == 758,
	   "with the updates");
	ok(one(r,
	       "SELECT count(*) FROM t WHERE length(v) NOT IN (2000, 2001)") ==
	       0,
	   "every row whole");
	ok(exec(w, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK,
	   "checkpoint through the gathered log");
	ok(one(r, "SELECT count(*) FROM pragma_integrity_check"
	          " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	sqlite3_close(w);
	sqlite3_close(r);
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
		sqlite3 *c = open_db(WAL_VFS_NAME, "-16384");
		int i;

		for (i = 0; i < 20; i++)
			if (insert(c, 10000 + i * 50, 10000 + i * 50 + 50) !=
			    SQLITE_OK)
				_exit(2);
		/* Gathered but not committed: must not appear. */
		exec(c, "BEGIN");
		insert(c, 20000, 20300);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the child committed and died");
	db = open_db(NULL, "-16384");
	ok(one(db, "SELECT count(*) FROM t WHERE k BETWEEN 10000 AND 10999") ==
	       1000,
	   "every commit of the dead process is there");
	ok(one(db, "SELECT count(*) FROM t WHERE k >= 20000") == 0,
	   "its open transaction is not");
	ok(one(db, "SELECT count(*) FROM pragma_integrity_check"
	           " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check after the crash: ok");
	sqlite3_close(db);
}

int
main(void)
{
	char wal[300], shm[300];

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	ok(wal_vfs_register() != NULL &&
	       strcmp(wal_vfs_register(), WAL_VFS_NAME) == 0,
	   "registered (twice is fine)");
	ok(sqlite3_vfs_find(NULL) == sqlite3_vfs_find("unix"),
	   "not the default VFS");
	test_gathered();
	test_crash();
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
	rmdir(dir);
	return tap_done();
}
