/*
 * The store: every byte ogi keeps lives in one SQLite database, and this
 * is the only module that includes sqlite3.h (lib/store*.c). One enum of
 * statements, one table of SQL, prepared once; bind-step-reset helpers.
 *
 * ogid opens two handles on one file: a writer (group transactions) and a
 * reader (WAL snapshots of committed data only). A read-write handle also
 * runs a checkpointer thread with a connection of its own
 * (lib/store_ckpt.c).
 *
 * Functions return 0 on success and -1 on failure with store_error()
 * describing it, unless noted. STORE_NOTFOUND (1) means no such row.
 */
#ifndef OGI_STORE_H
#define OGI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "calendar.h"

#define STORE_NOTFOUND 1
#define STORE_EXISTS 2 /* store_app_insert_once: the client_ref is taken */
#define STORE_SCHEMA_VERSION 2

struct store;

/* Create a new database (refuses an existing file): 0 or -1. */
int store_create(const char *path, struct store **);
/* Open an existing database, migrating it; readonly for the reader. */
int store_open(const char *path, bool readonly, bool sync_full,
               struct store **);
void store_close(struct store *);
/*
 * Open a database only to read it (ogid verify and backup, the backup ogid
 * restore reads): SQLITE_OPEN_READONLY, whatever its schema version, and
 * never written: no migration, no client_ref merge, no pragma that writes,
 * no chmod. Refuses a file without an ogi schema.
 */
int store_open_source(const char *path, struct store **);
/* store_open_source's schema version; *current is this ogid's. */
int store_schema(const struct store *, int *current);

/*
 * The search index, <db>.search (lib/store_search.c). The writer starts
 * the indexer thread (made anew if missing or not matching this database);
 * the reader attaches the index for app.list. Without it, searches scan.
 * store_search_build indexes everything now, in the caller's thread.
 */
int store_search_start(struct store *);
int store_search_attach(struct store *);
int store_search_build(struct store *);
/*
 * Remove the index of the database at db_path (its -wal, -shm and
 * -journal too), to be made anew at the next start, as after a restore:
 * -1 (logged) if one of them stays.
 */
int store_search_remove(const char *db_path);
/*
 * search_dirty holds one row per text change until the index applied it.
 * store_search_applied: the newest the indexer applied (0: none, or no
 * indexer). store_search_prune deletes the rows up to upto (never the
 * newest row), outside a transaction. A reader's snapshot of the index
 * may be older than its snapshot of the main database, so pass a mark
 * read a while ago, not the current one.
 */
int64_t store_search_applied(struct store *);
int store_search_prune(struct store *, int64_t upto);
const char *store_error(const struct store *);
/* True if the last failure was SQLITE_FULL/IOERR/BUSY: retry later. */
bool store_error_transient(const struct store *);

/*
 * A read transaction unless one is open: every read until store_read_end
 * sees one snapshot. -1, or whether it began one.
 */
int store_read_begin(struct store *);
/* Ends what store_read_begin(s) began, whatever happened; s->err kept. */
void store_read_end(struct store *, int began);

/* Transactions: BEGIN IMMEDIATE, savepoints, commit. */
int store_begin(struct store *);
int store_commit(struct store *);
void store_rollback(struct store *);
/*
 * Remove a database file and the files SQLite keeps beside it (-wal,
 * -shm, -journal); -1 (each failure logged) if one stays.
 */
int store_unlink_db(const char *path);
bool store_in_txn(const struct store *);
/* SQLite could open the file for reading only (its mode, the filesystem). */
bool store_readonly(const struct store *);
int store_savepoint(struct store *);
int store_release(struct store *);
void store_rollback_to(struct store *);
/*
 * Writes without a savepoint of their own: store_txn_check fails if the
 * batch's transaction is gone; store_abort rolls the whole batch back and
 * leaves it failed, so that its later writes and its COMMIT fail too.
 */
int store_txn_check(struct store *);
/* Rows changed by this connection so far (sqlite3_total_changes64). */
int64_t store_changes(struct store *);
void store_abort(struct store *);

/* Users */
struct store_user {
	int64_t id;
	char name[64];
	unsigned roles;
	bool disabled;
	int64_t epoch; /* increments on rotate/disable */
	int64_t created_at;
};
int store_user_create(struct store *, const char *name, unsigned roles,
                      const uint8_t hash[32], int64_t now, int64_t *id);
/* By token hash (constant-time compare of the stored hash). */
int store_user_by_token(struct store *, const uint8_t hash[32],
                        struct store_user *);
int store_user_by_name(struct store *, const char *name, struct store_user *);
int store_user_by_id(struct store *, int64_t id, struct store_user *);
/* Allocated array; caller frees. */
int store_user_list(struct store *, struct store_user **, size_t *);
int store_user_disable(struct store *, const char *name);
int store_user_set_token(struct store *, const char *name,
                         const uint8_t hash[32]);
int store_user_count(struct store *, int64_t *);

/* Applications */
/* The year's next application number (read only), then taken. */
int store_app_next_seq(struct store *, int year, int *seq);
int store_app_take_seq(struct store *, int year, int seq);
int store_app_insert(struct store *, struct app *);
/*
 * store_app_insert, unless a->created_by has an application with
 * a->client_ref already: then nothing is inserted, *first is that one and
 * the result is STORE_EXISTS (store_app_insert fails then, with
 * SQLITE_CONSTRAINT_UNIQUE, like the unique index it had once).
 */
int store_app_insert_once(struct store *, struct app *, struct app *first);
/* Everything that changes after submission; not the description. */
int store_app_update(struct store *, const struct app *);
/* app.correct: a new description (re-indexed for search). */
int store_app_set_description(struct store *, const struct app *);
int store_app_get(struct store *, const char *id, struct app *);
int store_app_by_ref(struct store *, int64_t user, const char *ref,
                     struct app *);

struct store_list_q {
	int state;            /* -1: any */
	const char *assignee; /* NULL: any */
	const char *q;        /* NULL: no search */
	day_t from, to;       /* DAY_NONE: open */
	int overdue;          /* -1 any, 0 not overdue, 1 overdue */
	day_t today;
	int limit;
	const char *after; /* cursor: id of the last item seen, or NULL */
};
/* Allocated array of apps (app_clear each, then free). */
int store_app_list(struct store *, const struct store_list_q *, struct app **,
                   size_t *);
/*
 * Running and due_on < today, oldest due first, then id; after (due_on,
 * id) = (after_due, after) when after is not NULL, with after_due the
 * due date the cursor's page showed (DAY_NONE: the application's own).
 */
int store_overdue(struct store *, day_t today, int limit, const char *after,
                  day_t after_due, struct app **, size_t *);
/* Running, today <= due_on <= last, earliest first, then id; after as
 * for store_overdue. */
int store_due_soon(struct store *, day_t today, day_t last, int limit,
                   const char *after, day_t after_due, struct app **, size_t *);
void store_apps_free(struct app *, size_t);

/* Timers: earliest next_event_at (0 if none). */
int store_next_event_at(struct store *, int64_t *);
/* Ids (APP_ID_LEN each) of apps with next_event_at <= until, in order. */
int store_events_due(struct store *, int64_t until, int limit,
                     char (**ids)[APP_ID_LEN], size_t *);
/* Rewrite only the derived caches: due_on and the next event. */
int store_app_update_derived(struct store *, const struct app *);
/* Iterate open applications (for calendar changes). */
int store_open_apps(struct store *, int (*fn)(struct app *, void *), void *);

/* History: the hash-chained event log. */
struct store_event {
	int64_t seq;
	int64_t at;
	char app_id[APP_ID_LEN];
	char *content; /* canonical JSON; owned */
	uint8_t prev_hash[32];
	uint8_t hash[32];
};
int store_event_append(struct store *, const char *app_id, int64_t at,
                       const char *content);
/* The seq of the last event store_event_append wrote. */
int64_t store_event_last_seq(const struct store *);
/*
 * An application's history as shown: each event's seq and content, in
 * order, and nothing else (at, app_id and the hashes are zero: only
 * store_events_walk reads them, for ogid verify).
 */
int store_event_texts(struct store *, const char *app_id, struct store_event **,
                      size_t *);
void store_events_free(struct store_event *, size_t);
/* Walk every event in order; fn returns non-zero to stop. */
int store_events_walk(struct store *,
                      int (*fn)(const struct store_event *, void *), void *);

/* Clock records: extensions and pauses, for the explanation. */
struct store_clock {
	int cycle;
	char kind[16]; /* "extension", "correction", "consultation", "fee" */
	day_t from, to;
	int days;
	char *reason; /* owned */
	char actor[64];
	int64_t at;
};
int store_clock_add(struct store *, const char *app_id,
                    const struct store_clock *);
int store_clock_close(struct store *, const char *app_id, int cycle,
                      const char *kind, day_t to, int days);
int store_clock_list(struct store *, const char *app_id, struct store_clock **,
                     size_t *);
/* The instant of the cycle's last extension grant, or 0. */
int store_clock_granted_at(struct store *, const char *app_id, int cycle,
                           int64_t *at);
void store_clocks_free(struct store_clock *, size_t);

/* Appeals (SPEC section 7) */
struct store_appeal {
	int n;
	enum appeal_kind kind;
	day_t filed_on;
	enum appeal_result result; /* AR_PENDING until decided */
	day_t decided_on;
};
int store_appeal_add(struct store *, const char *app_id, enum appeal_kind,
                     day_t filed, int *n);
int store_appeal_decide(struct store *, const char *app_id, int n,
                        enum appeal_result, day_t decided);
int store_appeals_for(struct store *, const char *app_id,
                      struct store_appeal **, size_t *);

/* Calendar years kept in the database. */
int store_calendar_set(struct store *, int year, const day_t *hol, size_t nh,
                       const day_t *work, size_t nw);
int store_calendar_load(struct store *, struct cal *);

/* Operations */
int store_backup(struct store *, const char *out);
/*
 * Write the database into path (an existing database, or an empty file),
 * all of it in one transaction of path's own connection: its log, kept
 * from a crash, is read and then overwritten, never replayed onto the
 * copy. On failure path is as it was.
 */
int store_restore(struct store *, const char *path);
/* Checkpoint and truncate the write-ahead log (after a failed commit): on
 * the checkpointer's thread if the store has one, without waiting. */
void store_checkpoint(struct store *);
int store_integrity_check(struct store *, char *msg, size_t msglen);
int store_meta_get(struct store *, const char *key, char *val, size_t len);
int store_meta_set(struct store *, const char *key, const char *val);

/* ---- report (lib/store_report.c): report.annual and report.summary ---- */
struct report;
/* The figures of table 三 and 四 for r->year (report_init first), read in
 * one snapshot. */
int store_report_annual(struct store *, struct report *);

#define STORE_SUMMARY_LONGEST 10
struct store_summary {
	int64_t received;  /* received_on in [from, to] */
	int64_t extended;  /* of those, with extension_days > 0 */
	int64_t concluded; /* concluded_on in [from, to] */
	int64_t overdue;   /* running and due_on < today, now */
	/* Replied in [from, to]: dates of receipt and reply; allocated. */
	day_t *recv, *replied;
	size_t nreplied;
	/* Open now, oldest receipt first, then id. */
	struct store_open_app {
		char id[APP_ID_LEN];
		day_t received_on;
		enum app_state state;
	} longest[STORE_SUMMARY_LONGEST];
	size_t nlongest;
};
/* Read in one snapshot; store_summary_free() after, even on failure. */
int store_report_summary(struct store *, day_t from, day_t to, day_t today,
                         struct store_summary *);
void store_summary_free(struct store_summary *);

#endif
