/*
 * ogid verify: walk the history chain from the first event, recomputing
 * each hash from the previous one and the canonical content, and run
 * SQLite's integrity check. Names the first bad event.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../lib/audit.h"
#include "../lib/store.h"
#include "verify.h"

struct walk {
	uint8_t prev[32];
	long long n;
	long long bad_seq;
	long long last_seq;
	const char *why;
};

static int
check_event(const struct store_event *e, void *arg)
{
	struct walk *w = arg;
	uint8_t h[32];
	json_t *c;
	const char *app;

	if (e->seq <= w->last_seq) {
		w->why = "events out of order";
		goto bad;
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
	json_decref(c);
	memcpy(w->prev, e->hash, 32);
	w->last_seq = e->seq;
	w->n++;
	return 0;
bad:
	w->bad_seq = e->seq;
	return 1;
}

int
verify_db(const char *path)
{
	struct store *st;
	struct walk w;
	char msg[512];
	int rc;

	if (store_open(path, false, true, &st) == -1) {
		fprintf(stderr, "ogid: verify: %s\n", store_error(st));
		store_close(st);
		return 1;
	}
	rc = store_integrity_check(st, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(stderr, "ogid: verify: integrity check failed: %s\n",
			rc == -1 ? store_error(st) : msg);
		store_close(st);
		return 1;
	}
	memset(&w, 0, sizeof(w));
	rc = store_events_walk(st, check_event, &w);
	store_close(st);
	if (rc == -1) {
		fprintf(stderr, "ogid: verify: %s\n", "cannot read the history");
		return 1;
	}
	if (w.why != NULL) {
		fprintf(stderr, "ogid: verify: event %lld: %s\n", w.bad_seq,
			w.why);
		printf("bad event %lld\n", w.bad_seq);
		return 1;
	}
	printf("ok: %lld events, chain intact, integrity ok\n", w.n);
	return 0;
}
