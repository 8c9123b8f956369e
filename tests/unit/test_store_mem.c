/*
 * lib/store_mem.c: SQLite runs on it, savepoints roll back what they
 * should, and the blocks (the journal's chunks among them) come back to the
 * thread's cache.
 */
#include <stdbool.h>

#include "../../lib/memcache.h"
#include "../../lib/store_int.h"
#include "sqldb.h"
#include "tap.h"

int
main(void)
{
	sqlite3 *db;
	char sql[256];
	int i;
	size_t cached = 0, bytes = 0;

	ok(store_mem_install() == SQLITE_OK, "installed before SQLite starts");
	ok(sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1) == SQLITE_OK,
	   "journals in memory");
	memcache_enable(true);
	ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "open");
	ok(sql_exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);"
	                "CREATE INDEX t_v ON t(v);") == SQLITE_OK,
	   "schema");
	ok(sql_exec(db, "BEGIN") == SQLITE_OK, "begin");
	/* Each write in its savepoint, as daemon/commit.c does; every
	 * third is rolled back. */
	for (i = 0; i < 3000; i++) {
		snprintf(sql, sizeof(sql),
		         "SAVEPOINT w; INSERT INTO t(v) VALUES"
		         " (printf('%%d-%%0500d', %d, %d)); %s",
		         i, i,
		         i % 3 == 2 ? "ROLLBACK TO w; RELEASE w" : "RELEASE w");
		check(sql_exec(db, sql) == SQLITE_OK, "write %d: %s", i,
		      sqlite3_errmsg(db));
		if (memcache_blocks() > cached)
			cached = memcache_blocks();
		if (memcache_bytes() > bytes)
			bytes = memcache_bytes();
	}
	ok(sql_exec(db, "COMMIT") == SQLITE_OK, "commit");
	ok(sql_one(db, "SELECT count(*) FROM t") == 2000,
	   "the rolled back writes are gone");
	ok(sql_one(db, "SELECT count(*) FROM t WHERE v LIKE '%-%'") == 2000,
	   "the others are whole");
	ok(sql_one(db, "SELECT count(*) FROM pragma_integrity_check"
	               " WHERE integrity_check = 'ok'") == 1,
	   "integrity_check: ok");
	ok(cached > 0, "journal chunks were cached (up to %zu)", cached);
	ok(bytes <= 1 << 20, "the cache stays under 1 MiB (%zu bytes)", bytes);
	sqlite3_close(db);
	memcache_enable(false);
	ok(memcache_blocks() == 0, "turned off: the cache is empty");
	return tap_done();
}
