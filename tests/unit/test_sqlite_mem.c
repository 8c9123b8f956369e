/*
 * lib/sqlite_mem.c: SQLite runs on it, savepoints roll back what they
 * should, and the journal's chunks come back to the thread's cache.
 */
#include <stdbool.h>

#include <sqlite3.h>

#include "../../lib/sqlite_mem.h"
#include "tap.h"

static int
exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
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

int
main(void)
{
	sqlite3 *db;
	char sql[256];
	int i, cached = 0;

	ok(sqlite_mem_install() == SQLITE_OK, "installed before SQLite starts");
	ok(sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1) == SQLITE_OK,
	   "journals in memory");
	sqlite_mem_cache(true);
	ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "open");
	ok(exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);"
	            "CREATE INDEX t_v ON t(v);") == SQLITE_OK,
	   "schema");
	ok(exec(db, "BEGIN") == SQLITE_OK, "begin");
	/* Each write in its savepoint, as daemon/commit.c does; every
	 * third is rolled back. */
	for (i = 0; i < 3000; i++) {
		snprintf(sql, sizeof(sql),
		         "SAVEPOINT w; INSERT INTO t(v) VALUES"
		         " (printf('%%d-%%0500d', %d, %d)); %s",
		         i, i,
		         i % 3 == 2 ? "ROLLBACK TO w; RELEASE w" : "RELEASE w");
		check(exec(db, sql) == SQLITE_OK, "write %d: %s", i,
		      sqlite3_errmsg(db));
		if (sqlite_mem_cached() > cached)
			cached = sqlite_mem_cached();
	}
	ok(exec(db, "COMMIT") == SQLITE_OK, "commit");
	ok(one(db, "SELECT count(*) FROM t") == 2000,
	   "the rolled back writes are gone");
	ok(one(db, "SELECT count(*) FROM t WHERE v LIKE '%-%'") == 2000,
	   "the others are whole");
	ok(one(db, "SELECT count(*) FROM pragma_integrity_check"
	           " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	ok(cached > 0, "journal chunks were cached (up to %d)", cached);
	ok(cached <= 256, "the cache stays bounded (%d)", cached);
	sqlite3_close(db);
	sqlite_mem_cache(false);
	ok(sqlite_mem_cached() == 0, "turned off: the cache is empty");
	return tap_done();
}
