/*
 * The checkpointer: a thread with its own connection to the database that
 * copies the write-ahead log into the database file, so that no COMMIT on
 * the loop thread does. SQLite's auto-checkpoint ran inside whichever
 * COMMIT found the log past 1000 pages: that COMMIT copied the log and
 * fsynced the database before the writers of its batch were answered.
 *
 * The writer's connection reports every commit (sqlite3_wal_hook, on the
 * loop thread): the hook notes the size of the log under the mutex and
 * wakes the thread each time the log has grown by CKPT_PAGES frames since
 * the thread's last pass or its restart (and at the first commit on an
 * empty log, to
 * start the idle clock below). The thread then runs a PASSIVE checkpoint,
 * which takes no lock that the writer or a reader waits for. Its writes
 * into the database go out as they are made (lib/store_trickle.c), not all
 * at its sync.
 *
 * A checkpoint does not shrink the log. The next write transaction starts
 * it again from the beginning only if, when it began, a checkpoint had
 * copied everything and no reader still needed the log. Under sustained
 * writes the next batch usually begins while the checkpoint is still
 * copying the last one, so the log restarts only now and then (under 64
 * connections and ~30,000 submits a second, at up to ~85 MiB, where
 * auto-checkpoint kept it under 8; its file keeps that size, see
 * journal_size_limit in lib/store.c). Two things bound it:
 *
 * - Past CKPT_MAX_PAGES the thread runs a RESTART checkpoint: it catches
 *   the gap between two batches, takes the writer's lock, copies what the
 *   last batch added and syncs; the next BEGIN, kept waiting that long by
 *   the writer's busy handler, restarts the log. This is the one time the
 *   loop thread waits for the checkpointer, once per 64 MiB of log at most.
 *   If it finds no gap, the writer's next commits copy the rest themselves
 *   (ckpt_hook), and the BEGIN after restarts the log.
 * - Once no commit has come for CKPT_IDLE_MS, the thread empties the log
 *   (TRUNCATE), under the writer's lock too, but with nobody writing.
 *
 * Both follow a PASSIVE pass and are skipped if it could not copy
 * everything: then a reader's old snapshot (ogid backup, ogid verify, a
 * sqlite3 shell) holds the log back whatever we do, and they would only
 * hold the writer's lock while waiting for it. Both give up after
 * CKPT_BUSY_MS.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

/*
 * Frames the log grows by between two passes: 4 times SQLite's
 * wal_autocheckpoint. A page written by many commits (an index's last
 * leaf, the counter) is copied once per checkpoint, so fewer, larger
 * checkpoints copy fewer pages and sync the database less often.
 *
 * Until 2026-11-27 the thread was woken by every commit once the log was
 * past CKPT_PAGES, which under a stream of submits meant a pass, and a
 * sync of the database, per commit (~250 a second, the checkpointer busy
 * a third of the time), each sync a flush of the disk's cache beside the
 * writer's own. Once per CKPT_PAGES, with the trickled writes, submits
 * rose ~10% and the loop's syncs waited less (see store_trickle.c).
 */
#define CKPT_PAGES 4000
#define CKPT_MAX_PAGES 16384   /* 64 MiB of log: make the writer restart it */
#define CKPT_IDLE_MS 1000      /* no commit for this long: truncate the log */
#define CKPT_IDLE_MAX_MS 64000 /* ... retried up to this far apart */
#define CKPT_BUSY_MS 50        /* RESTART, TRUNCATE wait this long for locks */
#define CKPT_POLL_US 100       /* ... looking this often */

/* What the thread is asked to do, in increasing order. */
enum ckpt_want {
	CKPT_NONE,
	CKPT_PASSIVE,
	CKPT_RESTART,
	CKPT_TRUNCATE,
};

struct store_ckpt {
	sqlite3 *db; /* the thread's own; used by it alone once started */
	pthread_t thread;
	pthread_mutex_t mu; /* held for a few loads and stores, never longer */
	pthread_cond_t cv;
	/* Under mu. */
	uint64_t commits;    /* commits reported by the hook */
	int pages;           /* frames in the log at the last commit */
	int restart_at;      /* frames at which to force a restart */
	int passive_at;      /* frames at which to copy the log again */
	bool restart_failed; /* the RESTART found no gap: the writer's turn */
	enum ckpt_want want; /* asked by the hook or store_ckpt_truncate */
	bool waiting;        /* the thread sleeps on cv */
	bool clean_wait;     /* ... until the first commit after an empty log */
	bool stop;
	uint64_t restarts, frames; /* for the line logged at the end */
	/* The hook's own (loop thread), read after the join. */
	int max_pages;
	/* The thread's own, read after the join. */
	uint64_t passive, forced, truncated;
	unsigned failed; /* checkpoints failed in a row */
};

/*
 * On the writer's thread, after every COMMIT: npages is the number of
 * frames in the log. Must not wait for the checkpointer: the mutex is
 * only ever held for a few instructions.
 */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int npages)
{
	struct store_ckpt *c = arg;
	enum ckpt_want want = CKPT_NONE;
	bool wake = false, own;

	if (npages > c->max_pages)
		c->max_pages = npages;
	pthread_mutex_lock(&c->mu);
	if (npages < c->pages) {
		/* The log started again from the beginning. */
		c->restarts++;
		c->frames += (uint64_t)npages;
		c->restart_at = CKPT_MAX_PAGES;
		c->passive_at = CKPT_PAGES;
		c->restart_failed = false;
	} else
		c->frames += (uint64_t)(npages - c->pages);
	c->pages = npages;
	c->commits++;
	if (npages >= c->restart_at)
		want = CKPT_RESTART;
	else if (npages >= c->passive_at)
		want = CKPT_PASSIVE;
	if (want > c->want) {
		c->want = want;
		wake = c->waiting;
	}
	/* The first commit on an empty log starts the idle clock: a log
	 * that never reaches CKPT_PAGES is emptied too. */
	if (c->clean_wait)
		wake = true;
	/*
	 * A writer that never lets go of its lock between commits (bench/gen,
	 * a bulk load, 8 connections under the sanitizers) leaves the
	 * checkpointer no gap for the RESTART: the log grew to 3 GB. Once the
	 * RESTART has failed (or past twice the bound) the writer copies the
	 * rest itself, between its own transactions (the checkpointer has
	 * copied most of it), so that its next one starts the log again.
	 * PASSIVE: if the checkpointer is at it, this returns at once and the
	 * next commit tries again.
	 */
	own = c->restart_failed || npages >= 2 * CKPT_MAX_PAGES;
	pthread_mutex_unlock(&c->mu);
	if (wake)
		pthread_cond_signal(&c->cv);
	if (own)
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		                          NULL, NULL);
	return SQLITE_OK;
}

/*
 * The checkpointer's busy handler: RESTART and TRUNCATE wait for the
 * writer's lock (between two batches) and for readers to leave the log.
 * Polled often, so that the gap between two batches is caught; given up
 * after CKPT_BUSY_MS, so that a reader with an old snapshot does not keep
 * the writer's lock from the writer.
 */
static int
ckpt_busy(void *arg, int n)
{
	struct timespec ts = { 0, CKPT_POLL_US * 1000L };

	if (n >= CKPT_BUSY_MS * 1000 / CKPT_POLL_US)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/*
 * One checkpoint in mode; SQLITE_BUSY (someone in the way) is no error.
 * True if everything in the log is now in the database.
 */
static bool
ckpt_run(struct store_ckpt *c, int mode)
{
	int rc, nlog = -1, ncopied = -1;

	rc = sqlite3_wal_checkpoint_v2(c->db, NULL, mode, &nlog, &ncopied);
	/* Logged once per run of failures: a full disk fails them all. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		if (c->failed++ == 0)
			log_warnx("store: checkpoint: %s",
			          sqlite3_errmsg(c->db));
		return false;
	}
	if (rc == SQLITE_OK)
		c->failed = 0;
	return rc == SQLITE_OK && nlog == ncopied;
}

/*
 * PASSIVE first, in every case: RESTART and TRUNCATE hold the writer's
 * lock while they copy, so they should find (almost) nothing left to copy;
 * and if PASSIVE could not copy everything, a reader's snapshot still
 * needs the log, and they would only hold that lock while waiting for it.
 * True if done: copied, and for RESTART and TRUNCATE, the log let go.
 */
static bool
ckpt_do(struct store_ckpt *c, enum ckpt_want want)
{
	bool all = ckpt_run(c, SQLITE_CHECKPOINT_PASSIVE);

	c->passive++;
	if (want == CKPT_PASSIVE || !all)
		return all;
	if (!ckpt_run(c, want == CKPT_RESTART ? SQLITE_CHECKPOINT_RESTART
	                                      : SQLITE_CHECKPOINT_TRUNCATE))
		return false;
	if (want == CKPT_RESTART)
		c->forced++;
	else
		c->truncated++;
	return true;
}

static void
ckpt_sleep(struct store_ckpt *c, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	c->waiting = true;
	pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	c->waiting = false;
}

static void *
ckpt_main(void *arg)
{
	struct store_ckpt *c = arg;
	uint64_t clean = 0; /* commits when the log was last emptied */
	uint64_t seen;
	int idle = CKPT_IDLE_MS;
	enum ckpt_want want;
	bool emptied, done;

	store_thread_background();
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (c->want != CKPT_NONE) {
			want = c->want;
			c->want = CKPT_NONE;
			if (want == CKPT_RESTART)
				/* Once per CKPT_MAX_PAGES, done or not. */
				c->restart_at = c->pages + CKPT_MAX_PAGES;
			/* The next pass once the log has grown as much again,
			 * not after every commit past CKPT_PAGES. */
			c->passive_at = c->pages + CKPT_PAGES;
			pthread_mutex_unlock(&c->mu);
			done = ckpt_do(c, want);
			pthread_mutex_lock(&c->mu);
			if (want == CKPT_RESTART && !done)
				c->restart_failed = true;
			continue;
		}
		if (c->commits == clean) {
			/* Nothing written since the log was emptied. */
			c->waiting = c->clean_wait = true;
			pthread_cond_wait(&c->cv, &c->mu);
			c->waiting = c->clean_wait = false;
			continue;
		}
		seen = c->commits;
		ckpt_sleep(c, idle);
		if (c->stop || c->want != CKPT_NONE || c->commits != seen)
			continue;
		pthread_mutex_unlock(&c->mu);
		emptied = ckpt_do(c, CKPT_TRUNCATE);
		pthread_mutex_lock(&c->mu);
		if (emptied) {
			clean = seen;
			idle = CKPT_IDLE_MS;
		} else if (idle < CKPT_IDLE_MAX_MS)
			/* A reader holds the log: ask again, less and less
			 * often. */
			idle *= 2;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
store_ckpt_start(struct store *s, const char *path, bool sync_full)
{
	struct store_ckpt *c = xcalloc(1, sizeof(*c));
	pthread_condattr_t ca;
	int rc;

	if (sqlite3_open_v2(path, &c->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    store_trickle_register()) != SQLITE_OK)
		goto fail;
	/*
	 * A checkpoint syncs as the connection's synchronous says. Reading
	 * once opens the log: a connection that never read has none to
	 * checkpoint.
	 */
	sqlite3_busy_handler(c->db, ckpt_busy, NULL);
	if (sqlite3_exec(c->db,
	                 sync_full ? "PRAGMA synchronous = FULL"
	                           : "PRAGMA synchronous = NORMAL",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL,
	                 NULL, NULL) != SQLITE_OK)
		goto fail;
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		fatalx("store: pthread_mutex_init");
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->cv, &ca) != 0)
		fatalx("store: pthread_cond_init");
	pthread_condattr_destroy(&ca);
	c->restart_at = CKPT_MAX_PAGES; /* set before the thread reads them */
	c->passive_at = CKPT_PAGES;
	if ((rc = pthread_create(&c->thread, NULL, ckpt_main, c)) != 0) {
		errno = rc;
		fatal("store: pthread_create");
	}
	/*
	 * From here on the writer's commits wake the thread instead of
	 * checkpointing themselves: a WAL hook replaces SQLite's
	 * auto-checkpoint, which is one.
	 */
	sqlite3_wal_hook(s->db, ckpt_hook, c);
	s->ckpt = c;
	return 0;
fail:
	snprintf(s->err, sizeof(s->err), "checkpointer: %s",
	         c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
	s->last_rc = c->db != NULL ? sqlite3_extended_errcode(c->db) : 0;
	sqlite3_close(c->db);
	free(c);
	return -1;
}

void
store_ckpt_stop(struct store *s)
{
	struct store_ckpt *c = s->ckpt;

	if (c == NULL)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_mutex_unlock(&c->mu);
	pthread_cond_signal(&c->cv);
	pthread_join(c->thread, NULL);
	if (c->commits > 0)
		log_info("event=checkpointer commits=%llu frames=%llu"
		         " log_restarts=%llu max_log_pages=%d passive=%llu"
		         " forced_restart=%llu truncated=%llu",
		         (unsigned long long)c->commits,
		         (unsigned long long)c->frames,
		         (unsigned long long)c->restarts, c->max_pages,
		         (unsigned long long)c->passive,
		         (unsigned long long)c->forced,
		         (unsigned long long)c->truncated);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
	s->ckpt = NULL;
}

bool
store_ckpt_truncate(struct store *s)
{
	struct store_ckpt *c = s->ckpt;
	bool wake;

	if (c == NULL)
		return false;
	pthread_mutex_lock(&c->mu);
	c->want = CKPT_TRUNCATE;
	wake = c->waiting;
	pthread_mutex_unlock(&c->mu);
	if (wake)
		pthread_cond_signal(&c->cv);
	return true;
}
