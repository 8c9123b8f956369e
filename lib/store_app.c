/*
 * The store's applications: their rows, numbers and timers. Their lists
 * are in store_list.c, their history, clock records and appeals in
 * store_history.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

/* Column order of APP_COLS in store.c. */
void
store_app_row(sqlite3_stmt *st, struct app *a)
{
	const unsigned char *id;

	app_init(a);
	a->rowid = sqlite3_column_int64(st, 0);
	id = sqlite3_column_text(st, 1);
	snprintf(a->id, sizeof(a->id), "%s", id ? (const char *)id : "");
	a->state = (enum app_state)sqlite3_column_int(st, 2);
	a->column = (enum app_column)sqlite3_column_int(st, 3);
	a->name = col_text(st, 4);
	a->id_number = col_text(st, 5);
	a->phone = col_text(st, 6);
	a->email = col_text(st, 7);
	a->address = col_text(st, 8);
	a->channel = (enum app_channel)sqlite3_column_int(st, 9);
	a->received_on = col_day(st, 10);
	a->description = col_text(st, 11);
	a->form = (enum app_form)sqlite3_column_int(st, 12);
	a->delivery = (enum app_delivery)sqlite3_column_int(st, 13);
	a->client_ref = col_text(st, 14);
	a->created_by = sqlite3_column_int64(st, 15);
	a->assignee = col_text(st, 16);
	a->outcome = (enum outcome)sqlite3_column_int(st, 17);
	a->version = sqlite3_column_int64(st, 18);
	a->rules = sqlite3_column_int(st, 19);
	a->start = col_day(st, 20);
	a->cycle = sqlite3_column_int(st, 21);
	a->extension_days = sqlite3_column_int(st, 22);
	a->pauses = col_text(st, 23);
	a->wait = (enum wait_kind)sqlite3_column_int(st, 24);
	a->wait_from = col_day(st, 25);
	a->wait_last_day = col_day(st, 26);
	a->fee_return = (enum app_state)sqlite3_column_int(st, 27);
	a->proposer = col_text(st, 28);
	a->correction_late = sqlite3_column_int(st, 29) != 0;
	a->fee_fen = sqlite3_column_int64(st, 30);
	a->due_on = col_day(st, 31);
	a->next_event_at = sqlite3_column_int64(st, 32);
	a->next_event = (enum timer_kind)sqlite3_column_int(st, 33);
	a->due_soon_fired = col_day(st, 34);
	a->overdue_fired = col_day(st, 35);
	a->concluded_on = col_day(st, 36);
	a->replied_on = col_day(st, 37);
	a->created_at = sqlite3_column_int64(st, 38);
	a->updated_at = sqlite3_column_int64(st, 39);
	a->wait_days = sqlite3_column_int(st, 40);
}

/*
 * Text bound without a copy: bind_app (bind_fresh) binds every column
 * each time, and its statements (STMT_APP_INSERT, _FRESH, STMT_APP_UPDATE)
 * run and are reset before *a is gone, so SQLite never reads a pointer
 * left over.
 */
static void
bind_kept(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* An instant in unix seconds, 0 for none (NULL). */
static void
bind_instant(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

/* The columns from id to created_by, as numbered from 1. */
static void
bind_submitted(sqlite3_stmt *st, const struct app *a)
{
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, a->state);
	sqlite3_bind_int(st, 3, a->column);
	bind_kept(st, 4, a->name);
	bind_kept(st, 5, a->id_number);
	bind_kept(st, 6, a->phone);
	bind_kept(st, 7, a->email);
	bind_kept(st, 8, a->address);
	sqlite3_bind_int(st, 9, a->channel);
	bind_day(st, 10, a->received_on);
	bind_kept(st, 11, a->description);
	sqlite3_bind_int(st, 12, a->form);
	sqlite3_bind_int(st, 13, a->delivery);
	bind_kept(st, 14, a->client_ref);
	sqlite3_bind_int64(st, 15, a->created_by);
}

/* Binds every column but rowid, numbered from 1; returns the next. */
static int
bind_app(sqlite3_stmt *st, const struct app *a)
{
	int i = 16;

	bind_submitted(st, a);
	bind_kept(st, i++, a->assignee);
	sqlite3_bind_int(st, i++, a->outcome);
	sqlite3_bind_int64(st, i++, a->version);
	sqlite3_bind_int(st, i++, a->rules);
	bind_day(st, i++, a->start);
	sqlite3_bind_int(st, i++, a->cycle);
	sqlite3_bind_int(st, i++, a->extension_days);
	bind_kept(st, i++, a->pauses);
	sqlite3_bind_int(st, i++, a->wait);
	bind_day(st, i++, a->wait_from);
	bind_day(st, i++, a->wait_last_day);
	sqlite3_bind_int(st, i++, a->fee_return);
	bind_kept(st, i++, a->proposer);
	sqlite3_bind_int(st, i++, a->correction_late);
	sqlite3_bind_int64(st, i++, a->fee_fen);
	bind_day(st, i++, a->due_on);
	bind_instant(st, i++, a->next_event_at);
	sqlite3_bind_int(st, i++, a->next_event);
	bind_day(st, i++, a->due_soon_fired);
	bind_day(st, i++, a->overdue_fired);
	bind_day(st, i++, a->concluded_on);
	bind_day(st, i++, a->replied_on);
	sqlite3_bind_int64(st, i++, a->created_at);
	sqlite3_bind_int64(st, i++, a->updated_at);
	sqlite3_bind_int(st, i++, a->wait_days);
	return i;
}

/*
 * An application as app.submit makes it: nothing of a later step yet, so
 * STMT_APP_INSERT_FRESH writes these columns without binding them (17 of
 * 40 binds, ~1.5k of a submit's ~125k instructions).
 */
static bool
app_is_fresh(const struct app *a)
{
	return a->assignee == NULL && a->pauses == NULL &&
	       a->proposer == NULL && a->start == a->received_on &&
	       a->updated_at == a->created_at && a->cycle == 0 &&
	       a->extension_days == 0 && a->wait == 0 &&
	       a->correction_late == 0 && a->fee_fen == 0 &&
	       a->wait_days == 0 && a->wait_from == DAY_NONE &&
	       a->wait_last_day == DAY_NONE && a->due_soon_fired == DAY_NONE &&
	       a->overdue_fired == DAY_NONE && a->concluded_on == DAY_NONE &&
	       a->replied_on == DAY_NONE;
}

/* bind_app's binds for STMT_APP_INSERT_FRESH: what app_is_fresh leaves. */
static void
bind_fresh(sqlite3_stmt *st, const struct app *a)
{
	bind_submitted(st, a);
	sqlite3_bind_int(st, 17, a->outcome);
	sqlite3_bind_int64(st, 18, a->version);
	sqlite3_bind_int(st, 19, a->rules);
	sqlite3_bind_int(st, 27, a->fee_return);
	bind_day(st, 31, a->due_on);
	bind_instant(st, 32, a->next_event_at);
	sqlite3_bind_int(st, 33, a->next_event);
	sqlite3_bind_int64(st, 38, a->created_at);
}

/*
 * Take the next number of the year, in the caller's transaction: a
 * rolled-back submit gives its number back. Two statements rather than
 * one with RETURNING, whose ephemeral table costs about 18k instructions
 * of the ~27k a number took.
 *
 * In a transaction the numbers taken are kept in s->seqs and written
 * once, by its COMMIT (store_app_seq_flush): one UPDATE of counters for a
 * batch of ~60 submits, not one each (~5k instructions a submit). A
 * rollback forgets them, as it does the rows that used them.
 */
static struct store_seq *
seq_find(struct store *s, int year)
{
	int i;

	for (i = 0; i < s->nseqs; i++)
		if (s->seqs[i].year == year)
			return &s->seqs[i];
	return NULL;
}

static int
seq_write(struct store *s, int year, int seq)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SEQ_TAKE);

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, year);
	sqlite3_bind_int(st, 2, seq);
	return store_exec_stmt(s, st, "sequence");
}

int
store_app_next_seq(struct store *s, int year, int *seq)
{
	sqlite3_stmt *get;
	struct store_seq *k;
	int rc;

	if (s->in_txn && (k = seq_find(s, year)) != NULL) {
		*seq = k->seq + 1;
		return 0;
	}
	if ((get = store_stmt(s, STMT_SEQ_GET)) == NULL)
		return -1;
	sqlite3_bind_int(get, 1, year);
	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int(get, 0) + 1;
	else if (rc == SQLITE_DONE)
		*seq = 1;
	else {
		store_fail(s, "sequence");
		sqlite3_reset(get);
		return -1;
	}
	sqlite3_reset(get);
	return 0;
}

int
store_app_take_seq(struct store *s, int year, int seq)
{
	struct store_seq *k;

	if (!s->in_txn)
		return seq_write(s, year, seq);
	if ((k = seq_find(s, year)) == NULL) {
		if (s->nseqs == STORE_SEQS)
			return seq_write(s, year, seq);
		k = &s->seqs[s->nseqs++];
		k->year = year;
	}
	k->seq = seq;
	return 0;
}

int
store_app_seq_flush(struct store *s)
{
	int i;

	for (i = 0; i < s->nseqs; i++)
		if (seq_write(s, s->seqs[i].year, s->seqs[i].seq) == -1)
			return -1;
	s->nseqs = 0;
	return 0;
}

static int
app_insert(struct store *s, struct app *a)
{
	bool fresh = app_is_fresh(a);
	sqlite3_stmt *st =
	    store_stmt(s, fresh ? STMT_APP_INSERT_FRESH : STMT_APP_INSERT);

	if (st == NULL)
		return -1;
	if (fresh)
		bind_fresh(st, a);
	else
		bind_app(st, a);
	if (store_exec_stmt(s, st, "app insert") == -1)
		return -1;
	a->rowid = sqlite3_last_insert_rowid(s->db);
	s->search_kick = true;
	if (a->client_ref != NULL)
		store_refs_add(s, a->created_by, a->client_ref, a->rowid);
	return 0;
}

int
store_app_insert(struct store *s, struct app *a)
{
	int64_t rowid;

	if (a->client_ref != NULL) {
		if ((rowid = store_refs_find(s, a->created_by,
		                             a->client_ref)) == -1)
			return -1;
		if (rowid != 0) {
			s->last_rc = SQLITE_CONSTRAINT_UNIQUE;
			snprintf(s->err, sizeof(s->err),
			         "app insert: client_ref %s is taken",
			         a->client_ref);
			return -1;
		}
	}
	return app_insert(s, a);
}

int
store_app_insert_once(struct store *s, struct app *a, struct app *first)
{
	int rc;

	if (a->client_ref != NULL &&
	    (rc = store_app_by_ref(s, a->created_by, a->client_ref, first)) !=
	        STORE_NOTFOUND)
		return rc == 0 ? STORE_EXISTS : -1;
	return app_insert(s, a);
}

int
store_app_set_description(struct store *s, const struct app *a)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_SET_DESCRIPTION);

	if (st == NULL)
		return -1;
	bind_text(st, 1, a->description);
	sqlite3_bind_int64(st, 2, a->rowid);
	s->search_kick = true;
	return store_exec_stmt(s, st, "app description");
}

int
store_app_update(struct store *s, const struct app *a)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_UPDATE);
	int i;

	if (st == NULL)
		return -1;
	i = bind_app(st, a);
	sqlite3_bind_int64(st, i, a->rowid);
	return store_exec_stmt(s, st, "app update");
}

static int
app_one(struct store *s, sqlite3_stmt *st, struct app *a)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		store_app_row(st, a);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(s, "app");
}

int
store_app_get(struct store *s, const char *id, struct app *a)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_GET);

	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	return app_one(s, st, a);
}

int
store_app_by_ref(struct store *s, int64_t user, const char *ref, struct app *a)
{
	int64_t rowid = store_refs_find(s, user, ref);
	sqlite3_stmt *st;

	int rc;

	if (rowid <= 0)
		return rowid == 0 ? STORE_NOTFOUND : -1;
	if ((st = store_stmt(s, STMT_APP_BY_ROWID)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	if ((rc = app_one(s, st, a)) != 0)
		return rc;
	/*
	 * client_refs keeps its rows when an application is deleted by hand
	 * (ogid deletes none), and SQLite gives the rowid to the next one:
	 * a row that names another application is stale, and the ref free.
	 * The merge replaces it (STMT_REFS_INSERT).
	 */
	if (a->created_by != user || a->client_ref == NULL ||
	    strcmp(a->client_ref, ref) != 0) {
		app_clear(a);
		app_init(a);
		return STORE_NOTFOUND;
	}
	return 0;
}

static void
app_row(sqlite3_stmt *st, void *elem)
{
	store_app_row(st, elem);
}

static void
app_free_one(void *elem)
{
	app_clear(elem);
}

int
store_app_rows(struct store *s, sqlite3_stmt *st, struct app **out, size_t *n)
{
	return store_rows(s, st, sizeof(**out), app_row, app_free_one,
	                  (void **)out, n, "app list");
}

void
store_apps_free(struct app *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		app_clear(&a[i]);
	free(a);
}

int
store_next_event_at(struct store *s, int64_t *at)
{
	sqlite3_stmt *st = store_stmt(s, STMT_NEXT_EVENT);

	if (st == NULL)
		return -1;
	if (store_step_row(s, st, "next event") == -1)
		return -1;
	*at = sqlite3_column_int64(st, 0); /* NULL reads as 0 */
	sqlite3_reset(st);
	return 0;
}

static void
id_row(sqlite3_stmt *st, void *elem)
{
	snprintf(elem, APP_ID_LEN, "%s",
	         (const char *)sqlite3_column_text(st, 0));
}

int
store_events_due(struct store *s, int64_t until, int limit,
                 char (**ids)[APP_ID_LEN], size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENTS_DUE);

	*ids = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, until);
	sqlite3_bind_int(st, 2, limit);
	return store_rows(s, st, sizeof(**ids), id_row, NULL, (void **)ids, n,
	                  "events due");
}

static void
rowid_row(sqlite3_stmt *st, void *elem)
{
	*(int64_t *)elem = sqlite3_column_int64(st, 0);
}

static int
rowid_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The open applications through their partial index, then one by one. */
int
store_open_apps(struct store *s, int (*fn)(struct app *, void *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, STMT_OPEN_ROWIDS);
	int64_t *rowids;
	size_t n, i;
	struct app a;
	int rc = 0;

	if (st == NULL || store_rows(s, st, sizeof(*rowids), rowid_row, NULL,
	                             (void **)&rowids, &n, "open apps") == -1)
		return -1;
	/* In file order: a cold cache reads the table front to back once. */
	if (n > 1)
		qsort(rowids, n, sizeof(*rowids), rowid_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		if ((st = store_stmt(s, STMT_APP_BY_ROWID)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, rowids[i]);
		switch (app_one(s, st, &a)) {
		case 0:
			if (fn(&a, arg) != 0)
				rc = -1;
			app_clear(&a);
			break;
		case STORE_NOTFOUND:
			break;
		default:
			rc = -1;
		}
	}
	free(rowids);
	return rc;
}

int
store_app_update_derived(struct store *s, const struct app *a)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APP_UPDATE_DERIVED);

	if (st == NULL)
		return -1;
	bind_day(st, 1, a->due_on);
	bind_instant(st, 2, a->next_event_at);
	sqlite3_bind_int(st, 3, a->next_event);
	bind_day(st, 4, a->wait_last_day);
	sqlite3_bind_int64(st, 5, a->rowid);
	return store_exec_stmt(s, st, "app update");
}
