/*
 * ogid verify: walk the history chain from the first event, recomputing
 * each hash from the previous one and the canonical content, and run
 * SQLite's integrity check. Names the first bad event.
 *
 * The chain alone cannot show that events were cut off its end: its last
 * event must be the head every commit records in meta (chain_head,
 * lib/store.c). Each application's version and state are checked against
 * the version and state its last event records (every change bumps the
 * version; SPEC sections 2 and 6), and every application must have a
 * history and every history an application. Sequence numbers have no
 * gaps (events are never deleted), so a missing event is named by its
 * number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../lib/app.h"
#include "../lib/audit.h"
#include "../lib/store.h"
#include "../lib/tz.h"
#include "../lib/xmalloc.h"
#include "verify.h"

/* The last event of each application, as the walk finds it. */
struct last {
	char app[APP_ID_LEN];
	long long seq;
	long long version;
	char to[24]; /* the state it left the application in */
};

struct walk {
	uint8_t prev[32];
	long long n;
	long long bad_seq;
	long long last_seq;
	const char *why;
	struct last *last;
	size_t nlast, cap;
};

static int
check_event(const struct store_event *e, void *arg)
{
	struct walk *w = arg;
	uint8_t h[32];
	json_t *c, *ver;
	const char *app, *at, *to;
	int64_t t;

	if (e->seq <= w->last_seq) {
		w->why = "events out of order";
		goto bad;
	}
	if (e->seq != w->last_seq + 1) {
		/* Name the first missing one. */
		w->why = "missing: removed from the history";
		w->bad_seq = w->last_seq + 1;
		return 1;
	}
	if (memcmp(e->prev_hash, w->prev, 32) != 0) {
		w->why = "previous hash does not match: an event before it was"
		         " removed, reordered or edited";
		goto bad;
	}
	audit_hash(w->prev, e->content, strlen(e->content), h);
	if (memcmp(h, e->hash, 32) != 0) {
		w->why = "content does not match its hash: edited";
		goto bad;
	}
	c = json_loads(e->content, 0, NULL);
	app = json_string_value(json_object_get(c, "app"));
	if (c == NULL || app == NULL || strcmp(app, e->app_id) != 0) {
		json_decref(c);
		w->why = "application id column does not match the content";
		goto bad;
	}
	at = json_string_value(json_object_get(c, "at"));
	if (at == NULL || tz_parse(at, &t) == -1 || t != e->at) {
		json_decref(c);
		w->why = "time column does not match the content";
		goto bad;
	}
	ver = json_object_get(c, "version");
	to = json_string_value(json_object_get(c, "to"));
	if (w->nlast == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->last = xreallocarray(w->last, w->cap, sizeof(*w->last));
	}
	snprintf(w->last[w->nlast].app, APP_ID_LEN, "%s", e->app_id);
	w->last[w->nlast].seq = e->seq;
	w->last[w->nlast].version =
	    json_is_integer(ver) ? (long long)json_integer_value(ver) : -1;
	snprintf(w->last[w->nlast].to, sizeof(w->last[w->nlast].to), "%s",
	         to != NULL ? to : "");
	w->nlast++;
	json_decref(c);
	memcpy(w->prev, e->hash, 32);
	w->last_seq = e->seq;
	w->n++;
	return 0;
bad:
	w->bad_seq = e->seq;
	return 1;
}

static int
last_cmp(const void *x, const void *y)
{
	const struct last *a = x, *b = y;
	int c = strcmp(a->app, b->app);

	if (c != 0)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Keep only the last event of each application, sorted by id. */
static void
last_per_app(struct walk *w)
{
	size_t i, n = 0;

	if (w->nlast == 0)
		return;
	qsort(w->last, w->nlast, sizeof(*w->last), last_cmp);
	for (i = 0; i < w->nlast; i++) {
		if (i + 1 < w->nlast &&
		    strcmp(w->last[i].app, w->last[i + 1].app) == 0)
			continue;
		w->last[n++] = w->last[i];
	}
	w->nlast = n;
}

static struct last *
find_last(struct walk *w, const char *id)
{
	size_t lo = 0, hi = w->nlast;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(w->last[mid].app, id);

		if (c == 0)
			return &w->last[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Every application against its history: 0 if they agree, 1 (message
 * printed) if not, -1 on a read error.
 */
static int
check_apps(struct store *st, struct walk *w)
{
	struct store_list_q q;
	struct app *items;
	size_t n, i, seen = 0;
	char after[APP_ID_LEN];
	struct last *l;

	last_per_app(w);
	memset(&q, 0, sizeof(q));
	q.state = -1;
	q.from = q.to = DAY_NONE;
	q.overdue = -1;
	q.limit = 500;
	for (;;) {
		if (store_app_list(st, &q, &items, &n) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			l = find_last(w, items[i].id);
			if (l == NULL) {
				fprintf(stderr,
				        "ogid: verify: application %s has no"
				        " history: its events were removed\n",
				        items[i].id);
				printf("bad application %s\n", items[i].id);
				store_apps_free(items, n);
				return 1;
			}
			if (l->version != items[i].version) {
				fprintf(stderr,
				        "ogid: verify: application %s: version"
				        " %lld, but its last event (event %lld)"
				        " records version %lld: events were"
				        " removed or added, or the application"
				        " was changed outside the daemon\n",
				        items[i].id,
				        (long long)items[i].version, l->seq,
				        l->version);
				printf("bad application %s\n", items[i].id);
				store_apps_free(items, n);
				return 1;
			}
			if (strcmp(l->to, app_state_name(items[i].state)) !=
			    0) {
				fprintf(stderr,
				        "ogid: verify: application %s: state"
				        " %s, but its last event (event %lld)"
				        " leaves it %s: the application was"
				        " changed outside the daemon\n",
				        items[i].id,
				        app_state_name(items[i].state), l->seq,
				        l->to);
				printf("bad application %s\n", items[i].id);
				store_apps_free(items, n);
				return 1;
			}
			seen++;
		}
		if (n < (size_t)q.limit) {
			store_apps_free(items, n);
			break;
		}
		snprintf(after, sizeof(after), "%s", items[n - 1].id);
		q.after = after;
		store_apps_free(items, n);
	}
	if (seen != w->nlast) {
		/* Some history belongs to no application. */
		for (i = 0; i < w->nlast; i++) {
			struct app a;
			int rc = store_app_get(st, w->last[i].app, &a);

			if (rc == 0) {
				app_clear(&a);
				continue;
			}
			if (rc == -1)
				return -1;
			fprintf(stderr,
			        "ogid: verify: event %lld: its application %s"
			        " does not exist\n",
			        w->last[i].seq, w->last[i].app);
			printf("bad event %lld\n", w->last[i].seq);
			return 1;
		}
	}
	return 0;
}

/*
 * The walk's end against the head the commits recorded: 0 if they agree,
 * 1 (message printed) if not, -1 on a read error.
 */
static int
check_head(struct store *st, const struct walk *w)
{
	char val[128], hex[65], want[65];
	long long seq;
	int rc = store_meta_get(st, "chain_head", val, sizeof(val));

	if (rc == -1)
		return -1;
	if (rc == STORE_NOTFOUND) {
		fprintf(stderr, "ogid: verify: the chain's head (meta"
		                " chain_head) is missing: removed outside the"
		                " daemon\n");
		printf("bad head\n");
		return 1;
	}
	if (sscanf(val, "%lld %64s", &seq, want) != 2) {
		fprintf(stderr, "ogid: verify: the chain's head (meta"
		                " chain_head) is not a sequence number and a"
		                " hash\n");
		printf("bad head\n");
		return 1;
	}
	if (seq > w->last_seq) {
		fprintf(stderr,
		        "ogid: verify: event %lld: missing: the history ends"
		        " at event %lld, its recorded head is event %lld:"
		        " events were cut off its end\n",
		        w->last_seq + 1, w->last_seq, seq);
		printf("bad event %lld\n", w->last_seq + 1);
		return 1;
	}
	if (seq < w->last_seq) {
		fprintf(stderr,
		        "ogid: verify: event %lld: after the recorded head"
		        " (event %lld): added outside the daemon\n",
		        seq + 1, seq);
		printf("bad event %lld\n", seq + 1);
		return 1;
	}
	audit_hex(w->prev, hex);
	if (strcmp(hex, want) != 0) {
		fprintf(stderr,
		        "ogid: verify: event %lld: its hash is not the recorded"
		        " head's: replaced\n",
		        seq);
		printf("bad event %lld\n", seq);
		return 1;
	}
	return 0;
}

/*
 * Open path to read only, for ogid cmd ("verify", "restore"): never
 * written, so never migrated, and the checks read this ogid's schema. 0,
 * or -1 with the reason printed.
 */
int
verify_open(const char *path, const char *cmd, struct store **out)
{
	int have, want;

	if (store_open_source(path, out) == -1) {
		fprintf(stderr, "ogid: %s: %s\n", cmd, store_error(*out));
		goto fail;
	}
	have = store_schema(*out, &want);
	if (have == want)
		return 0;
	if (have > want)
		fprintf(stderr,
		        "ogid: %s: %s: database schema version %d is newer"
		        " than this ogid (%d): upgrade ogid\n",
		        cmd, path, have, want);
	else
		fprintf(stderr,
		        "ogid: %s: %s: database schema version %d is older"
		        " than this ogid's (%d), and is read here without being"
		        " changed: verify it with the ogid that wrote it, or"
		        " %s a migrated copy (copy it, start this ogid on the"
		        " copy once; README, Operations); left unchanged\n",
		        cmd, path, have, want, cmd);
fail:
	store_close(*out);
	*out = NULL;
	return -1;
}

/*
 * The checks, under one snapshot: 0 if the database is intact, with the
 * number of events and the head's hash; 1 if not, the reason printed.
 */
int
verify_store(struct store *st, long long *events, char head[65])
{
	struct walk w;
	char msg[512];
	int rc, began;

	rc = store_integrity_check(st, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(stderr, "ogid: verify: integrity check failed: %s\n",
		        rc == -1 ? store_error(st) : msg);
		return 1;
	}
	/* One snapshot for the chain, its head and the applications: a
	 * commit of a running daemon between them is not a tampering. */
	if ((began = store_read_begin(st)) == -1) {
		fprintf(stderr, "ogid: verify: %s\n", store_error(st));
		return 1;
	}
	memset(&w, 0, sizeof(w));
	rc = store_events_walk(st, check_event, &w);
	if (rc == -1) {
		fprintf(stderr, "ogid: verify: cannot read the history: %s\n",
		        store_error(st));
	} else if (w.why != NULL) {
		fprintf(stderr, "ogid: verify: event %lld: %s\n", w.bad_seq,
		        w.why);
		printf("bad event %lld\n", w.bad_seq);
		rc = 1;
	} else {
		rc = check_head(st, &w);
		if (rc == 0)
			rc = check_apps(st, &w);
		if (rc == -1)
			fprintf(stderr,
			        "ogid: verify: cannot read the head or the"
			        " applications: %s\n",
			        store_error(st));
	}
	store_read_end(st, began);
	free(w.last);
	*events = w.n;
	audit_hex(w.prev, head);
	return rc == 0 ? 0 : 1;
}

int
verify_db(const char *path)
{
	struct store *st;
	long long n;
	char head[65];
	int rc;

	if (verify_open(path, "verify", &st) == -1)
		return 1;
	rc = verify_store(st, &n, head);
	store_close(st);
	if (rc != 0)
		return 1;
	/* The head hash: kept elsewhere, it shows a rewrite of the whole
	 * chain. */
	printf("ok: %lld events, chain intact up to its recorded head, every"
	       " application's version and state match its history, integrity"
	       " ok; head %s\n",
	       n, head);
	return 0;
}
