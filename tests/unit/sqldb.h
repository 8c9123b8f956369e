/*
 * Helpers for the unit tests that look into a database with SQLite
 * directly: run SQL, read one number (on a connection given, or one of
 * their own), remove a database's files.
 */
#ifndef OGI_TEST_SQLDB_H
#define OGI_TEST_SQLDB_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"

/* sqlite3_exec; a failure is printed as a TAP comment. */
static inline int
sql_exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	return rc;
}

/* The first column of the first row as a number; -1 if none. */
static inline long long
sql_one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* sql_one on a connection of its own to the database at path. */
static inline long long
sql_one_at(const char *path, const char *sql)
{
	sqlite3 *db;
	long long v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK)
		v = sql_one(db, sql);
	else
		printf("# %s: cannot open\n", path);
	sqlite3_close(db);
	return v;
}

/* sql_exec on a connection of its own to the database at path. */
static inline int
sql_exec_at(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sql_exec(db, sql);
	else
		printf("# %s: cannot open\n", path);
	sqlite3_close(db);
	return rc;
}

/* Rows [from, to) of 2,000 bytes each into t(k, v), in one statement. */
static inline int
sql_insert_rows(sqlite3 *db, int from, int to)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1"
	         " FROM n WHERE i + 1 < %d) INSERT INTO t SELECT i,"
	         " printf('%%02000d', i) FROM n",
	         from, to);
	return sql_exec(db, sql);
}

/* Whether fd is a write-ahead log (its name ends in -wal). */
static inline bool
sql_fd_is_log(int fd)
{
	char link[64], target[512];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, target, sizeof(target) - 1)) < 4)
		return false;
	target[n] = '\0';
	return strcmp(target + n - 4, "-wal") == 0;
}

/* The unix VFS's pwrite and pwrite64 (xSetSystemCall): fn, or the real. */
static inline void
sql_pwrite_hook(sqlite3_syscall_ptr fn)
{
	static const char *const names[] = { "pwrite", "pwrite64" };
	sqlite3_vfs *u = sqlite3_vfs_find("unix");
	size_t i;

	for (i = 0; i < 2; i++)
		u->xSetSystemCall(u, names[i], fn);
}

/* A pwrite for sql_pwrite_hook: every write to a log fails, ENOSPC. */
static inline ssize_t
sql_pwrite_log_full(int fd, const void *buf, size_t n, off_t off)
{
	if (sql_fd_is_log(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

/*
 * The start of a VFS shim's test: a directory of its own (dir, a mkdtemp
 * template) with path a database in it, and the shim registered (twice is
 * fine) under its name and not as the default VFS. Bails out if not.
 */
static inline void
sql_vfs_test_start(char *dir, char *path, size_t size, const char *(*reg)(void),
                   const char *name)
{
	const char *got;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	snprintf(path, size, "%s/t.db", dir);
	got = reg();
	ok(got != NULL && reg() == got && strcmp(got, name) == 0,
	   "registered (twice is fine)");
	ok(sqlite3_vfs_find(NULL) == sqlite3_vfs_find("unix"),
	   "not the default VFS");
}

/* A database, its log and shared memory, and its search index's. */
static inline void
db_files_remove(const char *path)
{
	static const char *const sfx[] = {
		"", "-wal", "-shm", ".search", ".search-wal", ".search-shm"
	};
	char f[512];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
		unlink(f);
	}
}

#endif
