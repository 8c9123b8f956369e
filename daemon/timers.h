/* timers.c: one timer over the earliest pending deadline (SPEC section 4). */
#ifndef OGI_TIMERS_H
#define OGI_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

void timers_init(struct event_base *);
void timers_free(void);
/* Re-arm for min(next_event_at), at most an hour ahead. */
void timers_rearm(void);
/* After a commit (ok: it succeeded): re-arm unless nothing derived in it
 * is due before the armed timer fires. */
void timers_committed(bool ok);
/* After a commit, before its writers are answered: log what it made true
 * (a deadline into a year with no calendar); after a failed one, nothing. */
void timers_log_committed(bool ok);
/* At each write's savepoint, and when it is rolled back (commit.c): what
 * a write that changed nothing derived is not logged. */
void timers_log_savepoint(void);
void timers_log_rollback(void);
/*
 * Handle the events due at or before `until`, in time order, inside the
 * open group transaction: at most max of them (0: all). Appends {type,
 * id, at} to fired when not NULL. Returns the number handled, or -1 on a
 * store failure.
 */
int timers_run(int64_t until, int max, json_t *fired);
/*
 * Events handled in one transaction by the timer and at start-up: the
 * loop serves requests between two such batches, and a start-up killed in
 * its catch-up keeps the batches it committed.
 */
#define TIMERS_BATCH 1000
/*
 * At start-up, before the loop runs: every event that fell due while the
 * daemon was down, TIMERS_BATCH per commit (fatal on a store failure).
 */
void timers_catch_up(void);
/*
 * Recompute one application's due date, next event and its instant.
 * granted: when an extension was granted in the change being made (unix
 * seconds), else 0. Due-soon and overdue events are not dated before the
 * clock last resumed (00:00 after a pause's last day) nor before granted.
 */
struct app;
void timers_derive(struct app *, int64_t granted);
/* Recompute due dates and timers of every open application (calendar). */
int timers_recompute_all(void);

#endif
