/*
 * Helpers for the unit tests that look into a database with SQLite
 * directly: run SQL, read one number (on a connection given, or one of
 * their own), remove a database's files.
 */
#ifndef OGI_TEST_SQLDB_H
#define OGI_TEST_SQLDB_H

#include <stdio.h>
#include <unistd.h>

#include <sqlite3.h>

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
