/*
 * The client_ref index: a retried app.submit with the same client_ref (per
 * user) gets its first application (DESIGN.md).
 *
 * It was a unique index on apps(created_by, client_ref). Every submit then
 * dirtied a leaf of it, and submits from many clerks (or with random keys)
 * each land on a leaf of their own: 78 of the 123 pages a group commit of
 * ~57 submits wrote to the log were leaves of that index, and the
 * checkpointer copied them all back. Submits rose from ~19k to ~24k a
 * second on the bench machine with the index dropped.
 *
 * So the index is in two parts:
 * - cold: the table client_refs(created_by, client_ref, app_rowid), keyed
 *   by (created_by, client_ref). Every application up to meta "refs_upto"
 *   (a rowid) is in it, if it has a client_ref.
 * - hot: the refs of the applications after refs_upto, in memory (a hash
 *   table over an array in rowid order), read from apps' last rows when
 *   the store opens.
 * A commit that finds REFS_MERGE hot refs moves them into client_refs in
 * key order, in the same transaction: a clerk's refs then go in together,
 * one leaf written for many submits instead of one each.
 *
 * The hot refs follow the transaction: those added since BEGIN go on a
 * rollback, and a merge counts only once its COMMIT did. ogid is the
 * only writer of its database (one daemon, DESIGN.md); a second process
 * inserting applications would not be seen here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

#define REFS_MERGE 1024 /* hot refs a commit moves into client_refs */
#define REFS_SLOTS 2048 /* the hash table's least size (a power of 2) */
#define REFS_ROWS 32 /* rows a merge's INSERT takes (STMT_REFS_INSERT_MANY) */

struct ref_ent {
	int64_t user;
	int64_t rowid;
	uint64_t hash;
	char *ref;
};

struct store_refs {
	struct ref_ent *ents; /* in rowid order */
	size_t n, cap;
	size_t mark;     /* n at BEGIN: what a rollback keeps */
	size_t merge_at; /* n at which a commit merges */
	uint32_t *slots; /* index into ents + 1; 0 empty (linear probing) */
	size_t nslots;   /* a power of 2, at least 2n */
	int64_t upto;    /* refs_upto, committed */
	int64_t merged;  /* refs_upto the open transaction set, 0 none */
};

static uint64_t
ref_hash(int64_t user, const char *ref)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)user;
	const unsigned char *p;

	h *= 1099511628211ull;
	for (p = (const unsigned char *)ref; *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

static void
slots_put(struct store_refs *r, size_t i)
{
	size_t mask = r->nslots - 1, k = (size_t)r->ents[i].hash & mask;

	while (r->slots[k] != 0)
		k = (k + 1) & mask;
	r->slots[k] = (uint32_t)(i + 1);
}

/* The table made anew for ents[0..n), at least twice as big as n. */
static void
slots_rebuild(struct store_refs *r)
{
	size_t want = REFS_SLOTS, i;

	while (want < 2 * r->n + 2)
		want *= 2;
	if (want != r->nslots) {
		free(r->slots);
		r->slots = xcalloc(want, sizeof(*r->slots));
		r->nslots = want;
	} else
		memset(r->slots, 0, want * sizeof(*r->slots));
	for (i = 0; i < r->n; i++)
		slots_put(r, i);
}

static void
ents_cut(struct store_refs *r, size_t n)
{
	if (n >= r->n)
		return;
	while (r->n > n)
		free(r->ents[--r->n].ref);
	slots_rebuild(r);
}

/* The hot ref's application rowid, or 0. */
static int64_t
hot_find(const struct store_refs *r, int64_t user, const char *ref)
{
	uint64_t h = ref_hash(user, ref);
	size_t mask = r->nslots - 1, k = (size_t)h & mask;
	uint32_t v;

	while ((v = r->slots[k]) != 0) {
		const struct ref_ent *e = &r->ents[v - 1];

		if (e->hash == h && e->user == user && strcmp(e->ref, ref) == 0)
			return e->rowid;
		k = (k + 1) & mask;
	}
	return 0;
}

static void
hot_add(struct store_refs *r, int64_t user, const char *ref, int64_t rowid)
{
	struct ref_ent *e;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->ents = xreallocarray(r->ents, r->cap, sizeof(*r->ents));
	}
	e = &r->ents[r->n++];
	e->user = user;
	e->rowid = rowid;
	e->hash = ref_hash(user, ref);
	e->ref = xstrdup(ref);
	if (2 * r->n + 2 > r->nslots)
		slots_rebuild(r);
	else
		slots_put(r, r->n - 1);
}

int64_t
store_refs_find(struct store *s, int64_t user, const char *ref)
{
	sqlite3_stmt *st;
	int64_t rowid;
	int rc;

	if (s->refs != NULL && (rowid = hot_find(s->refs, user, ref)) != 0)
		return rowid;
	if ((st = store_stmt(s, STMT_REFS_FIND)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rowid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "client_ref");
	return rowid;
}

void
store_refs_add(struct store *s, int64_t user, const char *ref, int64_t rowid)
{
	struct store_refs *r = s->refs;

	if (r == NULL)
		return;
	hot_add(r, user, ref, rowid);
	/* Outside a transaction the insert is committed already. */
	if (!s->in_txn)
		r->mark = r->n;
}

void
store_refs_begin(struct store *s)
{
	if (s->refs != NULL) {
		s->refs->mark = s->refs->n;
		s->refs->merged = 0;
	}
}

void
store_refs_rollback(struct store *s)
{
	if (s->refs != NULL) {
		ents_cut(s->refs, s->refs->mark);
		s->refs->merged = 0;
	}
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ref_ent *x = *(const struct ref_ent *const *)a;
	const struct ref_ent *y = *(const struct ref_ent *const *)b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return strcmp(x->ref, y->ref);
}

/* The hot refs into client_refs, in key order; meta refs_upto to last. */
static int
merge_rows(struct store *s, struct store_refs *r, int64_t *last)
{
	sqlite3_stmt *st;
	struct ref_ent **order;
	size_t i, k;
	int rc = 0;

	if ((st = store_stmt(s, STMT_REFS_LAST)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, "client_ref merge");
	}
	*last = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	order = xreallocarray(NULL, r->n, sizeof(*order));
	for (i = 0; i < r->n; i++)
		order[i] = &r->ents[i];
	qsort(order, r->n, sizeof(*order), ent_cmp);
	/* REFS_ROWS rows a statement while there are as many, then one. */
	for (i = 0; rc == 0 && i < r->n; i += k) {
		enum store_stmt which = r->n - i >= REFS_ROWS
		                            ? STMT_REFS_INSERT_MANY
		                            : STMT_REFS_INSERT;
		size_t j;

		k = which == STMT_REFS_INSERT_MANY ? REFS_ROWS : 1;
		if ((st = store_stmt(s, which)) == NULL) {
			rc = -1;
			break;
		}
		for (j = 0; j < k; j++) {
			const struct ref_ent *e = order[i + j];
			int b = (int)(3 * j);

			sqlite3_bind_int64(st, b + 1, e->user);
			sqlite3_bind_text(st, b + 2, e->ref, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 3, e->rowid);
		}
		rc = store_exec_stmt(s, st, "client_ref merge");
	}
	free(order);
	if (rc == 0 && (st = store_stmt(s, STMT_REFS_UPTO)) == NULL)
		rc = -1;
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, *last);
		rc = store_exec_stmt(s, st, "client_ref merge");
	}
	return rc;
}

/*
 * In the open transaction, before its COMMIT: the hot refs into
 * client_refs once there are REFS_MERGE of them. In a savepoint of its
 * own: a merge that fails is logged and tried again REFS_MERGE refs
 * later, and the commit goes on without it.
 */
int
store_refs_merge(struct store *s)
{
	struct store_refs *r = s->refs;
	int64_t last = 0;

	if (r == NULL || r->n < r->merge_at || r->merged != 0)
		return 0;
	if (store_savepoint(s) == -1)
		return -1;
	if (merge_rows(s, r, &last) == -1) {
		log_warnx("store: %s; retried later", store_error(s));
		store_rollback_to(s);
		r->merge_at = r->n + REFS_MERGE;
		return store_txn_check(s);
	}
	if (store_release(s) == -1)
		return -1;
	r->merged = last;
	return 0;
}

void
store_refs_committed(struct store *s)
{
	struct store_refs *r = s->refs;

	if (r == NULL)
		return;
	if (r->merged != 0) {
		/* Every hot ref was at or before the rowid merged up to. */
		r->upto = r->merged;
		r->merged = 0;
		r->merge_at = REFS_MERGE;
		ents_cut(r, 0);
	}
	r->mark = r->n;
}

/*
 * At open, for the writer: refs_upto and the refs after it. Many of them
 * (ogid stopped before a merge it would have made) are merged at once.
 */
int
store_refs_open(struct store *s)
{
	struct store_refs *r = xcalloc(1, sizeof(*r));
	sqlite3_stmt *st;
	char buf[32];
	int rc;

	r->merge_at = REFS_MERGE;
	slots_rebuild(r);
	s->refs = r;
	if ((rc = store_meta_get(s, "refs_upto", buf, sizeof(buf))) == -1)
		return -1;
	r->upto = rc == 0 ? strtoll(buf, NULL, 10) : 0;
	if ((st = store_stmt(s, STMT_REFS_HOT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->upto);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hot_add(r, sqlite3_column_int64(st, 0),
		        (const char *)sqlite3_column_text(st, 1),
		        sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "client_ref");
	r->mark = r->n;
	if (r->n < REFS_MERGE)
		return 0;
	if (store_begin(s) == -1 || store_refs_merge(s) == -1 ||
	    store_commit(s) == -1) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_refs_free(struct store *s)
{
	struct store_refs *r = s->refs;

	if (r == NULL)
		return;
	ents_cut(r, 0);
	free(r->ents);
	free(r->slots);
	free(r);
	s->refs = NULL;
}
