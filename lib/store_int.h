/* Private to lib/store*.c. */
#ifndef OGI_STORE_INT_H
#define OGI_STORE_INT_H

#include <stdbool.h>

#include <sqlite3.h>

#include "app.h"
#include "store.h"

/*
 * The running states (received 0, review 2, secrecy 4, ready 6) in SQL,
 * for the partial index apps_running_due and every query that uses it
 * (the planner needs the same terms). Not "state IN (0, 2, 4, 6)": SQLite
 * builds a table for an IN list of more than two values each time a
 * statement runs, and an INSERT or UPDATE of apps evaluates the index's
 * condition (~11k instructions a submit).
 */
#define SQL_RUNNING "state < 7 AND state % 2 = 0"
/* Not concluded: concluded_on is set with the last two states and only
 * then (lib/workflow.c). */
#define SQL_OPEN "state < 7"
_Static_assert(ST_RECEIVED == 0 && ST_REVIEW == 2 && ST_SECRECY == 4 &&
                   ST_READY == 6 && ST_CORRECTION % 2 == 1 &&
                   ST_CONSULTATION % 2 == 1 && ST_FEE % 2 == 1 &&
                   ST_REPLIED >= 7 && ST_WITHDRAWN >= 7,
               "SQL_RUNNING matches enum app_state");

/*
 * An application's key in the search index (lib/store_search.c): its day of
 * receipt in the high 32 bits, its rowid in the low 32. The index's matches
 * then come in received order, and a page of app.list reads only about the
 * rows it shows (store_list.c). received_on never changes once submitted
 * (a change by hand would leave the entry under its old key). A rowid of
 * 2^32 or more (a row added by hand) is never indexed: the indexer stops
 * before it and app.list finds such rows by their text.
 */
#define SEARCH_KEY "(received_on * 4294967296 + rowid)"
#define SEARCH_KEY_ROWID(k) ((int64_t)((uint64_t)(k)&0xffffffffu))

enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_USER_INSERT,
	STMT_USER_BY_TOKEN,
	STMT_USER_BY_NAME,
	STMT_USER_BY_ID,
	STMT_USER_LIST,
	STMT_USER_DISABLE,
	STMT_USER_SET_TOKEN,
	STMT_USER_COUNT,
	STMT_SEQ_TAKE,
	STMT_SEQ_GET,
	STMT_APP_INSERT,
	STMT_APP_INSERT_FRESH,
	STMT_APP_UPDATE,
	STMT_APP_SET_DESCRIPTION,
	STMT_APP_GET,
	STMT_OVERDUE,
	STMT_DUE_SOON,
	STMT_NEXT_EVENT,
	STMT_EVENTS_DUE,
	STMT_OPEN_ROWIDS,
	STMT_FTS_PROBE,
	STMT_LATE_COUNT,
	STMT_SEARCH_KEYS,
	STMT_SEARCH_MARKS,
	STMT_SEARCH_PENDING,
	STMT_APP_RECEIVED,
	STMT_LOWER,
	STMT_APP_BY_ROWID,
	STMT_APP_UPDATE_DERIVED,
	STMT_EVENT_LAST,
	STMT_EVENT_INSERT,
	STMT_EVENT_TEXTS,
	STMT_EVENTS_ALL,
	STMT_CLOCK_ADD,
	STMT_CLOCK_CLOSE,
	STMT_CLOCK_LIST,
	STMT_CLOCK_GRANTED,
	STMT_APPEAL_ADD,
	STMT_APPEAL_DECIDE,
	STMT_APPEALS_FOR,
	STMT_CAL_SET,
	STMT_CAL_ALL,
	STMT_META_GET,
	STMT_META_SET,
	STMT_CHAIN_HEAD,
	STMT_READ_BEGIN, /* a deferred read transaction: one snapshot */
	STMT_REPORT_ANNUAL,
	STMT_REPORT_COUNTS,
	STMT_REPORT_REPLIES,
	STMT_REPORT_LONGEST,
	STMT_SEARCH_PRUNE,
	STMT_REFS_FIND,
	STMT_REFS_HOT,
	STMT_REFS_LAST,
	STMT_REFS_INSERT,
	STMT_REFS_INSERT_MANY,
	STMT_REFS_UPTO,
	STMT__COUNT
};

/* Every column of apps, in the order store_app_row reads them. */
#define APP_COLS                                                               \
	"rowid, id, state, col, name, id_number, phone, email, address,"       \
	" channel, received_on, description, form, delivery, client_ref,"      \
	" created_by, assignee, outcome, version, rules, start, cycle,"        \
	" extension_days, pauses, wait, wait_from, wait_last_day, fee_return," \
	" proposer, correction_late, fee_fen, due_on, next_event_at,"          \
	" next_event, due_soon_fired, overdue_fired, concluded_on,"            \
	" replied_on, created_at, updated_at, wait_days"

/* app.list: one statement per combination of filters, prepared lazily. */
#define STORE_LIST_VARIANTS 2048

struct store_ckpt;
struct store_refs;

/* A year's last number taken in the open transaction (store_app.c). */
#define STORE_SEQS 4
struct store_seq {
	int year, seq;
};

struct store {
	sqlite3 *db;
	struct store_ckpt *ckpt; /* read-write opens: the checkpointer */
	sqlite3_stmt *stmts[STMT__COUNT];
	sqlite3_stmt *list_stmts[STORE_LIST_VARIANTS];
	char *path;
	bool creating, readonly, in_txn, hash_loaded;
	bool search_kick;     /* new text committed: wake the indexer */
	bool search_attached; /* the reader sees <db>.search as "search" */
	int lower_folds; /* lower() beyond ASCII: 0 not asked, 1 no, 2 yes */
	struct store_search *search;       /* the writer's indexer thread */
	struct store_refs *refs;           /* the writer's hot client_refs */
	struct store_seq seqs[STORE_SEQS]; /* numbers taken, to write */
	int nseqs;
	int last_rc;
	int schema; /* store_open_source: the file's schema version */
	uint8_t last_hash[32];  /* hash of the last event written */
	int64_t last_event_seq; /* and its seq */
	uint8_t txn_hash[32];   /* at BEGIN, restored on rollback */
	uint8_t sp_hash[32];    /* at SAVEPOINT */
	char err[512];
};

sqlite3_stmt *store_stmt(struct store *, enum store_stmt);
int store_exec_stmt(struct store *, sqlite3_stmt *, const char *what);
/* Step st to its one row (0), or fail, reset st and return -1; on 0 the
 * caller reads the row and resets st. */
int store_step_row(struct store *, sqlite3_stmt *, const char *what);
int store_fail(struct store *, const char *what);
void bind_text(sqlite3_stmt *, int, const char *);
void bind_day(sqlite3_stmt *, int, day_t);
char *col_text(sqlite3_stmt *, int);
/*
 * Step st to the end, reading each row into a growing array of elem-size
 * elements with row(); reset st. On failure frees what was read (with
 * free_one on each, if given) and returns -1. *out is allocated; the
 * caller frees it.
 */
int store_rows(struct store *, sqlite3_stmt *, size_t elem,
               void (*row)(sqlite3_stmt *, void *), void (*free_one)(void *),
               void **out, size_t *n, const char *what);
day_t col_day(sqlite3_stmt *, int);

/* lib/store_app.c: a row of APP_COLS into *a; every row of st, or -1. */
void store_app_row(sqlite3_stmt *, struct app *);
int store_app_rows(struct store *, sqlite3_stmt *, struct app **out, size_t *n);

/*
 * The calling thread (the indexer, the checkpointer) at nice +10: work
 * that can wait yields its core to the loop thread that answers clients.
 */
void store_thread_background(void);

/* lib/store_search.c */
void store_search_kick(struct store *);
void store_search_stop(struct store *);

/*
 * lib/store_ckpt.c: the checkpointer thread of a read-write store, with
 * its own connection to path. store_ckpt_start replaces the writer's
 * auto-checkpoint (0, or -1 with the store's error set);
 * store_ckpt_stop joins the thread, before the writer's connection closes.
 * store_ckpt_truncate asks for the log to be emptied, without waiting;
 * false if the store has no checkpointer.
 */
int store_ckpt_start(struct store *, const char *path, bool sync_full);
void store_ckpt_stop(struct store *);
bool store_ckpt_truncate(struct store *);

/*
 * lib/store_shim.c: what the VFSes over the unix one share. A shim's file
 * begins with a struct store_shim_file, and the unix VFS's file follows
 * it (store_shim_open puts it there, after size bytes: the shim's own
 * struct, store_shim_file first). store_shim_open_plain opens a file the
 * shim leaves alone, in place. store_shim_register registers vfs (once:
 * a static, zeroed until then) under name, for files of size bytes plus
 * the unix VFS's, and gives the name, or NULL. The other functions pass
 * a call through to the unix VFS's file.
 */
struct store_shim_file {
	sqlite3_file base;
	sqlite3_file *real; /* the unix VFS's file */
};
int store_shim_open(struct store_shim_file *, size_t size, const char *name,
                    int flags, int *out_flags);
int store_shim_open_plain(sqlite3_file *, const char *name, int flags,
                          int *out_flags);
const char *store_shim_register(sqlite3_vfs *vfs, const char *name, size_t size,
                                int (*open)(sqlite3_vfs *, sqlite3_filename,
                                            sqlite3_file *, int, int *));
int store_shim_close(sqlite3_file *);
int store_shim_read(sqlite3_file *, void *, int, sqlite3_int64);
int store_shim_write(sqlite3_file *, const void *, int, sqlite3_int64);
int store_shim_truncate(sqlite3_file *, sqlite3_int64);
int store_shim_sync(sqlite3_file *, int);
int store_shim_file_size(sqlite3_file *, sqlite3_int64 *);
int store_shim_lock(sqlite3_file *, int);
int store_shim_unlock(sqlite3_file *, int);
int store_shim_check_reserved(sqlite3_file *, int *);
int store_shim_file_control(sqlite3_file *, int, void *);
int store_shim_sector_size(sqlite3_file *);
int store_shim_device_characteristics(sqlite3_file *);
int store_shim_shm_map(sqlite3_file *, int, int, int, void volatile **);
int store_shim_shm_lock(sqlite3_file *, int, int, int);
void store_shim_shm_barrier(sqlite3_file *);
int store_shim_shm_unmap(sqlite3_file *, int);
int store_shim_fetch(sqlite3_file *, sqlite3_int64, int, void **);
int store_shim_unfetch(sqlite3_file *, sqlite3_int64, void *);

/*
 * lib/store_wal.c: the writer's log gathers a commit's frames and writes
 * them at the sync. store_wal_register registers the VFS (once; not the
 * default) and gives its name for sqlite3_open_v2, or NULL; for
 * connections with synchronous = FULL only. store_wal_discard, after a
 * rollback with no transaction open, drops what the log of db gathered
 * (frames spilled by the transaction rolled back): they are past every
 * commit, and another writer may write there once the lock is let go.
 */
#define STORE_WAL_VFS "ogi-wal"
const char *store_wal_register(void);
void store_wal_discard(sqlite3 *db);

/*
 * lib/store_trickle.c: the background connections' writes (checkpointer,
 * search indexer) handed to the kernel's writeback as they are made.
 * store_trickle_register registers the VFS (once; not the default; on the
 * main thread, before the threads start) and gives its name for
 * sqlite3_open_v2, or NULL; store_trickle_handed counts the hand-overs,
 * store_trickle_wrapped the files opened for writing that have them.
 */
#define STORE_TRICKLE_VFS "ogi-trickle"
const char *store_trickle_register(void);
uint64_t store_trickle_handed(void);
uint64_t store_trickle_wrapped(void);

/*
 * lib/store_mem.c: SQLite's allocator, through the thread's block cache
 * (lib/memcache.h); store_mem_install before SQLite initialises (an
 * SQLite result code).
 */
int store_mem_install(void);

/*
 * The client_ref index (lib/store_refs.c), the writer's only: the rowid of
 * user's application with ref (0 none, -1 an error); a new one's ref; and
 * the transaction's steps (begin, a merge before COMMIT, then committed or
 * rolled back).
 */
/* The numbers the transaction took, into counters: before its COMMIT. */
int store_app_seq_flush(struct store *);

int store_refs_open(struct store *);
void store_refs_free(struct store *);
int64_t store_refs_find(struct store *, int64_t user, const char *ref);
void store_refs_add(struct store *, int64_t user, const char *ref,
                    int64_t rowid);
void store_refs_begin(struct store *);
int store_refs_merge(struct store *);
void store_refs_committed(struct store *);
void store_refs_rollback(struct store *);
void store_refs_tune(size_t cycle, size_t chunk);

#endif
