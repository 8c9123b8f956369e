/*
 * The store: schema, migrations, prepared statements, and every query the
 * API makes. See store.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "audit.h"
#include "log.h"
#include "memcache.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/* Schema migrations, numbered from 1; user_version is the count applied. */
static const char *migrations[] = {
	/* 1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" roles INTEGER NOT NULL, token_hash BLOB NOT NULL UNIQUE,"
	" disabled INTEGER NOT NULL DEFAULT 0, epoch INTEGER NOT NULL DEFAULT "
	"0,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE counters(year INTEGER PRIMARY KEY, seq INTEGER NOT NULL);"
	"CREATE TABLE apps(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	" state INTEGER NOT NULL, col INTEGER NOT NULL, name TEXT NOT NULL,"
	" id_number TEXT, phone TEXT, email TEXT, address TEXT,"
	" channel INTEGER NOT NULL, received_on INTEGER NOT NULL,"
	" description TEXT NOT NULL, form INTEGER NOT NULL,"
	" delivery INTEGER NOT NULL, client_ref TEXT,"
	" created_by INTEGER NOT NULL, assignee TEXT, outcome INTEGER NOT NULL,"
	" version INTEGER NOT NULL, rules INTEGER NOT NULL,"
	" start INTEGER NOT NULL, cycle INTEGER NOT NULL,"
	" extension_days INTEGER NOT NULL, pauses TEXT, wait INTEGER NOT NULL,"
	" wait_from INTEGER, wait_last_day INTEGER, fee_return INTEGER NOT "
	"NULL,"
	" proposer TEXT, correction_late INTEGER NOT NULL,"
	" fee_fen INTEGER NOT NULL, due_on INTEGER, next_event_at INTEGER,"
	" next_event INTEGER NOT NULL, due_soon_fired INTEGER,"
	" overdue_fired INTEGER, concluded_on INTEGER, replied_on INTEGER,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX apps_client_ref ON apps(created_by, client_ref)"
	" WHERE client_ref IS NOT NULL;"
	"CREATE INDEX apps_received ON apps(received_on, id);"
	"CREATE INDEX apps_state ON apps(state, received_on, id);"
	"CREATE INDEX apps_assignee ON apps(assignee, received_on, id)"
	" WHERE assignee IS NOT NULL;"
	"CREATE INDEX apps_next_event ON apps(next_event_at)"
	" WHERE next_event_at IS NOT NULL;"
	"CREATE INDEX apps_running_due ON apps(due_on, id)"
	" WHERE state IN (0, 2, 4, 6);"
	"CREATE INDEX apps_concluded ON apps(concluded_on, col)"
	" WHERE concluded_on IS NOT NULL;"
	"CREATE INDEX apps_open ON apps(state) WHERE state < 7;"
	"CREATE VIRTUAL TABLE apps_fts USING fts5(id, name, description,"
	" content='apps', content_rowid='rowid', tokenize='trigram');"
	"CREATE TRIGGER apps_ai AFTER INSERT ON apps BEGIN"
	" INSERT INTO apps_fts(rowid, id, name, description)"
	" VALUES (new.rowid, new.id, new.name, new.description); END;"
	"CREATE TRIGGER apps_ad AFTER DELETE ON apps BEGIN"
	" INSERT INTO apps_fts(apps_fts, rowid, id, name, description)"
	" VALUES ('delete', old.rowid, old.id, old.name, old.description); END;"
	"CREATE TRIGGER apps_au AFTER UPDATE OF name, description ON apps BEGIN"
	" INSERT INTO apps_fts(apps_fts, rowid, id, name, description)"
	" VALUES ('delete', old.rowid, old.id, old.name, old.description);"
	" INSERT INTO apps_fts(rowid, id, name, description)"
	" VALUES (new.rowid, new.id, new.name, new.description); END;"
	"CREATE TABLE events(seq INTEGER PRIMARY KEY, app_id TEXT,"
	" at INTEGER NOT NULL, content TEXT NOT NULL, prev_hash BLOB NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE INDEX events_app ON events(app_id, seq);"
	"CREATE TABLE clock(id INTEGER PRIMARY KEY, app_id TEXT NOT NULL,"
	" cycle INTEGER NOT NULL, kind TEXT NOT NULL, from_day INTEGER,"
	" to_day INTEGER, days INTEGER NOT NULL, reason TEXT, actor TEXT,"
	" at INTEGER NOT NULL);"
	"CREATE INDEX clock_app ON clock(app_id, id);"
	"CREATE TABLE appeals(app_id TEXT NOT NULL, n INTEGER NOT NULL,"
	" kind INTEGER NOT NULL, filed_on INTEGER NOT NULL,"
	" result INTEGER NOT NULL, decided_on INTEGER,"
	" PRIMARY KEY(app_id, n));"
	"CREATE INDEX appeals_filed ON appeals(filed_on);"
	"CREATE TABLE calendar(year INTEGER PRIMARY KEY, holidays TEXT NOT "
	"NULL,"
	" workdays TEXT NOT NULL);",
	/* 2: covering indexes for report.annual and report.summary
	 * (lib/store_report.c); apps_report_concluded supersedes
	 * apps_concluded. */
	"CREATE INDEX apps_report_received ON apps(received_on, col);"
	"CREATE INDEX apps_report_concluded ON apps(concluded_on, col, outcome,"
	" received_on, replied_on) WHERE concluded_on IS NOT NULL;"
	"CREATE INDEX apps_report_open ON apps(received_on, col)"
	" WHERE concluded_on IS NULL;"
	"DROP INDEX apps_concluded;",
	/* 3: re-index the text only when it changed, not on every update. */
	"DROP TRIGGER apps_au;"
	"CREATE TRIGGER apps_au AFTER UPDATE OF name, description ON apps"
	" WHEN old.name IS NOT new.name"
	" OR old.description IS NOT new.description BEGIN"
	" INSERT INTO apps_fts(apps_fts, rowid, id, name, description)"
	" VALUES ('delete', old.rowid, old.id, old.name, old.description);"
	" INSERT INTO apps_fts(rowid, id, name, description)"
	" VALUES (new.rowid, new.id, new.name, new.description); END;",
	/*
	 * 4: new applications are indexed for search once per transaction,
	 * just before COMMIT (store_commit), not one FTS segment per write;
	 * meta fts_last is the last rowid indexed. An update re-indexes only
	 * rows already indexed; newer ones are indexed with their final text.
	 */
	"DROP TRIGGER apps_ai;"
	"DROP TRIGGER apps_au;"
	"INSERT OR REPLACE INTO meta(key, value)"
	" SELECT 'fts_last', coalesce(max(rowid), 0) FROM apps;"
	"CREATE TRIGGER apps_au AFTER UPDATE OF name, description ON apps"
	" WHEN (old.name IS NOT new.name"
	" OR old.description IS NOT new.description)"
	" AND old.rowid <= (SELECT CAST(value AS INTEGER) FROM meta"
	" WHERE key = 'fts_last') BEGIN"
	" INSERT INTO apps_fts(apps_fts, rowid, id, name, description)"
	" VALUES ('delete', old.rowid, old.id, old.name, old.description);"
	" INSERT INTO apps_fts(rowid, id, name, description)"
	" VALUES (new.rowid, new.id, new.name, new.description); END;",
	/* 5: the length of the period waited on, so its last day follows the
	 * calendar like every other deadline. */
	"ALTER TABLE apps ADD COLUMN wait_days INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 6: the search index moves to a database of its own, written by a
	 * thread of its own (lib/store_search.c); here stay the text changes
	 * it has to apply, in order.
	 */
	"DROP TRIGGER apps_au;"
	"DROP TABLE apps_fts;"
	"DELETE FROM meta WHERE key = 'fts_last';"
	"CREATE TABLE search_dirty(seq INTEGER PRIMARY KEY,"
	" app_rowid INTEGER NOT NULL);"
	"CREATE TRIGGER apps_text AFTER UPDATE OF name, description ON apps"
	" WHEN old.name IS NOT new.name"
	" OR old.description IS NOT new.description BEGIN"
	" INSERT INTO search_dirty(app_rowid) VALUES (new.rowid); END;",
	/*
	 * 7: two fewer indexes to write per new application. apps_state
	 * serves the open applications (state < 7) that apps_open did, and
	 * apps_received carries col for the report that apps_report_received
	 * covered.
	 */
	"DROP INDEX apps_open;"
	"DROP INDEX apps_report_received;"
	"DROP INDEX apps_received;"
	"CREATE INDEX apps_received ON apps(received_on, id, col);",
	/*
	 * 8: migration 6 dropped apps_fts but left its delete trigger, so
	 * any DELETE on apps (none in ogid; an operator's sqlite3 shell)
	 * failed to compile with "no such table".
	 */
	"DROP TRIGGER IF EXISTS apps_ad;",
	/* 9: the running states without an IN list (store_int.h). */
	"DROP INDEX apps_running_due;"
	"CREATE INDEX apps_running_due ON apps(due_on, id) WHERE " SQL_RUNNING
	";",
	/*
	 * 10: the client_ref index leaves apps for a table of its own,
	 * filled many submits at a time (merge cycles, lib/store_refs.c);
	 * every application up to meta refs_upto is in it.
	 */
	"CREATE TABLE client_refs(created_by INTEGER NOT NULL,"
	" client_ref TEXT NOT NULL, app_rowid INTEGER NOT NULL,"
	" PRIMARY KEY(created_by, client_ref)) WITHOUT ROWID;"
	"INSERT INTO client_refs SELECT created_by, client_ref, rowid"
	" FROM apps INDEXED BY apps_client_ref WHERE client_ref IS NOT NULL"
	" ORDER BY created_by, client_ref;"
	"INSERT OR REPLACE INTO meta(key, value)"
	" SELECT 'refs_upto', coalesce(max(rowid), 0) FROM apps;"
	"DROP INDEX apps_client_ref;",
	/*
	 * 11: one index fewer to write per new application. An application
	 * is concluded (concluded_on set) exactly when its state is one of
	 * the last two (SQL_OPEN, store_int.h), so apps_state, with col
	 * added, covers the report's open applications that
	 * apps_report_open did.
	 */
	"DROP INDEX apps_report_open;"
	"DROP INDEX apps_state;"
	"CREATE INDEX apps_state ON apps(state, received_on, id, col);",
	/*
	 * 12: the history chain's head in meta (STMT_CHAIN_HEAD), from here
	 * on written with every commit that adds events; "0" and 32 zero
	 * bytes before the first event.
	 */
	"INSERT OR REPLACE INTO meta(key, value)"
	" VALUES ('chain_head', '0 ' || lower(hex(zeroblob(32))));"
	"UPDATE meta SET value = (SELECT seq || ' ' || lower(hex(hash))"
	" FROM events ORDER BY seq DESC LIMIT 1)"
	" WHERE key = 'chain_head' AND EXISTS (SELECT 1 FROM events);",
	/*
	 * 13: the timers take due events in (next_event_at, id) order
	 * (STMT_EVENTS_DUE): with next_event_at alone in the index, every
	 * one taken sorted all the events due at the same instant, and
	 * 20,000 due-soon events of applications received on one day took
	 * 29 s.
	 */
	"DROP INDEX apps_next_event;"
	"CREATE INDEX apps_next_event ON apps(next_event_at, id)"
	" WHERE next_event_at IS NOT NULL;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * The annual report (STMT_REPORT_ANNUAL): ?1 first day of the year, ?2 its
 * last. The parts, told apart by the first column, each over its own covering
 * index (migration 2) so that only a year's rows, or a few more, are grouped:
 *   0  received in the year: col, count
 *   1  concluded in the year: col, outcome, count, how many of them were
 *      received before it (carried in)
 *   2  received by its end, concluded after it or open now: col, count
 *      (carried out), how many were received before it (carried in)
 *   3  appeals filed in the year: kind, result as of the year's end
 *      (pending if not decided by then), count
 */
static const char *sql[STMT__COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT w",
	[STMT_RELEASE] = "RELEASE w",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO w",
	[STMT_USER_INSERT] = "INSERT INTO users(name, roles, token_hash,"
	                     " created_at) VALUES (?, ?, ?, ?)",
	[STMT_USER_BY_TOKEN] = "SELECT id, name, roles, disabled, epoch,"
	                       " created_at, token_hash FROM users"
	                       " WHERE token_hash = ?",
	[STMT_USER_BY_NAME] = "SELECT id, name, roles, disabled, epoch,"
	                      " created_at FROM users WHERE name = ?",
	[STMT_USER_BY_ID] = "SELECT id, name, roles, disabled, epoch,"
	                    " created_at FROM users WHERE id = ?",
	[STMT_USER_LIST] = "SELECT id, name, roles, disabled, epoch,"
	                   " created_at FROM users ORDER BY name",
	[STMT_USER_DISABLE] = "UPDATE users SET disabled = 1,"
	                      " epoch = epoch + 1 WHERE name = ?",
	[STMT_USER_SET_TOKEN] = "UPDATE users SET token_hash = ?,"
	                        " epoch = epoch + 1 WHERE name = ?",
	[STMT_USER_COUNT] = "SELECT count(*) FROM users",
	[STMT_SEQ_TAKE] = "INSERT INTO counters(year, seq) VALUES (?, ?)"
	                  " ON CONFLICT(year) DO UPDATE SET seq = excluded.seq",
	[STMT_SEQ_GET] = "SELECT seq FROM counters WHERE year = ?",
	[STMT_APP_INSERT] =
	    "INSERT INTO apps(" APP_COLS ") VALUES (NULL, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_APP_INSERT_FRESH] =
	    /*
	     * STMT_APP_INSERT for an application as app.submit makes it
	     * (app_is_fresh in store_app.c): what every new application has
	     * is written here, not bound, and start and updated_at repeat
	     * received_on and created_at. bind_fresh binds the rest under
	     * bind_app's numbers.
	     */
	"INSERT INTO apps(" APP_COLS ") VALUES (NULL, ?1, ?2, ?3, ?4, ?5,"
	" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, NULL, ?17, ?18,"
	" ?19, ?10, 0, 0, NULL, 0, NULL, NULL, ?27, NULL, 0, 0, ?31, ?32,"
	" ?33, NULL, NULL, NULL, NULL, ?38, ?38, 0)",
	[STMT_APP_UPDATE] =
	    /*
	     * Only what can change after app.submit (the parameters are
	     * numbered as bind_app binds them): an UPDATE rewrites every index
	     * on a column it sets, and the search index's trigger would join
	     * every savepoint. The description changes only by app.correct
	     * (STMT_APP_SET_DESCRIPTION).
	     */
	"UPDATE apps SET state = ?2, assignee = ?16, outcome = ?17,"
	" version = ?18, start = ?20, cycle = ?21, extension_days = ?22,"
	" pauses = ?23, wait = ?24, wait_from = ?25, wait_last_day = ?26,"
	" fee_return = ?27, proposer = ?28, correction_late = ?29,"
	" fee_fen = ?30, due_on = ?31, next_event_at = ?32, next_event = ?33,"
	" due_soon_fired = ?34, overdue_fired = ?35, concluded_on = ?36,"
	" replied_on = ?37, updated_at = ?39, wait_days = ?40"
	" WHERE rowid = ?41",
	[STMT_APP_SET_DESCRIPTION] = "UPDATE apps SET description = ?"
	                             " WHERE rowid = ?",
	[STMT_APP_GET] = "SELECT " APP_COLS " FROM apps WHERE id = ?",
	[STMT_OVERDUE] = "SELECT " APP_COLS " FROM apps"
	                 " INDEXED BY apps_running_due"
	                 " WHERE " SQL_RUNNING " AND due_on < ?1"
	                 " AND (?2 IS NULL OR (due_on, id) > (coalesce(?4,"
	                 " (SELECT due_on FROM apps WHERE id = ?2)), ?2))"
	                 " ORDER BY due_on, id LIMIT ?3",
	[STMT_DUE_SOON] = "SELECT " APP_COLS " FROM apps"
	                  " INDEXED BY apps_running_due"
	                  " WHERE " SQL_RUNNING " AND due_on >= ?1"
	                  " AND due_on <= ?4"
	                  " AND (?2 IS NULL OR (due_on, id) > (coalesce(?5,"
	                  " (SELECT due_on FROM apps WHERE id = ?2)), ?2))"
	                  " ORDER BY due_on, id LIMIT ?3",
	[STMT_NEXT_EVENT] = "SELECT min(next_event_at) FROM apps"
	                    " WHERE next_event_at IS NOT NULL",
	[STMT_EVENTS_DUE] = "SELECT id FROM apps WHERE next_event_at IS NOT"
	                    " NULL AND next_event_at <= ?"
	                    " ORDER BY next_event_at, id LIMIT ?",
	[STMT_OPEN_ROWIDS] = "SELECT rowid FROM apps INDEXED BY apps_state"
	                     " WHERE " SQL_OPEN,
	[STMT_FTS_PROBE] = "SELECT count(*) FROM (SELECT 1 FROM search.fts"
	                   " WHERE fts MATCH ? LIMIT ?)",
	[STMT_LATE_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM apps INDEXED"
	                    " BY apps_running_due WHERE " SQL_RUNNING
	                    " AND due_on < ?1 LIMIT ?2)",
	[STMT_SEARCH_KEYS] = "SELECT rowid FROM search.fts WHERE fts MATCH ?1"
	                     " AND rowid >= ?2 AND rowid < ?3 ORDER BY rowid",
	[STMT_SEARCH_MARKS] = "SELECT coalesce((SELECT value FROM search.meta"
	                      " WHERE key = 'last'), 0), coalesce((SELECT"
	                      " value FROM search.meta WHERE key = 'dirty'),"
	                      " 0)",
	[STMT_SEARCH_PENDING] = "SELECT DISTINCT app_rowid FROM search_dirty"
	                        " WHERE seq > ?1 ORDER BY app_rowid",
	[STMT_APP_RECEIVED] = "SELECT received_on FROM apps WHERE id = ?",
	[STMT_LOWER] = "SELECT lower(?1)",
	[STMT_APP_BY_ROWID] = "SELECT " APP_COLS " FROM apps WHERE rowid = ?",
	[STMT_APP_UPDATE_DERIVED] = "UPDATE apps SET due_on = ?,"
	                            " next_event_at = ?, next_event = ?,"
	                            " wait_last_day = ? WHERE rowid = ?",
	[STMT_EVENT_LAST] = "SELECT hash FROM events ORDER BY seq DESC LIMIT 1",
	[STMT_EVENT_INSERT] = "INSERT INTO events(app_id, at, content,"
	                      " prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
	[STMT_EVENT_TEXTS] = "SELECT seq, content FROM events"
	                     " WHERE app_id = ? ORDER BY seq",
	[STMT_EVENTS_ALL] = "SELECT seq, at, app_id, content, prev_hash, hash"
	                    " FROM events ORDER BY seq",
	[STMT_CLOCK_ADD] = "INSERT INTO clock(app_id, cycle, kind, from_day,"
	                   " to_day, days, reason, actor, at)"
	                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_CLOCK_CLOSE] = "UPDATE clock SET to_day = ?, days = ?"
	                     " WHERE id = (SELECT max(id) FROM clock"
	                     " WHERE app_id = ? AND cycle = ? AND kind = ?"
	                     " AND to_day IS NULL)",
	[STMT_CLOCK_LIST] = "SELECT cycle, kind, from_day, to_day, days,"
	                    " reason, actor, at FROM clock WHERE app_id = ?"
	                    " ORDER BY id",
	[STMT_CLOCK_GRANTED] = "SELECT coalesce(max(at), 0) FROM clock"
	                       " WHERE app_id = ? AND cycle = ?"
	                       " AND kind = 'extension'",
	[STMT_APPEAL_ADD] = "INSERT INTO appeals(app_id, n, kind, filed_on,"
	                    " result) VALUES (?1, (SELECT coalesce(max(n), 0)"
	                    " + 1 FROM appeals WHERE app_id = ?1), ?2, ?3, 3)"
	                    " RETURNING n",
	[STMT_APPEAL_DECIDE] = "UPDATE appeals SET result = ?, decided_on = ?"
	                       " WHERE app_id = ? AND n = ?",
	[STMT_APPEALS_FOR] = "SELECT n, kind, filed_on, result, decided_on"
	                     " FROM appeals WHERE app_id = ? ORDER BY n",
	[STMT_CAL_SET] = "INSERT OR REPLACE INTO calendar(year, holidays,"
	                 " workdays) VALUES (?, ?, ?)",
	[STMT_CAL_ALL] = "SELECT year, holidays, workdays FROM calendar"
	                 " ORDER BY year",
	[STMT_META_GET] = "SELECT value FROM meta WHERE key = ?",
	[STMT_META_SET] = "INSERT OR REPLACE INTO meta(key, value)"
	                  " VALUES (?, ?)",
	/*
	 * The chain's head, written by every COMMIT that added events
	 * (store_commit): the chain itself cannot show events cut off its
	 * end, and timer events change no application's version, so
	 * ogid verify compares its last event with this. An UPDATE of the
	 * row migration 12 made: one page a commit (a REPLACE rewrote the
	 * key's index page too).
	 */
	[STMT_CHAIN_HEAD] = "UPDATE meta SET value = (SELECT seq || ' ' ||"
	                    " lower(hex(hash)) FROM events ORDER BY seq DESC"
	                    " LIMIT 1) WHERE key = 'chain_head'",
	/* Reports (lib/store_report.c). */
	[STMT_REPORT_ANNUAL] =
	    "SELECT 0, col, 0, count(*), 0 FROM apps"
	    " WHERE received_on BETWEEN ?1 AND ?2 GROUP BY col"
	    " UNION ALL"
	    " SELECT 1, col, outcome, count(*), sum(received_on < ?1) FROM apps"
	    " WHERE concluded_on BETWEEN ?1 AND ?2 GROUP BY col, outcome"
	    " UNION ALL"
	    " SELECT 2, col, 0, count(*), sum(received_on < ?1) FROM apps"
	    " WHERE concluded_on > ?2 AND received_on <= ?2 GROUP BY col"
	    " UNION ALL"
	    " SELECT 2, col, 0, count(*), sum(received_on < ?1) FROM apps"
	    " INDEXED BY apps_state WHERE " SQL_OPEN " AND received_on <= ?2"
	    " GROUP BY col"
	    " UNION ALL"
	    " SELECT 3, kind,"
	    " CASE WHEN decided_on <= ?2 THEN result ELSE 3 END, count(*), 0"
	    " FROM appeals WHERE filed_on BETWEEN ?1 AND ?2"
	    " GROUP BY 2, 3",
	[STMT_READ_BEGIN] = "BEGIN",
	/* ?1 from, ?2 to, ?3 today. */
	[STMT_REPORT_COUNTS] =
	    "SELECT (SELECT count(*) FROM apps"
	    " WHERE received_on BETWEEN ?1 AND ?2),"
	    " (SELECT count(*) FROM apps WHERE received_on BETWEEN ?1 AND ?2"
	    " AND extension_days > 0),"
	    " (SELECT count(*) FROM apps WHERE concluded_on BETWEEN ?1 AND ?2),"
	    " (SELECT count(*) FROM apps WHERE " SQL_RUNNING
	    " AND due_on < ?3)",
	/* A replied application is concluded on its replied_on. */
	[STMT_REPORT_REPLIES] = "SELECT received_on, replied_on FROM apps"
	                        " WHERE concluded_on BETWEEN ?1 AND ?2"
	                        " AND replied_on IS NOT NULL",
	/* The open applications (a few of them) from apps_state, not a walk
	 * of apps_received from the oldest. */
	[STMT_REPORT_LONGEST] = "SELECT id, received_on, state FROM apps"
	                        " INDEXED BY apps_state WHERE " SQL_OPEN
	                        " ORDER BY received_on, id LIMIT ?1",
	/* Text changes the indexer applied, but never the newest: search_dirty
	 * has no AUTOINCREMENT, and its next seq must stay past the index's
	 * "dirty" mark. */
	[STMT_SEARCH_PRUNE] = "DELETE FROM search_dirty WHERE seq <= ?1"
	                      " AND seq < (SELECT max(seq) FROM search_dirty)",
	/* The client_ref index (lib/store_refs.c). */
	[STMT_REFS_FIND] = "SELECT app_rowid FROM client_refs"
	                   " WHERE created_by = ?1 AND client_ref = ?2",
	[STMT_REFS_HOT] = "SELECT created_by, client_ref, rowid FROM apps"
	                  " WHERE rowid > ?1 AND client_ref IS NOT NULL"
	                  " ORDER BY rowid",
	[STMT_REFS_LAST] = "SELECT max(rowid) FROM apps",
	/* OR REPLACE: a stale row, left by an application deleted by hand
	 * (store_app_by_ref), gives way to the ref's new application. */
	[STMT_REFS_INSERT] = "INSERT OR REPLACE INTO client_refs(created_by,"
	                     " client_ref, app_rowid) VALUES (?1, ?2, ?3)",
	/* REFS_ROWS (lib/store_refs.c) rows a statement. */
	[STMT_REFS_INSERT_MANY] =
	    "INSERT OR REPLACE INTO client_refs(created_by, client_ref,"
	    " app_rowid) VALUES"
	    " (?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),"
	    " (?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),"
	    " (?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),"
	    " (?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?),(?,?,?)",
	[STMT_REFS_UPTO] = "INSERT OR REPLACE INTO meta(key, value)"
	                   " VALUES ('refs_upto', ?1)",
};

static void store_seterr(struct store *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
store_seterr(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

int
store_fail(struct store *s, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);

	s->last_rc = rc;
	store_seterr(s, "%s: %s", what, sqlite3_errmsg(s->db));
	/* A write that failed outside a transaction rolled back. */
	if (s->db != NULL)
		store_wal_discard(s->db);
	return -1;
}

/*
 * Background threads 10 nice levels below the daemon (Linux keeps a nice
 * value per thread; a new thread starts with its creator's): with the
 * indexer and the checkpointer at the loop thread's priority, the loop
 * waited 4.1 us a submit for its core; at +10, 2.8 us, and submits went
 * up ~6% (interleaved runs, make bench's load). Not SCHED_IDLE (1.6 us):
 * a thread the loop may wait for (the checkpointer holding the writer's
 * lock for a RESTART, the indexer holding a snapshot that keeps the log
 * from restarting) must not starve when other processes keep the cores
 * busy; at +10 it still gets about a tenth of a busy core. Relative, so
 * that a daemon run at a nice value of its own keeps the order.
 */
#define STORE_BACKGROUND_NICE 10

void
store_thread_background(void)
{
	id_t tid = (id_t)syscall(SYS_gettid);
	int now, to;

	errno = 0;
	now = getpriority(PRIO_PROCESS, tid);
	if (now == -1 && errno != 0) {
		log_warn("store: getpriority of a background thread");
		return;
	}
	to =
	    now + STORE_BACKGROUND_NICE > 19 ? 19 : now + STORE_BACKGROUND_NICE;
	if (setpriority(PRIO_PROCESS, tid, to) == -1)
		log_warn("store: setpriority of a background thread");
}

const char *
store_error(const struct store *s)
{
	return s->err;
}

bool
store_error_transient(const struct store *s)
{
	int rc = s->last_rc & 0xff;

	return rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED || rc == SQLITE_CANTOPEN ||
	       rc == SQLITE_ABORT;
}

sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt which)
{
	sqlite3_stmt *st = s->stmts[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, sql[which], -1,
		                       SQLITE_PREPARE_PERSISTENT, &st,
		                       NULL) != SQLITE_OK) {
			store_fail(s, "prepare");
			log_warnx("store: prepare %d: %s", which, s->err);
			return NULL;
		}
		s->stmts[which] = st;
	}
	return st;
}

/* Step a statement to completion (no rows wanted) and reset it. */
int
store_exec_stmt(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(s, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_step_row(struct store *s, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) == SQLITE_ROW)
		return 0;
	store_fail(s, what);
	sqlite3_reset(st);
	return -1;
}

/* Bind helpers: NULL strings and DAY_NONE become SQL NULL. */
void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

void
bind_day(sqlite3_stmt *st, int i, day_t d)
{
	if (d == DAY_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int(st, i, d);
}

char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

day_t
col_day(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return DAY_NONE;
	return sqlite3_column_int(st, i);
}

int
store_rows(struct store *s, sqlite3_stmt *st, size_t elem,
           void (*row)(sqlite3_stmt *, void *), void (*free_one)(void *),
           void **out, size_t *n, const char *what)
{
	size_t cap = 0, i;
	char *arr = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			arr = xreallocarray(arr, cap, elem);
		}
		memset(arr + *n * elem, 0, elem);
		row(st, arr + *n * elem);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		for (i = 0; free_one != NULL && i < *n; i++)
			free_one(arr + i * elem);
		free(arr);
		*n = 0;
		return store_fail(s, what);
	}
	*out = arr;
	return 0;
}

static int
exec_sql(struct store *s, const char *text)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, text, NULL, NULL, &msg) != SQLITE_OK) {
		s->last_rc = sqlite3_extended_errcode(s->db);
		store_seterr(s, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		store_wal_discard(s->db);
		return -1;
	}
	return 0;
}

/*
 * ROLLBACK by text, and drop what the transaction gathered for the log
 * (lib/store_wal.c): a failed statement's discard came while the
 * transaction was still open, and did nothing.
 */
static void
exec_rollback(struct store *s)
{
	exec_sql(s, "ROLLBACK");
	store_wal_discard(s->db);
}

static int
load_last_hash(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_LAST);
	int rc;

	if (st == NULL)
		return -1;
	memset(s->last_hash, 0, sizeof(s->last_hash));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32)
		memcpy(s->last_hash, sqlite3_column_blob(st, 0), 32);
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, "events");
	}
	sqlite3_reset(st);
	s->hash_loaded = true;
	return 0;
}

/* The database's schema version (PRAGMA user_version): 0 or -1. */
static int
user_version(struct store *s, int *out)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, "user_version");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail(s, "user_version");
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int
migrate(struct store *s)
{
	sqlite3_stmt *st;
	int version, i;
	char buf[64];

	if (user_version(s, &version) == -1)
		return -1;
	if (version > NMIGRATIONS) {
		store_seterr(
		    s,
		    "database schema version %d is newer than this ogid"
		    " (%d): upgrade ogid",
		    version, NMIGRATIONS);
		return -1;
	}
	if (version == 0) {
		/* A database not made by ogid init, or a foreign file. */
		if (sqlite3_prepare_v2(s->db,
		                       "SELECT count(*) FROM sqlite_master", -1,
		                       &st, NULL) != SQLITE_OK)
			return store_fail(s, "not an ogi database");
		i = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0)
		                                   : -1;
		sqlite3_finalize(st);
		if (i != 0 || !s->creating) {
			store_seterr(s, "not an ogi database (no schema)");
			return -1;
		}
	}
	for (i = version; i < NMIGRATIONS; i++) {
		if (exec_sql(s, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (exec_sql(s, migrations[i]) == -1) {
			char keep[sizeof(s->err)];

			memcpy(keep, s->err, sizeof(keep));
			exec_rollback(s);
			memcpy(s->err, keep, sizeof(keep));
			return -1;
		}
		snprintf(buf, sizeof(buf), "PRAGMA user_version = %d", i + 1);
		if (exec_sql(s, buf) == -1 || exec_sql(s, "COMMIT") == -1) {
			exec_rollback(s);
			return -1;
		}
	}
	return 0;
}

/*
 * Every write runs in its own SAVEPOINT (daemon/commit.c), and SQLite keeps
 * the pages a savepoint changes in a statement journal. By default that
 * journal moves to a temporary file past 64 KiB, and a new application
 * changes some thirty pages (the row, its indexes, its first event): every
 * submit then wrote ~120 KiB through pwrite(2) to a file in /var/tmp. A
 * journal released with its savepoint is emptied, so it stays in memory
 * (-1: never spilled), bounded by what one write changes. The biggest
 * write, calendar.set over every open application, holds the pages of
 * the open applications: at a million applications (17,000 open) ogid
 * peaked at 32 MB. Not a middle value: with SQLite 3.40, a journal that
 * spilled to its file past 256 KiB or 4 MiB in the middle of calendar.set
 * failed it with "database or disk is full" (an empty write, then
 * SQLITE_FULL, with the disk two-thirds free). Process-wide, so set once,
 * before SQLite initialises.
 */
static void
store_configure_sqlite(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1) != SQLITE_OK)
		log_warnx("store: cannot set the statement journal spill size");
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_warnx("store: cannot turn off SQLite's memory statistics");
	if (store_mem_install() != SQLITE_OK)
		log_warnx("store: cannot install SQLite's allocator");
}

static int
store_open_common(const char *path, bool readonly, bool sync_full,
                  bool creating, struct store **out)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int flags;

	store_configure_sqlite();

	s->creating = creating;
	s->readonly = readonly;
	s->path = xstrdup(path);
	*out = s;
	flags = SQLITE_OPEN_NOMUTEX |
	        (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	if (creating)
		flags |= SQLITE_OPEN_CREATE;
	/*
	 * The writer under FULL writes a commit's log frames in one call
	 * (lib/store_wal.c); the unix VFS if that cannot be registered.
	 */
	if (sqlite3_open_v2(path, &s->db, flags,
	                    !readonly && sync_full ? store_wal_register()
	                                           : NULL) != SQLITE_OK) {
		store_fail(s, "open");
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	if (!readonly) {
		/* The writer's savepoints: lib/store_mem.c. */
		memcache_enable(true);
		if (exec_sql(s, "PRAGMA journal_mode = WAL") == -1)
			return -1;
	}
	/*
	 * The log's file is cut back to journal_size_limit when it starts
	 * again; under load it grows back at once, and cutting and growing it
	 * cost the loop thread ftruncate, and its syncs block allocation, at
	 * each restart: 7% fewer submits with 8 MiB than with 64. Under 64
	 * connections the log starts again past CKPT_MAX_PAGES (at up to ~85
	 * MiB, lib/store_ckpt.c; at twice CKPT_MAX_PAGES at most), so 256 MiB
	 * cuts nothing
	 * the next cycle writes again: +7% submits at a million applications,
	 * +2-4% at 50,000, against 64 MiB. Once writes stop it is emptied
	 * anyway; a log a reader's old snapshot let grow past it is cut back.
	 */
	if (exec_sql(s, sync_full ? "PRAGMA synchronous = FULL"
	                          : "PRAGMA synchronous = NORMAL") == -1 ||
	    exec_sql(s, "PRAGMA foreign_keys = ON") == -1 ||
	    exec_sql(s, "PRAGMA cache_size = -16384") == -1 ||
	    exec_sql(s, "PRAGMA journal_size_limit = 268435456") == -1)
		return -1;
	/* Make sure it is a database at all before anything else. */
	if (exec_sql(s, "SELECT count(*) FROM sqlite_master") == -1)
		return -1;
	if (!readonly && migrate(s) == -1)
		return -1;
	if (!readonly && store_refs_open(s) == -1)
		return -1;
	/* Checkpoints run on a thread of their own (lib/store_ckpt.c). */
	if (!readonly && store_ckpt_start(s, path, sync_full) == -1)
		return -1;
	if (readonly) {
		sqlite3_stmt *st;
		int v = -1;

		if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
		                       NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (v != NMIGRATIONS) {
			store_seterr(s,
			             "database schema version %d, expected %d",
			             v, NMIGRATIONS);
			return -1;
		}
	}
	return 0;
}

int
store_create(const char *path, struct store **out)
{
	int fd;

	*out = NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		struct store *s = xcalloc(1, sizeof(*s));

		store_seterr(s, "%s: %s", path,
		             errno == EEXIST ? "already exists; refusing to"
		                               " touch it"
		                             : strerror(errno));
		*out = s;
		return -1;
	}
	close(fd);
	if (store_open_common(path, false, true, true, out) == -1)
		return -1;
	return 0;
}

int
store_open(const char *path, bool readonly, bool sync_full, struct store **out)
{
	struct stat sb;

	*out = NULL;
	if (stat(path, &sb) == -1) {
		struct store *s = xcalloc(1, sizeof(*s));

		store_seterr(s, "%s: %s", path, strerror(errno));
		*out = s;
		return -1;
	}
	return store_open_common(path, readonly, sync_full, false, out);
}

/* Effective ids, as the open uses: EROFS and EACCES both say no. */
static bool
writable(const char *path)
{
	return faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0;
}

/* The file or its directory: where SQLite would make its -shm. */
static bool
source_writable(const char *path)
{
	char *dir = xstrdup(path);
	bool w = writable(path) || writable(dirname(dir));

	free(dir);
	return w;
}

/* A log with nothing in it: missing or empty. */
static bool
source_log_empty(const char *path)
{
	char wal[4096];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &sb) == -1 ? errno == ENOENT : sb.st_size == 0;
}

/* A file: URI of path with immutable=1 ('%', '?' and '#' escaped). */
static char *
immutable_uri(const char *path)
{
	char *u = xmalloc(3 * strlen(path) + 32), *p = u;

	p += sprintf(p, "file:%s", path[0] == '/' ? "//" : "");
	for (; *path != '\0'; path++) {
		if (*path == '%' || *path == '?' || *path == '#')
			p += sprintf(p, "%%%02X", (unsigned char)*path);
		else
			*p++ = *path;
	}
	strcpy(p, "?immutable=1");
	return u;
}

/* Connect read-only and read the schema version: 0 or -1. */
static int
source_connect(struct store *s, bool immutable)
{
	char *uri = immutable ? immutable_uri(s->path) : NULL;
	int rc;

	rc = sqlite3_open_v2(uri != NULL ? uri : s->path, &s->db,
	                     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
	                         (uri != NULL ? SQLITE_OPEN_URI : 0),
	                     NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return store_fail(s, "open");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	/* Make sure it is a database at all before anything else. */
	if (exec_sql(s, "SELECT count(*) FROM sqlite_master") == -1)
		return -1;
	if (user_version(s, &s->schema) == -1)
		return -1;
	if (s->schema <= 0) {
		store_seterr(s, "not an ogi database (no schema)");
		return -1;
	}
	return 0;
}

/*
 * A WAL database is read through its -shm, which SQLite makes when it is
 * missing. On read-only media (a snapshot, a backup disk mounted
 * read-only, a 0444 file in a 0555 directory) it cannot, and the
 * read-only open fails. Only then, and only when neither the file nor its
 * directory is writable by us and its log holds nothing, the file is read
 * as immutable (no locks, no -shm, the log not looked at). Safe then:
 * nobody can be writing it (we cannot, and a writer of a WAL database
 * keeps a -shm beside it, which SQLite would have read), and all of it is
 * in the file. A log with commits in it is not read by an immutable
 * open: refused instead, naming it.
 */
int
store_open_source(const char *path, struct store **out)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct stat sb;

	store_configure_sqlite();
	s->readonly = true;
	s->path = xstrdup(path);
	*out = s;
	if (stat(path, &sb) == -1) {
		store_seterr(s, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (source_connect(s, false) == 0)
		return 0;
	if (source_writable(path))
		return -1;
	if (!source_log_empty(path)) {
		char why[sizeof(s->err)];

		memcpy(why, s->err, sizeof(why));
		store_seterr(s,
		             "%s: %s; its log %s-wal holds commits, and they"
		             " cannot be read where neither the file nor its"
		             " directory is writable: copy both files to a"
		             " writable directory",
		             path, why, path);
		return -1;
	}
	sqlite3_close(s->db);
	s->db = NULL;
	return source_connect(s, true);
}

int
store_schema(const struct store *s, int *current)
{
	*current = NMIGRATIONS;
	return s->schema;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	store_ckpt_stop(s);
	store_search_stop(s);
	store_refs_free(s);
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	for (i = 0; i < STORE_LIST_VARIANTS; i++)
		sqlite3_finalize(s->list_stmts[i]);
	if (s->db != NULL)
		sqlite3_close(s->db);
	if (!s->readonly)
		memcache_enable(false);
	free(s->path);
	free(s);
}

/* Transactions */

/*
 * SQLite rolls a whole transaction back on an I/O error or a full disk in
 * a statement that has no journal of its own (a page spilled to the log in
 * the middle of a batch). A SAVEPOINT then would begin another
 * transaction, and the batch's COMMIT would commit only the writes after
 * it, while those before were lost and answered as done. The rest of the
 * batch fails instead, and so does its COMMIT.
 */
static int
txn_lost(struct store *s, const char *what)
{
	if (!s->in_txn || sqlite3_get_autocommit(s->db) == 0)
		return 0;
	s->last_rc = SQLITE_ABORT_ROLLBACK;
	store_seterr(s,
	             "%s: an earlier error rolled the batch's transaction back",
	             what);
	return -1;
}

static int
run_simple(struct store *s, enum store_stmt which, const char *what)
{
	sqlite3_stmt *st = store_stmt(s, which);

	if (st == NULL)
		return -1;
	return store_exec_stmt(s, st, what);
}

int
store_begin(struct store *s)
{
	if (run_simple(s, STMT_BEGIN, "begin") == -1)
		return -1;
	s->in_txn = true;
	s->nseqs = 0;
	store_refs_begin(s);
	if (!s->hash_loaded && load_last_hash(s) == -1) {
		store_rollback(s);
		return -1;
	}
	memcpy(s->txn_hash, s->last_hash, 32);
	return 0;
}

int
store_commit(struct store *s)
{
	if (txn_lost(s, "commit") == -1 || store_app_seq_flush(s) == -1 ||
	    store_refs_merge(s) == -1 ||
	    (memcmp(s->last_hash, s->txn_hash, 32) != 0 &&
	     run_simple(s, STMT_CHAIN_HEAD, "chain head") == -1) ||
	    run_simple(s, STMT_COMMIT, "commit") == -1) {
		/* A failed COMMIT may leave the transaction open. */
		store_rollback(s);
		return -1;
	}
	s->in_txn = false;
	store_refs_committed(s);
	if (s->search_kick) {
		s->search_kick = false;
		store_search_kick(s);
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db) == 0) {
		sqlite3_stmt *st = store_stmt(s, STMT_ROLLBACK);

		if (st != NULL) {
			sqlite3_step(st);
			sqlite3_reset(st);
		}
	}
	/* The frames the transaction spilled into the log: lib/store_wal.c. */
	store_wal_discard(s->db);
	s->in_txn = false;
	s->search_kick = false;
	s->nseqs = 0;
	store_refs_rollback(s);
	memcpy(s->last_hash, s->txn_hash, 32);
}

int
store_unlink_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char buf[4096];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", path, suffix[i]);
		if (unlink(buf) == -1 && errno != ENOENT) {
			log_warn("unlink %s", buf);
			rc = -1;
		}
	}
	return rc;
}

bool
store_in_txn(const struct store *s)
{
	return s->in_txn;
}

bool
store_readonly(const struct store *s)
{
	return sqlite3_db_readonly(s->db, "main") == 1;
}

/*
 * A read transaction around the statements of one read, unless one is
 * open: each database's snapshot is fixed at its first read, so the
 * statements agree with each other. -1 on an error, else whether it began
 * one (for store_read_end).
 */
int
store_read_begin(struct store *s)
{
	sqlite3_stmt *st;

	if (!sqlite3_get_autocommit(s->db))
		return 0;
	if ((st = store_stmt(s, STMT_READ_BEGIN)) == NULL ||
	    store_exec_stmt(s, st, "begin") == -1)
		return -1;
	return 1;
}

/* Ended whatever happened, or the reader keeps its snapshot; s->err kept. */
void
store_read_end(struct store *s, int began)
{
	char keep_err[sizeof(s->err)];
	sqlite3_stmt *st;

	if (began != 1)
		return;
	memcpy(keep_err, s->err, sizeof(keep_err));
	if ((st = store_stmt(s, STMT_COMMIT)) != NULL) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	memcpy(s->err, keep_err, sizeof(keep_err));
}

int
store_savepoint(struct store *s)
{
	if (txn_lost(s, "savepoint") == -1)
		return -1;
	memcpy(s->sp_hash, s->last_hash, 32);
	return run_simple(s, STMT_SAVEPOINT, "savepoint");
}

int
store_release(struct store *s)
{
	return run_simple(s, STMT_RELEASE, "release");
}

int
store_txn_check(struct store *s)
{
	return txn_lost(s, "write");
}

int64_t
store_changes(struct store *s)
{
	return (int64_t)sqlite3_total_changes64(s->db);
}

void
store_abort(struct store *s)
{
	char keep[sizeof(s->err)];
	bool in_txn = s->in_txn;

	memcpy(keep, s->err, sizeof(keep));
	store_rollback(s);
	/* Still "in" it: txn_lost fails what follows, until the COMMIT. */
	s->in_txn = in_txn;
	memcpy(s->err, keep, sizeof(keep));
}

void
store_rollback_to(struct store *s)
{
	char keep[sizeof(s->err)];

	memcpy(keep, s->err, sizeof(keep));
	run_simple(s, STMT_ROLLBACK_TO, "rollback to");
	run_simple(s, STMT_RELEASE, "release");
	memcpy(s->err, keep, sizeof(keep));
	memcpy(s->last_hash, s->sp_hash, 32);
}

/* Users */

static void
row_to_user(sqlite3_stmt *st, struct store_user *u)
{
	const unsigned char *name;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	name = sqlite3_column_text(st, 1);
	snprintf(u->name, sizeof(u->name), "%s",
	         name ? (const char *)name : "");
	u->roles = (unsigned)sqlite3_column_int(st, 2);
	u->disabled = sqlite3_column_int(st, 3) != 0;
	u->epoch = sqlite3_column_int64(st, 4);
	u->created_at = sqlite3_column_int64(st, 5);
}

int
store_user_create(struct store *s, const char *name, unsigned roles,
                  const uint8_t hash[32], int64_t now, int64_t *id)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_INSERT);

	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	sqlite3_bind_int(st, 2, (int)roles);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	if (store_exec_stmt(s, st, "user insert") == -1)
		return -1;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int
user_one(struct store *s, sqlite3_stmt *st, struct store_user *u,
         const uint8_t *hash)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return STORE_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, "user");
		sqlite3_reset(st);
		return -1;
	}
	row_to_user(st, u);
	if (hash != NULL &&
	    (sqlite3_column_bytes(st, 6) != 32 ||
	     CRYPTO_memcmp(sqlite3_column_blob(st, 6), hash, 32) != 0)) {
		sqlite3_reset(st);
		return STORE_NOTFOUND;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_user_by_token(struct store *s, const uint8_t hash[32],
                    struct store_user *u)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_BY_TOKEN);

	if (st == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
	return user_one(s, st, u, hash);
}

int
store_user_by_name(struct store *s, const char *name, struct store_user *u)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_BY_NAME);

	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	return user_one(s, st, u, NULL);
}

int
store_user_by_id(struct store *s, int64_t id, struct store_user *u)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_BY_ID);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return user_one(s, st, u, NULL);
}

static void
user_row(sqlite3_stmt *st, void *elem)
{
	row_to_user(st, elem);
}

int
store_user_list(struct store *s, struct store_user **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_LIST);

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	return store_rows(s, st, sizeof(**out), user_row, NULL, (void **)out, n,
	                  "user list");
}

static int
user_change(struct store *s, sqlite3_stmt *st, const char *what)
{
	if (store_exec_stmt(s, st, what) == -1)
		return -1;
	return sqlite3_changes(s->db) == 0 ? STORE_NOTFOUND : 0;
}

int
store_user_disable(struct store *s, const char *name)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_DISABLE);

	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	return user_change(s, st, "user disable");
}

int
store_user_set_token(struct store *s, const char *name, const uint8_t hash[32])
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_SET_TOKEN);

	if (st == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
	bind_text(st, 2, name);
	return user_change(s, st, "user rotate");
}

int
store_user_count(struct store *s, int64_t *n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_USER_COUNT);

	if (st == NULL)
		return -1;
	if (store_step_row(s, st, "user count") == -1)
		return -1;
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* Meta */

int
store_meta_get(struct store *s, const char *key, char *val, size_t len)
{
	sqlite3_stmt *st = store_stmt(s, STMT_META_GET);
	int rc;

	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(val, len, "%s",
		         (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(s, "meta");
}

int
store_meta_set(struct store *s, const char *key, const char *val)
{
	sqlite3_stmt *st = store_stmt(s, STMT_META_SET);

	if (st == NULL)
		return -1;
	bind_text(st, 1, key);
	bind_text(st, 2, val);
	return store_exec_stmt(s, st, "meta set");
}

/* Operations */

/*
 * Every page of s into dst in one step, under one read transaction of the
 * source: a backup made in steps starts again from the first page
 * whenever another connection writes between two of them, and never
 * ended while ogid took 50 submits a second. A busy source is retried.
 */
static int
copy_pages(struct store *s, sqlite3 *dst)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
	int rc;

	if (b == NULL) {
		store_seterr(s, "%s", sqlite3_errmsg(dst));
		return -1;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		store_seterr(s, "%s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

int
store_backup(struct store *s, const char *out)
{
	sqlite3 *dst;
	int rc, fd;

	/*
	 * Made here, new and 0600 from the start (SQLite would make it 0644
	 * under the usual umask, readable until a chmod), and never through
	 * a symbolic link, dangling or not.
	 */
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          0600);
	if (fd == -1) {
		store_seterr(s, "%s: %s", out,
		             errno == EEXIST ? "already exists"
		                             : strerror(errno));
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(out, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		store_seterr(s, "%s: %s", out, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		unlink(out);
		return -1;
	}
	if (copy_pages(s, dst) == -1) {
		char why[sizeof(s->err)];

		memcpy(why, s->err, sizeof(why));
		store_seterr(s, "backup: %s", why);
		sqlite3_close(dst);
		unlink(out);
		return -1;
	}
	rc =
	    sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	sqlite3_close(dst);
	return rc == SQLITE_OK ? 0 : -1;
}

int
store_restore(struct store *s, const char *path)
{
	sqlite3 *dst;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		store_seterr(s, "%s: %s", path, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	sqlite3_extended_result_codes(dst, 1);
	sqlite3_busy_timeout(dst, 5000);
	if (copy_pages(s, dst) == -1) {
		char why[sizeof(s->err)];

		memcpy(why, s->err, sizeof(why));
		store_seterr(s, "%s: %s", path, why);
		sqlite3_close(dst);
		return -1;
	}
	/* Committed. Closing the last connection checkpoints a log into the
	 * file and removes it (or the next start does). */
	sqlite3_close(dst);
	return 0;
}

void
store_checkpoint(struct store *s)
{
	if (!store_ckpt_truncate(s))
		sqlite3_wal_checkpoint_v2(
		    s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int
store_integrity_check(struct store *s, char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int rc, bad = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st,
	                       NULL) != SQLITE_OK)
		return store_fail(s, "integrity_check");
	msg[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		if (t != NULL && strcmp(t, "ok") != 0 && !bad) {
			snprintf(msg, msglen, "%s", t);
			bad = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "integrity_check");
	return bad ? 1 : 0;
}
