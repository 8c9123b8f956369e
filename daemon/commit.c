/*
 * Group commit (DESIGN.md): writes that arrive in the same turn of the
 * event loop share one transaction. Each write runs inside its own
 * SAVEPOINT; the COMMIT runs from a low-priority event once the loop has
 * drained what is readable, and only then are the writers answered and
 * the events pushed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../lib/log.h"
#include "../lib/store.h"
#include "../lib/xmalloc.h"
#include "appcache.h"
#include "events.h"
#include "ogid.h"
#include "timers.h"

static struct event *commit_ev;    /* low priority: after the reads */
static struct event *commit_timer; /* fallback: at most one loop pass */
static struct conn **waiters;
static size_t nwaiters, capwaiters;
static unsigned long long commits, writes;
static unsigned long long failed_run; /* commits failed in a row */
static char failed_why[256];          /* the first of them: why */

/*
 * search_dirty is pruned every prune_period seconds, up to what the
 * indexer had applied one period before (see store_search_prune: a reader
 * may hold an older snapshot of the index than of the applications).
 * OGID_SEARCH_PRUNE_SECONDS shortens the period for tests.
 */
#define PRUNE_PERIOD 60
static time_t prune_period, prune_at;
static int64_t prune_mark, pruned;

static void commit_cb(evutil_socket_t, short, void *);

void
commit_init(struct event_base *base)
{
	const char *p;
	long secs;

	commit_ev = event_new(base, -1, 0, commit_cb, NULL);
	if (commit_ev == NULL)
		fatalx("commit: event_new");
	event_priority_set(commit_ev, 1);
	/*
	 * While clients keep the loop busy at priority 0 the low-priority
	 * event would never run: a zero timeout at priority 0 commits on the
	 * next pass anyway, after every read already active in this one.
	 */
	commit_timer = evtimer_new(base, commit_cb, NULL);
	if (commit_timer == NULL)
		fatalx("commit: evtimer_new");
	event_priority_set(commit_timer, 0);

	p = getenv("OGID_SEARCH_PRUNE_SECONDS");
	secs = p != NULL ? strtol(p, NULL, 10) : 0;
	prune_period = secs > 0 ? (time_t)secs : PRUNE_PERIOD;
	prune_at = 0;
	prune_mark = pruned = 0;
}

unsigned long long
commit_failing(const char **why)
{
	*why = failed_run > 0 ? failed_why : NULL;
	return failed_run;
}

void
commit_free(void)
{
	if (commit_ev != NULL)
		event_free(commit_ev);
	if (commit_timer != NULL)
		event_free(commit_timer);
	commit_ev = commit_timer = NULL;
	free(waiters);
	waiters = NULL;
	nwaiters = capwaiters = 0;
}

static int64_t whole_changes; /* store_changes at commit_begin_whole */

/* The batch's transaction, begun by its first write. */
static int
commit_txn(void)
{
	struct store *st = ogid->store;

	if (!store_in_txn(st)) {
		if (store_begin(st) == -1)
			return -1;
		if (commit_ev != NULL) {
			struct timeval now = { 0, 0 };

			event_active(commit_ev, 0, 0);
			evtimer_add(commit_timer, &now);
		}
	}
	return 0;
}

int
commit_begin(void)
{
	if (commit_txn() == -1 || store_savepoint(ogid->store) == -1)
		return -1;
	events_savepoint();
	timers_log_savepoint();
	return 0;
}

/*
 * A write without a SAVEPOINT of its own: app.submit, whose statements
 * cannot fail once the first has changed something, but for an I/O error
 * or a full disk, after which SQLite rolls back the whole batch anyway.
 * The savepoint's journal was a tenth of a submit's instructions. One
 * refused before it changed anything fails alone; one that fails after
 * all takes its whole batch with it (store_abort), and says so in the log.
 */
int
commit_begin_whole(void)
{
	if (commit_txn() == -1 || store_txn_check(ogid->store) == -1)
		return -1;
	whole_changes = store_changes(ogid->store);
	events_savepoint();
	timers_log_savepoint();
	return 0;
}

void
commit_end_whole(bool ok)
{
	struct store *st = ogid->store;

	if (ok) {
		writes++;
		return;
	}
	/* Refused before it changed anything: it alone fails. */
	if (store_changes(st) != whole_changes || store_txn_check(st) == -1) {
		log_warnx("commit: a write without a savepoint failed after"
		          " changing the database, and its whole batch with"
		          " it: %s",
		          store_error(st));
		store_abort(st);
	}
	events_rollback_savepoint();
	timers_log_rollback();
}

void
commit_end(bool ok)
{
	if (ok) {
		if (store_release(ogid->store) == 0) {
			writes++;
			return;
		}
		log_warnx("commit: release: %s", store_error(ogid->store));
	}
	store_rollback_to(ogid->store);
	events_rollback_savepoint();
	timers_log_rollback();
}

void
commit_wait(struct conn *c)
{
	if (nwaiters == capwaiters) {
		capwaiters = capwaiters ? capwaiters * 2 : 64;
		waiters = xreallocarray(waiters, capwaiters, sizeof(*waiters));
	}
	waiters[nwaiters++] = c;
	if (commit_ev != NULL)
		event_active(commit_ev, 0, 0);
}

void
commit_forget(struct conn *c)
{
	size_t i;

	for (i = 0; i < nwaiters; i++)
		if (waiters[i] == c)
			waiters[i] = NULL;
}

/*
 * A failed COMMIT rolled back everything of the batch; what the batch had
 * already put in memory must follow: the calendar is reloaded from the
 * database (calendar.set swaps it in before the commit), a fake clock
 * moved by clock.set goes back (its writers are told nothing changed),
 * and so does a due_soon_days reloaded from the configuration, whose
 * recompute of the timers was in the batch.
 */
static void
commit_restore_memory(void)
{
	struct cal *cal = cal_new();

	ogid->fake_now = ogid->fake_committed;
	if (ogid->cfg.due_soon_days != ogid->due_soon_committed) {
		log_warnx("reload: due_soon_days back to %d: the commit of"
		          " its timers failed; reload again",
		          ogid->due_soon_committed);
		ogid->cfg.due_soon_days = ogid->due_soon_committed;
	}

	if (store_calendar_load(ogid->store, cal) == 0) {
		cal_free(ogid->cal);
		ogid->cal = cal;
	} else
		cal_free(cal);
	appcache_clear();
}

static void
commit_prune_search(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (prune_at != 0 && now.tv_sec - prune_at < prune_period)
		return;
	if (prune_mark > pruned) {
		if (store_search_prune(ogid->store, prune_mark) == 0)
			pruned = prune_mark;
		else
			log_warnx("commit: %s", store_error(ogid->store));
	}
	prune_mark = store_search_applied(ogid->store);
	prune_at = now.tv_sec;
}

/* Commit the open transaction and answer the waiters. */
int
commit_now(void)
{
	struct store *st = ogid->store;
	struct conn **w;
	size_t n, i;
	bool ok = true;
	const char *why = NULL;
	char whybuf[256];

	if (commit_timer != NULL)
		evtimer_del(commit_timer);
	if (store_in_txn(st)) {
		if (store_commit(st) == -1) {
			ok = false;
			/* Copied: restoring memory below may reuse the buffer.
			 */
			snprintf(whybuf, sizeof(whybuf), "%s", store_error(st));
			why = whybuf;
			/* Once per run of failures: a full disk fails them
			 * all, and the log may be on that disk. */
			if (failed_run++ == 0) {
				log_warnx("commit: %s", why);
				snprintf(failed_why, sizeof(failed_why), "%s",
				         why);
			}
		} else {
			commits++;
			if (failed_run > 1)
				log_warnx("commit: %llu commits failed before"
				          " this one succeeded",
				          failed_run);
			failed_run = 0;
		}
	}
	appcache_txn_done();
	timers_log_committed(ok);
	if (ok) {
		ogid->fake_committed = ogid->fake_now;
		ogid->due_soon_committed = ogid->cfg.due_soon_days;
		events_flush();
	} else {
		events_discard();
		commit_restore_memory();
		store_checkpoint(st); /* give the space of the log back */
	}
	/* Answering may queue new writes: take the list first. */
	w = waiters;
	n = nwaiters;
	waiters = NULL;
	nwaiters = capwaiters = 0;
	for (i = 0; i < n; i++)
		if (w[i] != NULL)
			conn_commit_done(w[i], ok, why);
	free(w);
	if (ok)
		commit_prune_search();
	timers_committed(ok);
	return ok ? 0 : -1;
}

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	commit_now();
}

void
commit_stats(unsigned long long *c, unsigned long long *w)
{
	*c = commits;
	*w = writes;
}
