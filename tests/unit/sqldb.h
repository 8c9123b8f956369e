/*
 * Helpers for the unit tests that look into a database with SQLite
 * directly: run SQL, read one number, remove a database's files.
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
