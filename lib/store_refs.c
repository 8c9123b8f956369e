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
 * Once there are REFS_CYCLE hot refs, they move into client_refs in key
 * order, REFS_CHUNK with each COMMIT (a merge cycle): a clerk's refs then
 * go in together, one leaf written for many submits instead of one each,
 * and no commit carries the whole move. The refs stay hot until the cycle
 * ends; its last chunk sets refs_upto, and refs added meanwhile stay hot
 * for the next cycle. Moving 1024 refs in one commit wrote ~185 pages,
 * a fifth of what submits wrote to the log; a cycle of 16384 writes far
 * fewer a ref (a leaf takes many of a clerk's refs at once): the log took
 * ~15% fewer bytes a submit, and submits ran ~9% faster.
 *
 * The hot refs follow the transaction: those added since BEGIN go on a
 * rollback, a chunk counts only once its COMMIT did, and a cycle begun in
 * a transaction that rolls back is begun again later. ogid is the only
 * writer of its database (one daemon, DESIGN.md); a second process
 * inserting applications would not be seen here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

#define REFS_CYCLE 16384 /* hot refs that begin a merge cycle */
#define REFS_CHUNK 512   /* refs a commit moves in a cycle */
#define REFS_SLOTS 2048  /* the hash table's least size (a power of 2) */
#define REFS_ROWS 32 /* rows a merge's INSERT takes (STMT_REFS_INSERT_MANY) */

static size_t refs_cycle = REFS_CYCLE, refs_chunk = REFS_CHUNK;

struct ref_ent {
	int64_t user;
	int64_t rowid;
	uint64_t hash;
	char *ref;
};

struct store_refs {
	struct ref_ent *ents; /* in rowid order */
	size_t n, cap;
	size_t mark;         /* n at BEGIN: what a rollback keeps */
	size_t merge_at;     /* n at which a commit begins a cycle */
	uint32_t *slots;     /* index into ents + 1; 0 empty (linear probing) */
	size_t nslots;       /* a power of 2, at least 2n */
	size_t cycle, chunk; /* REFS_CYCLE, REFS_CHUNK (store_refs_tune) */
	/* The merge cycle: ents[0..cycle_n) in key order, 0 none. */
	size_t cycle_n;
	size_t *order;      /* indexes into ents, in key order */
	size_t moved;       /* order[0..moved) are in client_refs, committed */
	size_t moving;      /* moved once the open transaction commits, 0 */
	int64_t cycle_upto; /* refs_upto once the cycle ends */
	bool cycle_new;     /* begun in the open transaction */
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

/*
 * The hot ref's application rowid, or 0. A ref is hot twice only when its
 * first application was deleted by hand and the ref submitted again: the
 * newest entry (the highest index) is the one that stands.
 */
static int64_t
hot_find(const struct store_refs *r, int64_t user, const char *ref)
{
	uint64_t h = ref_hash(user, ref);
	size_t mask = r->nslots - 1, k = (size_t)h & mask;
	uint32_t v, found = 0;

	while ((v = r->slots[k]) != 0) {
		const struct ref_ent *e = &r->ents[v - 1];

		if (v > found && e->hash == h && e->user == user &&
		    strcmp(e->ref, ref) == 0)
			found = v;
		k = (k + 1) & mask;
	}
	return found != 0 ? r->ents[found - 1].rowid : 0;
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

static void
cycle_end(struct store_refs *r)
{
	free(r->order);
	r->order = NULL;
	r->cycle_n = r->moved = r->moving = 0;
	r->cycle_new = false;
}

void
store_refs_begin(struct store *s)
{
	if (s->refs != NULL) {
		s->refs->mark = s->refs->n;
		s->refs->moving = 0;
		s->refs->cycle_new = false;
	}
}

void
store_refs_rollback(struct store *s)
{
	struct store_refs *r = s->refs;

	if (r == NULL)
		return;
	/* A cycle begun earlier covers refs before the mark only. */
	if (r->cycle_new)
		cycle_end(r);
	r->moving = 0;
	ents_cut(r, r->mark);
}

/*
 * qsort_r over indexes into ents: by key, and a key hot twice (hot_find)
 * oldest first, so that the merge's INSERT OR REPLACE keeps the newest.
 */
static int
ent_cmp(const void *a, const void *b, void *arg)
{
	const struct ref_ent *ents = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct ref_ent *x = &ents[i], *y = &ents[j];
	int c;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if ((c = strcmp(x->ref, y->ref)) != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* A cycle over every hot ref: their order, and refs_upto once moved. */
static int
cycle_begin(struct store *s, struct store_refs *r)
{
	sqlite3_stmt *st;
	size_t i;

	if ((st = store_stmt(s, STMT_REFS_LAST)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, "client_ref merge");
	}
	r->cycle_upto = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	r->order = xreallocarray(NULL, r->n, sizeof(*r->order));
	for (i = 0; i < r->n; i++)
		r->order[i] = i;
	qsort_r(r->order, r->n, sizeof(*r->order), ent_cmp, r->ents);
	r->cycle_n = r->n;
	r->moved = 0;
	r->cycle_new = true;
	return 0;
}

/* order[from..to) into client_refs; with the cycle's last, refs_upto. */
static int
move_rows(struct store *s, struct store_refs *r, size_t from, size_t to)
{
	sqlite3_stmt *st;
	size_t i, k;
	int rc = 0;

	/* REFS_ROWS rows a statement while there are as many, then one. */
	for (i = from; rc == 0 && i < to; i += k) {
		enum store_stmt which = to - i >= REFS_ROWS
		                            ? STMT_REFS_INSERT_MANY
		                            : STMT_REFS_INSERT;
		size_t j;

		k = which == STMT_REFS_INSERT_MANY ? REFS_ROWS : 1;
		if ((st = store_stmt(s, which)) == NULL)
			return -1;
		for (j = 0; j < k; j++) {
			const struct ref_ent *e = &r->ents[r->order[i + j]];
			int b = (int)(3 * j);

			sqlite3_bind_int64(st, b + 1, e->user);
			sqlite3_bind_text(st, b + 2, e->ref, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 3, e->rowid);
		}
		rc = store_exec_stmt(s, st, "client_ref merge");
	}
	if (rc == 0 && to == r->cycle_n) {
		if ((st = store_stmt(s, STMT_REFS_UPTO)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, r->cycle_upto);
		rc = store_exec_stmt(s, st, "client_ref merge");
	}
	return rc;
}

/*
 * In the open transaction, before its COMMIT: the cycle's next chunk (all
 * of it with whole), a cycle begun once there are enough hot refs. In a
 * savepoint of its own: a chunk that fails is logged, the cycle is given
 * up (the refs stay hot) and begun again REFS_CYCLE refs later, and the
 * commit goes on without it.
 */
static int
refs_merge(struct store *s, bool whole)
{
	struct store_refs *r = s->refs;
	size_t to;

	if (r == NULL || r->moving != 0)
		return 0;
	if (r->cycle_n == 0 && r->n < r->merge_at)
		return 0;
	if (store_savepoint(s) == -1)
		return -1;
	if (r->cycle_n == 0 && cycle_begin(s, r) == -1)
		goto failed;
	to = whole || r->cycle_n - r->moved <= r->chunk ? r->cycle_n
	                                                : r->moved + r->chunk;
	if (move_rows(s, r, r->moved, to) == -1)
		goto failed;
	if (store_release(s) == -1)
		return -1;
	r->moving = to;
	return 0;
failed:
	log_warnx("store: %s; retried later", store_error(s));
	store_rollback_to(s);
	cycle_end(r);
	r->merge_at = r->n + r->cycle;
	return store_txn_check(s);
}

int
store_refs_merge(struct store *s)
{
	return refs_merge(s, false);
}

void
store_refs_committed(struct store *s)
{
	struct store_refs *r = s->refs;
	size_t i;

	if (r == NULL)
		return;
	r->cycle_new = false;
	if (r->moving != 0) {
		r->moved = r->moving;
		r->moving = 0;
	}
	if (r->cycle_n != 0 && r->moved == r->cycle_n) {
		/* The cycle's refs are in client_refs; newer ones stay. */
		for (i = 0; i < r->cycle_n; i++)
			free(r->ents[i].ref);
		memmove(r->ents, r->ents + r->cycle_n,
		        (r->n - r->cycle_n) * sizeof(*r->ents));
		r->n -= r->cycle_n;
		slots_rebuild(r);
		r->merge_at = r->cycle;
		cycle_end(r);
	}
	r->mark = r->n;
}

/* Tests: smaller cycles and chunks for the stores opened after. */
void
store_refs_tune(size_t cycle, size_t chunk)
{
	refs_cycle = cycle;
	refs_chunk = chunk;
}

/*
 * At open, for the writer: the refs after refs_upto, hot. A cycle's worth
 * or more (ogid stopped before a cycle it would have made) are merged at
 * once.
 */
int
store_refs_open(struct store *s)
{
	struct store_refs *r = xcalloc(1, sizeof(*r));
	sqlite3_stmt *st;
	char buf[32];
	int64_t upto;
	int rc;

	r->cycle = r->merge_at = refs_cycle;
	r->chunk = refs_chunk;
	slots_rebuild(r);
	s->refs = r;
	if ((rc = store_meta_get(s, "refs_upto", buf, sizeof(buf))) == -1)
		return -1;
	upto = rc == 0 ? strtoll(buf, NULL, 10) : 0;
	if ((st = store_stmt(s, STMT_REFS_HOT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, upto);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hot_add(r, sqlite3_column_int64(st, 0),
		        (const char *)sqlite3_column_text(st, 1),
		        sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "client_ref");
	r->mark = r->n;
	if (r->n < r->cycle)
		return 0;
	/*
	 * Best effort, as every merge: on a full disk ogid still starts, and
	 * the refs stay hot until the merges at commits move them.
	 */
	if (store_begin(s) == -1 || refs_merge(s, true) == -1 ||
	    store_commit(s) == -1) {
		log_warnx("store: client_refs at open: %s; merged later",
		          store_error(s));
		store_rollback(s);
	}
	return 0;
}

void
store_refs_free(struct store *s)
{
	struct store_refs *r = s->refs;

	if (r == NULL)
		return;
	cycle_end(r);
	ents_cut(r, 0);
	free(r->ents);
	free(r->slots);
	free(r);
	s->refs = NULL;
}
