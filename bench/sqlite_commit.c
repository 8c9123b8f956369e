/*
 * sqlite_commit: SQLite's rate of one-row-per-transaction commits, WAL
 * mode, synchronous=FULL, in a fresh database in DIR (the same disk as
 * the daemon's). The row is about the size of an application row. One
 * connection, closed loop, for S seconds after a short warm-up.
 *
 * usage: sqlite_commit DIR [SECONDS]
 * Prints "rps=R p50_ms=A p99_ms=B max_ms=C n=N".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "sqlite_commit: %s: %s\n", what,
		        sqlite3_errmsg(db));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	char path[4096], pad[600];
	double seconds = argc > 2 ? atof(argv[2]) : 3;
	sqlite3 *db;
	sqlite3_stmt *ins, *begin, *commit;
	uint64_t *lat, t_start, t_measure, t_end, t0, t1;
	size_t n = 0, cap = 1 << 16;
	int64_t i = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: sqlite_commit DIR [SECONDS]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/commit-ref.db", argv[1]);
	unlink(path);
	snprintf(pad, sizeof(pad), "%s", "x");
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	check(NULL, sqlite3_open(path, &db), "open");
	check(db,
	      sqlite3_exec(db,
	                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                   "CREATE TABLE t(id INTEGER PRIMARY KEY,"
	                   " k TEXT UNIQUE, v TEXT)",
	                   NULL, NULL, NULL),
	      "setup");
	check(db,
	      sqlite3_prepare_v2(db, "INSERT INTO t(k, v) VALUES (?, ?)", -1,
	                         &ins, NULL),
	      "prepare");
	check(db, sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL),
	      "prepare");
	check(db, sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL),
	      "prepare");
	lat = malloc(cap * sizeof(*lat));
	t_start = now_ns();
	t_measure = t_start + 500000000ull;
	t_end = t_measure + (uint64_t)(seconds * 1e9);
	for (;;) {
		char key[32];

		t0 = now_ns();
		if (t0 >= t_end)
			break;
		snprintf(key, sizeof(key), "k%lld", (long long)i++);
		check(db, sqlite3_step(begin), "begin");
		sqlite3_reset(begin);
		sqlite3_bind_text(ins, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, pad, -1, SQLITE_STATIC);
		check(db, sqlite3_step(ins), "insert");
		sqlite3_reset(ins);
		check(db, sqlite3_step(commit), "commit");
		sqlite3_reset(commit);
		t1 = now_ns();
		if (t0 >= t_measure) {
			if (n == cap)
				lat = realloc(lat, (cap *= 2) * sizeof(*lat));
			lat[n++] = t1 - t0;
		}
	}
	qsort(lat, n, sizeof(*lat), cmp);
	printf("rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f n=%zu\n",
	       (double)n / seconds, n ? lat[n / 2] / 1e6 : 0,
	       n ? lat[(size_t)(0.99 * (double)(n - 1))] / 1e6 : 0,
	       n ? lat[n - 1] / 1e6 : 0, n);
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/commit-ref.db-wal", argv[1]);
	unlink(path);
	snprintf(path, sizeof(path), "%s/commit-ref.db-shm", argv[1]);
	unlink(path);
	return 0;
}
