/*
 * The search index: an FTS5 trigram table in a database of its own next
 * to the main one (<db>.search), written by a thread of its own.
 *
 * Indexing an application's text costs about as much CPU as everything
 * else app.submit does (30 µs a row on the bench machine, whatever the
 * batch size), and a search index inside the main database has to be
 * written by the loop thread that holds the write lock. Here it is derived
 * data, written on the other core: the indexer reads committed rows
 * through its own connection (the main database attached as "app") and
 * never takes the main database's write lock.
 *
 * The index may lag the applications by a batch. A search covers the lag
 * exactly: the index says how far it got (meta "last": every application
 * up to that rowid is indexed; "dirty": every text change in the main
 * database's search_dirty table up to that sequence number is applied),
 * and app.list checks the text of the rows past it directly
 * (lib/store_list.c). The index is rebuilt from scratch when it is missing,
 * of another version, or does not match the main database (a restored
 * backup); searches scan until it has caught up.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

#define SEARCH_VERSION 3 /* 2: keyed by SEARCH_KEY; 3: lower()ed text */
/*
 * Rows per indexing transaction, and how long rows gather before it. Each
 * such transaction writes an FTS5 segment, and segments are merged level
 * by level, so fewer and bigger ones cost less per row. At 2000 rows and
 * 250 ms, under a stream of submits, the indexer took ~12 us of CPU and
 * wrote ~3 KB to disk per application, and the loop thread's log syncs
 * waited behind those writes: app.submit ran ~15% faster with no indexer
 * at all. At 16000 rows and 1 s: ~8.5 us and ~1.5 KB, and ~7% more
 * submits. A search covers the longer lag by scanning the rows past the
 * index (lib/store_list.c).
 */
#define SEARCH_BATCH 16000
#define SEARCH_LINGER_MS 1000
#define SEARCH_AUTOMERGE 8 /* FTS5 segments a level holds before a merge */

struct store_search {
	char *path;
	char *app_path;
	sqlite3 *db; /* the indexer's: <db>.search, with "app" attached */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, started;
	atomic_bool stop; /* read by the indexer between batches */
	/* search_dirty's seq the index has applied (its committed "dirty"),
	 * published for pruning; the loop thread reads it. */
	_Atomic int64_t applied;
};

static const char search_schema[] =
    "CREATE VIRTUAL TABLE fts USING fts5(id, name, description,"
    " tokenize='trigram case_sensitive 1');"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL);"
    "INSERT INTO meta VALUES ('last', 0), ('last_id', ''), ('dirty', 0);";

static char *
store_search_path(const char *db_path)
{
	size_t n = strlen(db_path) + sizeof(".search");
	char *p = xmalloc(n);

	snprintf(p, n, "%s.search", db_path);
	return p;
}

static int
search_exec(sqlite3 *db, const char *text, char *err, size_t len)
{
	char *msg = NULL;

	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, len, "search index: %s",
		         msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* One integer (or text copied into buf) from a one-row query; -1 if none. */
static int
search_value(sqlite3 *db, const char *text, int64_t arg, int64_t *v, char *buf,
             size_t len)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (v != NULL)
			*v = sqlite3_column_int64(st, 0);
		if (buf != NULL) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			snprintf(buf, len, "%s", t ? (const char *)t : "");
		}
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* How far the index got: meta last, last_id (64 bytes) and dirty. */
static int
search_progress(sqlite3 *db, int64_t *last, char *last_id, int64_t *dirty)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db,
	                       "SELECT (SELECT value FROM meta WHERE key ="
	                       " 'last'), (SELECT value FROM meta WHERE key ="
	                       " 'last_id'), (SELECT value FROM meta WHERE"
	                       " key = 'dirty')",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_type(st, 2) != SQLITE_NULL) {
		const unsigned char *id = sqlite3_column_text(st, 1);

		*last = sqlite3_column_int64(st, 0);
		*dirty = sqlite3_column_int64(st, 2);
		snprintf(last_id, 64, "%s", id ? (const char *)id : "");
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Does the index describe this main database? Its version, and the row it
 * says it indexed last is still there with the same id; the text changes
 * it applied are not more than the main database has, and none it has
 * still to apply was pruned (an index rolled back by a power cut, its
 * database being synchronous = NORMAL, or restored from an older copy).
 */
static bool
search_matches(sqlite3 *db)
{
	int64_t version, last, dirty, max_dirty, min_dirty;
	char last_id[64], id[64];

	if (search_value(db, "PRAGMA user_version", 0, &version, NULL, 0) ==
	        -1 ||
	    version != SEARCH_VERSION)
		return false;
	if (search_progress(db, &last, last_id, &dirty) == -1 ||
	    search_value(db,
	                 "SELECT coalesce(max(seq), 0) FROM app.search_dirty",
	                 0, &max_dirty, NULL, 0) == -1)
		return false;
	if (dirty > max_dirty)
		return false;
	if (last == 0) /* nothing indexed: every row comes with its text */
		return true;
	if (search_value(db,
	                 "SELECT coalesce(min(seq), 1) FROM app.search_dirty",
	                 0, &min_dirty, NULL, 0) == -1 ||
	    dirty < min_dirty - 1)
		return false;
	if (search_value(db, "SELECT id FROM app.apps WHERE rowid = ?", last,
	                 NULL, id, sizeof(id)) == -1)
		return false;
	return strcmp(id, last_id) == 0;
}

int
store_search_remove(const char *db_path)
{
	char *path = store_search_path(db_path);
	int rc = store_unlink_db(path);

	free(path);
	return rc;
}

static bool
search_empty(sqlite3 *db)
{
	int64_t n = -1;

	search_value(db, "SELECT count(*) FROM sqlite_master", 0, &n, NULL, 0);
	return n == 0;
}

static int
search_create(sqlite3 *db, char *err, size_t len)
{
	char pragma[64];

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	         SEARCH_VERSION);
	if (search_exec(db, "BEGIN", err, len) == -1)
		return -1;
	if (search_exec(db, search_schema, err, len) == -1 ||
	    search_exec(db, pragma, err, len) == -1 ||
	    search_exec(db, "COMMIT", err, len) == -1) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * The indexer's connection: the index as main, the applications attached
 * as "app". An index that does not match is removed and made again.
 */
/*
 * FTS5 merges the segments of a level once it holds "automerge" of them, 4
 * by default: a row's postings were then copied again at every fourth
 * indexing commit of its level, and merging was two thirds of the
 * indexer's work (~145k instructions a submit, callgrind). At 8 a row is
 * copied about half as often (~105k); a search looks in a few more
 * segments. Kept in the index's config table; set when it differs.
 */
static int
search_tune(sqlite3 *db, char *err, size_t len)
{
	char sql[96];
	int64_t v = -1;

	if (search_value(db, "SELECT v FROM fts_config WHERE k = 'automerge'",
	                 0, &v, NULL, 0) == 0 &&
	    v == SEARCH_AUTOMERGE)
		return 0;
	snprintf(sql, sizeof(sql),
	         "INSERT INTO fts(fts, rank) VALUES ('automerge', %d)",
	         SEARCH_AUTOMERGE);
	return search_exec(db, sql, err, len);
}

static int
search_open(struct store_search *x, char *err, size_t len)
{
	sqlite3_stmt *st;
	int attempt, rc, fd;

	for (attempt = 0; attempt < 2; attempt++) {
		/*
		 * Applicants' names and the descriptions are in it: made
		 * 0600 before SQLite opens it, so that its -wal and -shm,
		 * which take its mode, are too.
		 */
		if ((fd = open(x->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
		        -1 ||
		    fchmod(fd, 0600) == -1) {
			snprintf(err, len, "search index %s: %s", x->path,
			         strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
		/* Its writes go out as they are made (store_trickle.c). */
		if (sqlite3_open_v2(x->path, &x->db,
		                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		                        SQLITE_OPEN_NOMUTEX,
		                    store_trickle_register()) != SQLITE_OK) {
			snprintf(err, len, "search index %s: %s", x->path,
			         sqlite3_errmsg(x->db));
			return -1;
		}
		sqlite3_busy_timeout(x->db, 5000);
		if (search_exec(x->db,
		                "PRAGMA journal_mode = WAL;"
		                " PRAGMA synchronous = NORMAL;"
		                " PRAGMA cache_size = -4096",
		                err, len) == -1) {
			/* Not a database (a torn or foreign file): make it
			 * anew, once. */
			if (attempt > 0 ||
			    sqlite3_errcode(x->db) != SQLITE_NOTADB)
				return -1;
			log_info("event=search_rebuild path=%s reason=\"%s\"",
			         x->path, err);
			sqlite3_close(x->db);
			x->db = NULL;
			store_unlink_db(x->path);
			continue;
		}
		if (sqlite3_prepare_v2(x->db, "ATTACH DATABASE ? AS app", -1,
		                       &st, NULL) != SQLITE_OK) {
			snprintf(err, len, "search index: attach: %s",
			         sqlite3_errmsg(x->db));
			return -1;
		}
		sqlite3_bind_text(st, 1, x->app_path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			snprintf(err, len, "search index: attach: %s",
			         sqlite3_errmsg(x->db));
			return -1;
		}
		if (search_matches(x->db))
			return search_tune(x->db, err, len);
		if (search_empty(x->db)) {
			/* A new file: make the tables. */
			if (search_create(x->db, err, len) == -1)
				return -1;
			if (search_matches(x->db))
				return search_tune(x->db, err, len);
		}
		if (attempt == 0)
			log_info("event=search_rebuild path=%s", x->path);
		sqlite3_close(x->db);
		x->db = NULL;
		store_unlink_db(x->path);
	}
	snprintf(err, len, "search index %s: cannot be made anew", x->path);
	return -1;
}

/*
 * The text indexed: name and description through SQLite's lower(), and
 * the index case-sensitive, so that it finds exactly what app.list's text
 * check finds (instr on lower() of both sides; store_list.c TEXT_HAS), and
 * a query gets the same rows whichever plan serves it. The trigram
 * tokenizer's own folding covers more of Unicode than lower() does
 * (without ICU, ASCII only): "ÄÖÜ" found "äöü" through the index but not
 * by the text.
 */
#define SEARCH_TEXT "lower(name), lower(description)"

/* The statements of one indexing transaction. */
enum {
	Q_ROWS,  /* the next applications past "last" */
	Q_INS,   /* one into the index */
	Q_DIRTY, /* the next text changes past "dirty" */
	Q_DEL,   /* one out of the index */
	Q_AGAIN, /* one into the index again, with its text now */
	Q_META,  /* meta key ?2 = ?1 */
	Q__COUNT
};
static const char *batch_sql[Q__COUNT] = {
	/* Rowids past 32 bits (a row added by hand) stay past the index
	 * (SEARCH_KEY): app.list finds them by their text. */
	[Q_ROWS] = "SELECT " SEARCH_KEY ", id, " SEARCH_TEXT ", rowid"
	           " FROM app.apps WHERE rowid > ? AND rowid < 4294967296"
	           " ORDER BY rowid LIMIT ?",
	[Q_INS] = "INSERT INTO fts(rowid, id, name, description)"
	          " VALUES (?, ?, ?, ?)",
	[Q_DIRTY] = "SELECT seq, app_rowid FROM app.search_dirty"
	            " WHERE seq > ? ORDER BY seq LIMIT ?",
	[Q_DEL] = "DELETE FROM fts WHERE rowid = (SELECT " SEARCH_KEY
	          " FROM app.apps WHERE rowid = ?)",
	[Q_AGAIN] = "INSERT INTO fts(rowid, id, name, description)"
	            " SELECT " SEARCH_KEY ", id, " SEARCH_TEXT
	            " FROM app.apps WHERE rowid = ?",
	[Q_META] = "UPDATE meta SET value = ?1 WHERE key = ?2",
};

/* Step st once to its end and reset it: true if done. */
static bool
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

static bool
set_meta(sqlite3_stmt *st, const char *key, int64_t v, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return step_done(st);
}

/*
 * One transaction: the next applications past "last", then the text
 * changes past "dirty" for rows already indexed (newer rows are indexed
 * with their final text). Returns the rows done, or -1.
 */
static int
search_batch(sqlite3 *db, int64_t *applied, char *err, size_t len)
{
	sqlite3_stmt *q[Q__COUNT] = { NULL };
	int64_t last = 0, dirty = 0, rowid;
	char last_id[64] = "";
	int done = 0, rc = -1, i;

	if (search_exec(db, "BEGIN", err, len) == -1)
		return -1;
	for (i = 0; i < Q__COUNT; i++)
		if (sqlite3_prepare_v2(db, batch_sql[i], -1, &q[i], NULL) !=
		    SQLITE_OK)
			goto out;
	if (search_progress(db, &last, last_id, &dirty) == -1)
		goto out;

	sqlite3_bind_int64(q[Q_ROWS], 1, last);
	sqlite3_bind_int(q[Q_ROWS], 2, SEARCH_BATCH);
	while ((rc = sqlite3_step(q[Q_ROWS])) == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			sqlite3_bind_value(q[Q_INS], i + 1,
			                   sqlite3_column_value(q[Q_ROWS], i));
		if (!step_done(q[Q_INS]))
			goto out;
		last = sqlite3_column_int64(q[Q_ROWS], 4);
		snprintf(last_id, sizeof(last_id), "%s",
		         (const char *)sqlite3_column_text(q[Q_ROWS], 1));
		done++;
	}
	if (rc != SQLITE_DONE)
		goto out;

	sqlite3_bind_int64(q[Q_DIRTY], 1, dirty);
	sqlite3_bind_int(q[Q_DIRTY], 2, SEARCH_BATCH);
	while ((rc = sqlite3_step(q[Q_DIRTY])) == SQLITE_ROW) {
		dirty = sqlite3_column_int64(q[Q_DIRTY], 0);
		rowid = sqlite3_column_int64(q[Q_DIRTY], 1);
		done++;
		if (rowid > last)
			continue;
		sqlite3_bind_int64(q[Q_DEL], 1, rowid);
		sqlite3_bind_int64(q[Q_AGAIN], 1, rowid);
		if (!step_done(q[Q_DEL]) || !step_done(q[Q_AGAIN]))
			goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	rc = -1;
	if (!set_meta(q[Q_META], "last", last, NULL) ||
	    !set_meta(q[Q_META], "last_id", 0, last_id) ||
	    !set_meta(q[Q_META], "dirty", dirty, NULL))
		goto out;
	rc = 0;
out:
	if (rc != 0)
		snprintf(err, len, "search index: %s", sqlite3_errmsg(db));
	for (i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(q[i]);
	if (rc == 0 && search_exec(db, "COMMIT", err, len) == 0) {
		*applied = dirty;
		return done;
	}
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Index everything there is now: rows done, or -1. */
static int64_t
search_catch_up(struct store_search *x, char *err, size_t len, bool stoppable)
{
	int64_t total = 0, applied;
	int n;

	do {
		if ((n = search_batch(x->db, &applied, err, len)) == -1)
			return -1;
		atomic_store(&x->applied, applied);
		total += n;
	} while (n > 0 && (!stoppable || !atomic_load(&x->stop)));
	return total;
}

/*
 * Let the rows of a few commits gather before indexing them: every
 * indexing commit writes an FTS5 segment and merges segments, which costs
 * more than the rows of a small batch (about 240k instructions a row in
 * batches of 30, the indexer's commit two thirds of it). Called and
 * returns with x->mu held.
 */
static void
search_linger(struct store_search *x)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += SEARCH_LINGER_MS / 1000;
	ts.tv_nsec += SEARCH_LINGER_MS % 1000 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!atomic_load(&x->stop))
		if (pthread_cond_timedwait(&x->cv, &x->mu, &ts) == ETIMEDOUT)
			break;
}

static void *
search_main(void *arg)
{
	struct store_search *x = arg;
	char err[512];
	bool failed = false;

	store_thread_background();
	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (!x->kicked && !atomic_load(&x->stop)) {
			if (failed) {
				/* Try again in a while (a full disk). */
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += 5;
				if (pthread_cond_timedwait(&x->cv, &x->mu,
				                           &ts) == ETIMEDOUT)
					break;
			} else
				pthread_cond_wait(&x->cv, &x->mu);
		}
		if (atomic_load(&x->stop))
			break;
		search_linger(x);
		if (atomic_load(&x->stop))
			break;
		x->kicked = false;
		pthread_mutex_unlock(&x->mu);
		if (search_catch_up(x, err, sizeof(err), true) == -1) {
			if (!failed)
				log_warnx("%s (searches scan the rows not"
				          " indexed)",
				          err);
			failed = true;
		} else
			failed = false;
		pthread_mutex_lock(&x->mu);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* The indexer's state and connection, without its thread. */
static int
search_prepare(struct store *s)
{
	struct store_search *x;
	pthread_condattr_t ca;

	if (s->search != NULL)
		return 0;
	x = xcalloc(1, sizeof(*x));
	x->app_path = xstrdup(s->path);
	x->path = store_search_path(s->path);
	pthread_mutex_init(&x->mu, NULL);
	/* Waits are timed on the monotonic clock: a clock set back does
	 * not stretch them. */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&x->cv, &ca) != 0)
		fatalx("search index: pthread_cond_init");
	pthread_condattr_destroy(&ca);
	atomic_init(&x->stop, false);
	atomic_init(&x->applied, 0);
	s->search = x;
	return search_open(x, s->err, sizeof(s->err));
}

int
store_search_start(struct store *s)
{
	struct store_search *x;

	if (search_prepare(s) == -1)
		return -1;
	x = s->search;
	if (x->started)
		return 0;
	x->kicked = true; /* catch up with what was written meanwhile */
	if ((errno = pthread_create(&x->thread, NULL, search_main, x)) != 0) {
		snprintf(s->err, sizeof(s->err), "search index: thread: %s",
		         strerror(errno));
		return -1;
	}
	x->started = true;
	return 0;
}

void
store_search_kick(struct store *s)
{
	struct store_search *x = s->search;

	if (x == NULL || !x->started)
		return;
	/* Once kicked, the indexer is lingering or about to index: waking
	 * it at every commit only costs the loop thread a futex call. */
	pthread_mutex_lock(&x->mu);
	if (!x->kicked) {
		x->kicked = true;
		pthread_cond_signal(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
}

void
store_search_stop(struct store *s)
{
	struct store_search *x = s->search;

	if (x == NULL)
		return;
	if (x->started) {
		pthread_mutex_lock(&x->mu);
		atomic_store(&x->stop, true);
		pthread_cond_signal(&x->cv);
		pthread_mutex_unlock(&x->mu);
		pthread_join(x->thread, NULL);
	}
	if (x->db != NULL)
		sqlite3_close(x->db);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x->path);
	free(x->app_path);
	free(x);
	s->search = NULL;
}

int
store_search_attach(struct store *s)
{
	sqlite3_stmt *st;
	char *path = store_search_path(s->path);
	int rc;

	if (sqlite3_prepare_v2(s->db, "ATTACH DATABASE ? AS search", -1, &st,
	                       NULL) != SQLITE_OK) {
		free(path);
		return store_fail(s, "attach search index");
	}
	sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(path);
	if (rc != SQLITE_DONE)
		return store_fail(s, "attach search index");
	s->search_attached = true;
	return 0;
}

int
store_search_build(struct store *s)
{
	struct store_search *x;
	int64_t n;

	if (search_prepare(s) == -1)
		return -1;
	x = s->search;
	n = search_catch_up(x, s->err, sizeof(s->err), false);
	store_search_stop(s);
	return n < 0 ? -1 : 0;
}

int64_t
store_search_applied(struct store *s)
{
	return s->search != NULL ? atomic_load(&s->search->applied) : 0;
}

int
store_search_prune(struct store *s, int64_t upto)
{
	sqlite3_stmt *st;

	if (upto <= 0 || s->readonly || s->in_txn)
		return 0;
	if ((st = store_stmt(s, STMT_SEARCH_PRUNE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, upto);
	return store_exec_stmt(s, st, "search prune");
}
