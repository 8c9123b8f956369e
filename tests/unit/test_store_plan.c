/*
 * Query plans of the store's statements. The timers take due events in
 * (next_event_at, id) order, one at a time; with next_event_at alone in
 * the index each one sorted every event due at the same instant, and
 * 20,000 due-soon events of one day's applications took 29 s (migration
 * 13 adds id to the index).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/store_int.h"
#include "sqldb.h"
#include "tap.h"

static char dir[] = "/tmp/ogi-plan-XXXXXX";
static char path[256];

/* The plan of one statement, its lines joined with " | ". */
static void
plan_of(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;
	char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	size_t n = 0;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
		snprintf(buf, size, "(prepare: %s)", sqlite3_errmsg(db));
		sqlite3_free(q);
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW && n < size) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " | " : "",
		                      d ? d : "");
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
}

int
main(void)
{
	struct store *s = NULL;
	char plan[2048];
	const char *sql;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	if (store_create(path, &s) == -1) {
		printf("Bail out! create: %s\n", store_error(s));
		return 1;
	}

	sql = sqlite3_sql(store_stmt(s, STMT_EVENTS_DUE));
	plan_of(s->db, sql, plan, sizeof(plan));
	ok(strstr(plan, "apps_next_event") != NULL &&
	       strstr(plan, "TEMP B-TREE") == NULL,
	   "due events come in order from apps_next_event: %s", plan);
	sql = sqlite3_sql(store_stmt(s, STMT_NEXT_EVENT));
	plan_of(s->db, sql, plan, sizeof(plan));
	ok(strstr(plan, "apps_next_event") != NULL,
	   "the next event's instant from apps_next_event: %s", plan);

	store_close(s);
	db_files_remove(path);
	rmdir(dir);
	return tap_done();
}
