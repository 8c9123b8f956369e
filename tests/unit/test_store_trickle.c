/*
 * lib/store_trickle.c: what a connection through the VFS writes into a
 * database or its log is handed to the kernel's writeback every 256 KiB,
 * and is there, whole, for other connections, after a checkpoint and
 * through the plain unix VFS; the shared memory of the log works through
 * it; a read-only connection and files without a name pass through; and
 * closing a connection through it leaves the process's locks on the
 * database to the connections still open.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/store_int.h"
#include "sqldb.h"
#include "tap.h"

static char dir[] = "/tmp/ogi-trickle-XXXXXX";
static char path[256];

static sqlite3 *
open_db(const char *vfs, int flags)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, vfs) != SQLITE_OK) {
		printf("Bail out! open %s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

static void
test_handed_and_whole(void)
{
	sqlite3 *w, *r, *plain;
	uint64_t before, after_log, after_ckpt, files;

	files = store_trickle_wrapped();
	w = open_db(STORE_TRICKLE_VFS,
	            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	ok(sql_exec(w, "PRAGMA journal_mode = WAL; PRAGMA synchronous ="
	               " NORMAL; PRAGMA wal_autocheckpoint = 0") == SQLITE_OK,
	   "WAL mode through the VFS");
	ok(sql_exec(w, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)") ==
	       SQLITE_OK,
	   "create");
	ok(store_trickle_wrapped() - files == 2,
	   "the database and its log opened for writing are wrapped");
	r = open_db(STORE_TRICKLE_VFS, SQLITE_OPEN_READWRITE);

	before = store_trickle_handed();
	/* ~2 MB into the log: some 8 hand-overs of 256 KiB. */
	ok(sql_insert_rows(w, 0, 1000) == SQLITE_OK, "a commit of 2 MB");
	after_log = store_trickle_handed();
	ok(after_log - before >= 6,
	   "the log's writes handed over as they were made (%llu times)",
	   (unsigned long long)(after_log - before));
	ok(sql_one(r, "SELECT count(*) FROM t") == 1000,
	   "another connection through the VFS sees the commit (its"
	   " shared memory works)");

	ok(sql_exec(r, "PRAGMA wal_checkpoint(PASSIVE)") == SQLITE_OK,
	   "a checkpoint from the other connection");
	after_ckpt = store_trickle_handed();
	ok(after_ckpt - after_log >= 6,
	   "the database's writes handed over too (%llu times)",
	   (unsigned long long)(after_ckpt - after_log));

	ok(sql_insert_rows(w, 1000, 1010) == SQLITE_OK, "a small commit");
	ok(store_trickle_handed() - after_ckpt <= 1,
	   "20 KB are not handed over on their own");

	plain = open_db(NULL, SQLITE_OPEN_READONLY);
	ok(sql_one(plain, "SELECT count(*) FROM t") == 1010,
	   "the unix VFS reads every row");
	ok(sql_one(plain, "SELECT count(*) FROM t WHERE length(v) = 2000") ==
	       1010,
	   "every row whole");
	ok(sql_one(plain, "SELECT sum(k) FROM t") == 1009 * 1010 / 2,
	   "the right rows");
	sqlite3_close(plain);

	ok(sql_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK,
	   "the log emptied through the VFS");
	ok(sql_one(r, "SELECT count(*) FROM pragma_integrity_check"
	              " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	sqlite3_close(r);
	sqlite3_close(w);
}

/* Read-only, and a temporary file (no name): through as they are. */
static void
test_pass_through(void)
{
	sqlite3 *ro, *w;
	uint64_t before, files = store_trickle_wrapped();

	ro = open_db(STORE_TRICKLE_VFS, SQLITE_OPEN_READONLY);
	ok(sql_one(ro, "SELECT count(*) FROM t") == 1010,
	   "a read-only connection through the VFS reads");
	ok(sql_exec(ro, "DELETE FROM t") != SQLITE_OK, "and cannot write (%s)",
	   sqlite3_errmsg(ro));
	/* SQLite opens the log for writing even so. */
	ok(store_trickle_wrapped() - files <= 1,
	   "a read-only connection's database is not wrapped");
	sqlite3_close(ro);

	w = open_db(STORE_TRICKLE_VFS, SQLITE_OPEN_READWRITE);
	ok(sql_one(w, "SELECT count(*) FROM t") == 1010,
	   "a connection for writing reads (its log open)");
	files = store_trickle_wrapped();
	before = store_trickle_handed();
	ok(sql_exec(w, "PRAGMA temp_store = FILE; PRAGMA cache_size = 20;"
	               " CREATE TEMP TABLE x AS SELECT * FROM t") == SQLITE_OK,
	   "a temporary table of 2 MB in a file of its own");
	ok(sql_one(w, "SELECT count(*) FROM x") == 1010, "it reads back");
	ok(store_trickle_handed() == before && store_trickle_wrapped() == files,
	   "a temporary file is not wrapped");
	sqlite3_close(w);
}

/*
 * Whether another process sees a lock on the shared bytes of the
 * database's lock range (SQLite's SHARED_FIRST, 510 bytes): a connection
 * in WAL mode holds one as long as it is open.
 */
static bool
shared_lock_seen(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct flock fl = { .l_type = F_WRLCK,
			            .l_whence = SEEK_SET,
			            .l_start = 0x40000002,
			            .l_len = 510 };
		int fd = open(path, O_RDWR);

		_exit(fd != -1 && fcntl(fd, F_GETLK, &fl) == 0 &&
		              fl.l_type != F_UNLCK
		          ? 0
		          : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The process's POSIX locks on a file go with the first descriptor of it
 * closed: a wrapper that closed a descriptor of its own let another
 * process take the database, checkpoint it and delete the log under the
 * connections still open (review of e51bb99).
 */
static void
test_locks_kept(void)
{
	sqlite3 *plain, *w;

	plain = open_db(NULL, SQLITE_OPEN_READWRITE);
	ok(sql_one(plain, "SELECT count(*) FROM t") == 1010,
	   "a connection of the unix VFS reads");
	ok(shared_lock_seen(), "another process sees its lock");
	w = open_db(STORE_TRICKLE_VFS, SQLITE_OPEN_READWRITE);
	ok(sql_insert_rows(w, 2000, 2300) == SQLITE_OK,
	   "600 KB through the VFS (handed over)");
	ok(sql_exec(w, "PRAGMA wal_checkpoint(PASSIVE)") == SQLITE_OK,
	   "and a checkpoint through it");
	sqlite3_close(w);
	ok(shared_lock_seen(),
	   "closing the connection through the VFS leaves the lock held");
	ok(sql_one(plain, "SELECT count(*) FROM t") == 1310,
	   "the first connection sees the rows");
	sqlite3_close(plain);
}

int
main(void)
{
	sql_vfs_test_start(dir, path, sizeof(path), store_trickle_register,
	                   STORE_TRICKLE_VFS);
	test_handed_and_whole();
	test_pass_through();
	test_locks_kept();
	db_files_remove(path);
	rmdir(dir);
	return tap_done();
}
