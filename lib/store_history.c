/*
 * What the store keeps beside an application's row: its history (the
 * hash-chained events), its clock records (pauses and extensions) and its
 * appeals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

int
store_event_append(struct store *s, const char *app_id, int64_t at,
                   const char *content)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENT_INSERT);
	uint8_t h[32];
	size_t len = strlen(content);
	int rc;

	if (st == NULL)
		return -1;
	audit_hash(s->last_hash, content, len, h);
	/*
	 * SQLITE_STATIC, not copies: every value outlives the step, and the
	 * bindings are cleared before they could dangle.
	 */
	if (app_id == NULL)
		sqlite3_bind_null(st, 1);
	else
		sqlite3_bind_text(st, 1, app_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, content, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, s->last_hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, h, 32, SQLITE_STATIC);
	rc = store_exec_stmt(s, st, "event insert");
	sqlite3_clear_bindings(st);
	if (rc == -1)
		return -1;
	memcpy(s->last_hash, h, 32);
	s->last_event_seq = sqlite3_last_insert_rowid(s->db);
	/* Outside store_begin's transaction no store_commit writes the
	 * chain's head (STMT_CHAIN_HEAD): written with the event. */
	if (!s->in_txn) {
		st = store_stmt(s, STMT_CHAIN_HEAD);
		if (st == NULL || store_exec_stmt(s, st, "chain head") == -1)
			return -1;
	}
	return 0;
}

int64_t
store_event_last_seq(const struct store *s)
{
	return s->last_event_seq;
}

static void
row_to_event(sqlite3_stmt *st, struct store_event *e)
{
	const unsigned char *id = sqlite3_column_text(st, 2);

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	snprintf(e->app_id, sizeof(e->app_id), "%s",
	         id ? (const char *)id : "");
	e->content = col_text(st, 3);
	if (e->content == NULL)
		e->content = xstrdup("");
	if (sqlite3_column_bytes(st, 4) == 32)
		memcpy(e->prev_hash, sqlite3_column_blob(st, 4), 32);
	if (sqlite3_column_bytes(st, 5) == 32)
		memcpy(e->hash, sqlite3_column_blob(st, 5), 32);
}

/* Every row of one application's statement (bound to its id). */
static int
rows_for_app(struct store *s, enum store_stmt which, const char *app_id,
             size_t elem, void (*row)(sqlite3_stmt *, void *),
             void (*free_one)(void *), void **out, size_t *n, const char *what)
{
	sqlite3_stmt *st = store_stmt(s, which);

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	bind_text(st, 1, app_id);
	return store_rows(s, st, elem, row, free_one, out, n, what);
}

static void
event_text_row(sqlite3_stmt *st, void *elem)
{
	struct store_event *e = elem;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	if ((e->content = col_text(st, 1)) == NULL)
		e->content = xstrdup("");
}

static void
event_free_one(void *elem)
{
	free(((struct store_event *)elem)->content);
}

int
store_event_texts(struct store *s, const char *app_id, struct store_event **out,
                  size_t *n)
{
	return rows_for_app(s, STMT_EVENT_TEXTS, app_id, sizeof(**out),
	                    event_text_row, event_free_one, (void **)out, n,
	                    "events");
}

void
store_events_free(struct store_event *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].content);
	free(e);
}

int
store_events_walk(struct store *s,
                  int (*fn)(const struct store_event *, void *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EVENTS_ALL);
	struct store_event e;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_event(st, &e);
		stop = fn(&e, arg);
		free(e.content);
	}
	if (!stop && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return store_fail(s, "events walk");
	}
	sqlite3_reset(st);
	return stop;
}

/* Clock records */

int
store_clock_add(struct store *s, const char *app_id,
                const struct store_clock *c)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CLOCK_ADD);

	if (st == NULL)
		return -1;
	bind_text(st, 1, app_id);
	sqlite3_bind_int(st, 2, c->cycle);
	bind_text(st, 3, c->kind);
	bind_day(st, 4, c->from);
	bind_day(st, 5, c->to);
	sqlite3_bind_int(st, 6, c->days);
	bind_text(st, 7, c->reason);
	bind_text(st, 8, c->actor);
	sqlite3_bind_int64(st, 9, c->at);
	return store_exec_stmt(s, st, "clock add");
}

int
store_clock_close(struct store *s, const char *app_id, int cycle,
                  const char *kind, day_t to, int days)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CLOCK_CLOSE);

	if (st == NULL)
		return -1;
	bind_day(st, 1, to);
	sqlite3_bind_int(st, 2, days);
	bind_text(st, 3, app_id);
	sqlite3_bind_int(st, 4, cycle);
	bind_text(st, 5, kind);
	return store_exec_stmt(s, st, "clock close");
}

static void
clock_row(sqlite3_stmt *st, void *elem)
{
	struct store_clock *c = elem;
	const unsigned char *t;

	c->cycle = sqlite3_column_int(st, 0);
	t = sqlite3_column_text(st, 1);
	snprintf(c->kind, sizeof(c->kind), "%s", t ? (const char *)t : "");
	c->from = col_day(st, 2);
	c->to = col_day(st, 3);
	c->days = sqlite3_column_int(st, 4);
	c->reason = col_text(st, 5);
	t = sqlite3_column_text(st, 6);
	snprintf(c->actor, sizeof(c->actor), "%s", t ? (const char *)t : "");
	c->at = sqlite3_column_int64(st, 7);
}

static void
clock_free_one(void *elem)
{
	free(((struct store_clock *)elem)->reason);
}

int
store_clock_granted_at(struct store *s, const char *app_id, int cycle,
                       int64_t *at)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CLOCK_GRANTED);

	if (st == NULL)
		return -1;
	bind_text(st, 1, app_id);
	sqlite3_bind_int(st, 2, cycle);
	if (store_step_row(s, st, "clock granted") == -1)
		return -1;
	*at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_clock_list(struct store *s, const char *app_id, struct store_clock **out,
                 size_t *n)
{
	return rows_for_app(s, STMT_CLOCK_LIST, app_id, sizeof(**out),
	                    clock_row, clock_free_one, (void **)out, n,
	                    "clock list");
}

void
store_clocks_free(struct store_clock *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].reason);
	free(c);
}

/* Appeals */

int
store_appeal_add(struct store *s, const char *app_id, enum appeal_kind kind,
                 day_t filed, int *n)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APPEAL_ADD);

	if (st == NULL)
		return -1;
	bind_text(st, 1, app_id);
	sqlite3_bind_int(st, 2, kind);
	bind_day(st, 3, filed);
	if (store_step_row(s, st, "appeal add") == -1)
		return -1;
	*n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_appeal_decide(struct store *s, const char *app_id, int n,
                    enum appeal_result r, day_t decided)
{
	sqlite3_stmt *st = store_stmt(s, STMT_APPEAL_DECIDE);

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, r);
	bind_day(st, 2, decided);
	bind_text(st, 3, app_id);
	sqlite3_bind_int(st, 4, n);
	if (store_exec_stmt(s, st, "appeal decide") == -1)
		return -1;
	return sqlite3_changes(s->db) == 0 ? STORE_NOTFOUND : 0;
}

static void
appeal_row(sqlite3_stmt *st, void *elem)
{
	struct store_appeal *ap = elem;

	ap->n = sqlite3_column_int(st, 0);
	ap->kind = (enum appeal_kind)sqlite3_column_int(st, 1);
	ap->filed_on = col_day(st, 2);
	ap->result = (enum appeal_result)sqlite3_column_int(st, 3);
	ap->decided_on = col_day(st, 4);
}

int
store_appeals_for(struct store *s, const char *app_id,
                  struct store_appeal **out, size_t *n)
{
	return rows_for_app(s, STMT_APPEALS_FOR, app_id, sizeof(**out),
	                    appeal_row, NULL, (void **)out, n, "appeals");
}
