/*
 * libFuzzer harness over the request path, without sockets or libevent:
 * each input is what one client sends on one connection, split into lines;
 * every line goes through rpc_work_start/rpc_work_step exactly as conn.c
 * drives it, against the real methods and a real store in a temporary
 * database. The group commit is simulated: a write that waits is answered
 * at once (rpc_work_commit_done), and every input runs inside one outer
 * transaction that is rolled back afterwards, so inputs do not see each
 * other and a crash reproduces from its input alone.
 *
 * Conventions of an input (see tests/fuzz/README):
 * - the session starts authenticated as user "fuzz" with every role, unless
 *   the first line is "#noauth";
 * - other users exist with tokens t-admin, t-clerk, t-clerk2, t-reviewer,
 *   t-reviewer2, t-secrecy, t-supervisor; "fuzz" has token t-fuzz;
 * - a line "#fail" makes the next commit fail (the -32005 path), "#refuse"
 *   answers every further call as a shutting-down daemon does;
 * - the fake clock starts at 2026-03-02T09:00:00+08:00 for every input.
 *
 * FUZZ_RPC_ECHO=1 prints the responses to stderr, FUZZ_RPC_LOG=1 the log.
 *
 * Every response line is checked: valid JSON, one line, a JSON-RPC 2.0
 * response (or a batch of them) with a known error code; -32602 carries
 * data {field, reason}. After each input, the history chain of its events
 * is intact and every application's version counts its history. A
 * violation aborts (a finding), as does a line jr_loadb reads otherwise
 * than jansson, and (OGID_VIEW_CHECK) a history text that is not jansson's
 * or an app.submit that submit_fast.c reads otherwise than the tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../daemon/events.h"
#include "../../daemon/methods.h"
#include "../../daemon/ogid.h"
#include "../../daemon/rpc.h"
#include "../../lib/app.h"
#include "../../lib/audit.h"
#include "../../lib/calendar.h"
#include "../../lib/config.h"
#include "../../lib/log.h"
#include "../../lib/store.h"
#include "../../lib/tz.h"
#include "jsonr_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

/* ---- what main.c, conn.c and server.c provide to the rest ---- */

static struct daemon the_daemon;
struct daemon *ogid = &the_daemon;

int64_t
daemon_now(void)
{
	return ogid->fake_now;
}

day_t
daemon_today(void)
{
	return tz_day(daemon_now());
}

/* One fake connection: the session of the input being run. */
struct conn {
	struct session session;
};
static struct conn fake_conn;

static void
check_json_text(const char *s, size_t len, const char *what)
{
	json_error_t e;
	json_t *v = json_loadb(s, len, JSON_DECODE_ANY, &e);

	if (v == NULL) {
		fprintf(stderr, "fuzz_rpc: %s is not JSON (%s): %.*s\n", what,
		        e.text, (int)(len > 300 ? 300 : len), s);
		abort();
	}
	json_decref(v);
}

void
conn_commit_done(struct conn *c, bool ok, const char *why)
{
	(void)c;
	(void)ok;
	(void)why;
}

void
conn_push(struct conn *c, const char *line, size_t len)
{
	(void)c;
	if (len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL) {
		fprintf(stderr, "fuzz_rpc: an event is not one line\n");
		abort();
	}
	check_json_text(line, len - 1, "event");
}

struct session *
conn_session(struct conn *c)
{
	return &c->session;
}

void
conn_deauthed(struct conn *c)
{
	(void)c;
}

unsigned
conn_count(void)
{
	return 1;
}

/* ---- set-up, once per process ---- */

static char tmpdir[64];
static char dbpath[128];
static struct cal *pristine_cal;  /* what the database holds */
static struct cal *installed_cal; /* the copy handed to ogid->cal */
static int64_t fuzz_user_id;
static int64_t start_now;

static const struct {
	const char *name, *token;
	unsigned roles;
} users[] = {
	{ "fuzz", "t-fuzz", ROLE_ALL },
	{ "admin", "t-admin", ROLE_ALL },
	{ "clerk", "t-clerk", ROLE_CLERK },
	{ "clerk2", "t-clerk2", ROLE_CLERK },
	{ "reviewer", "t-reviewer", ROLE_REVIEWER },
	{ "reviewer2", "t-reviewer2", ROLE_REVIEWER },
	{ "secrecy", "t-secrecy", ROLE_SECRECY },
	{ "supervisor", "t-supervisor", ROLE_SUPERVISOR },
	{ "gone", "t-gone", ROLE_ALL }, /* disabled below */
};

static void
cleanup(void)
{
	char p[160];

	if (tmpdir[0] == '\0')
		return;
	snprintf(p, sizeof p, "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	unlink(p);
	unlink(dbpath);
	rmdir(tmpdir);
}

static void
die(const char *what, struct store *st)
{
	fprintf(stderr, "fuzz_rpc: %s: %s\n", what,
	        st != NULL ? store_error(st) : "failed");
	exit(1);
}

static void
setup(void)
{
	struct store *st;
	const char *why;
	int line, y;
	size_t i;
	uint8_t h[32];
	int64_t id;

	log_init("fuzz_rpc", 0);
	if (getenv("FUZZ_RPC_LOG") == NULL && log_set_file("/dev/null") == -1)
		die("log", NULL);
	config_defaults(&ogid->cfg);
	if (tz_set(ogid->cfg.timezone) == -1)
		die("tz_set", NULL);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ogi-fuzz.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		die("mkdtemp", NULL);
	snprintf(dbpath, sizeof dbpath, "%s/fuzz.db", tmpdir);
	atexit(cleanup);

	pristine_cal = cal_new();
	if (cal_load_text(pristine_cal, cal_builtin_text, &why, &line) == -1)
		die("built-in calendar", NULL);
	if (store_create(dbpath, &st) == -1)
		die("store_create", st);
	if (store_begin(st) == -1)
		die("begin", st);
	for (y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		day_t *hol, *wd;
		size_t nh, nw;
		int rc;

		if (!cal_year_known(pristine_cal, y))
			continue;
		cal_get_year(pristine_cal, y, &hol, &nh, &wd, &nw);
		rc = store_calendar_set(st, y, hol, nh, wd, nw);
		free(hol);
		free(wd);
		if (rc == -1)
			die("calendar", st);
	}
	if (tz_parse("2026-03-02T09:00:00+08:00", &start_now) == -1)
		die("tz_parse", NULL);
	for (i = 0; i < sizeof users / sizeof users[0]; i++) {
		methods_token_hash(users[i].token, h);
		if (store_user_create(st, users[i].name, users[i].roles, h,
		                      start_now, &id) == -1)
			die("user", st);
		if (i == 0)
			fuzz_user_id = id;
	}
	if (store_user_disable(st, "gone") == -1 || store_commit(st) == -1)
		die("users", st);
	store_close(st);

	/*
	 * One connection for the writer and the reader: reads must see the
	 * writes of the same input, which stay uncommitted.
	 */
	if (store_open(dbpath, false, false, &ogid->store) == -1)
		die("store_open", ogid->store);
	ogid->rstore = ogid->store;
	ogid->db_path = dbpath;
	ogid->fake_clock = true;
	ogid->fake_now = start_now;
	ogid->cal = installed_cal = cal_copy(pristine_cal);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* History texts against jansson's, submit_fast.c against the tree:
	 * a difference aborts (methods.c, methods_submit.c). */
	setenv("OGID_VIEW_CHECK", "1", 1);
	setup();
	return 0;
}

/* ---- one input ---- */

struct out {
	char *buf;
	size_t len, cap;
};

static int
emit(const char *s, size_t n, void *arg)
{
	struct out *o = arg;

	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (o->buf == NULL)
			abort();
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static const int known_codes[] = { RPC_PARSE_ERROR,      RPC_INVALID_REQUEST,
	                           RPC_METHOD_NOT_FOUND, RPC_INVALID_PARAMS,
	                           RPC_INTERNAL,         RPC_UNAUTHENTICATED,
	                           RPC_FORBIDDEN,        RPC_NOT_FOUND,
	                           RPC_CONFLICT,         RPC_BUSY };

static void
fail_response(const char *why, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);

	fprintf(stderr, "fuzz_rpc: bad response (%s): %.400s\n", why,
	        s != NULL ? s : "?");
	free(s);
	abort();
}

static void
check_response(json_t *r)
{
	json_t *e, *code, *data;
	size_t i;
	bool known = false;

	if (!json_is_object(r))
		fail_response("not an object", r);
	if (!json_is_string(json_object_get(r, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(r, "jsonrpc")), "2.0") !=
	        0)
		fail_response("jsonrpc", r);
	if (json_object_get(r, "id") == NULL)
		fail_response("no id", r);
	e = json_object_get(r, "error");
	if ((e != NULL) == (json_object_get(r, "result") != NULL))
		fail_response("exactly one of result and error", r);
	if (e == NULL)
		return;
	code = json_object_get(e, "code");
	if (!json_is_integer(code) ||
	    !json_is_string(json_object_get(e, "message")))
		fail_response("error object", r);
	for (i = 0; i < sizeof known_codes / sizeof known_codes[0]; i++)
		if (json_integer_value(code) == known_codes[i])
			known = true;
	if (!known)
		fail_response("unknown error code", r);
	if (json_integer_value(code) == RPC_INVALID_PARAMS) {
		data = json_object_get(e, "data");
		if (!json_is_string(json_object_get(data, "field")) ||
		    !json_is_string(json_object_get(data, "reason")))
			fail_response("-32602 without data {field, reason}", r);
	}
	if (json_integer_value(code) == RPC_INTERNAL &&
	    getenv("FUZZ_RPC_ALLOW_INTERNAL") == NULL)
		fail_response("internal error", r);
}

/* The bytes one line produced: nothing, or one response line. */
static void
check_output(const struct out *o)
{
	json_error_t e;
	json_t *v, *r;
	size_t i;

	if (o->len == 0)
		return;
	if (o->buf[o->len - 1] != '\n' ||
	    memchr(o->buf, '\n', o->len - 1) != NULL) {
		fprintf(stderr, "fuzz_rpc: output is not one line: %.300s\n",
		        o->buf);
		abort();
	}
	v = json_loadb(o->buf, o->len - 1, JSON_DECODE_ANY, &e);
	if (v == NULL) {
		fprintf(stderr, "fuzz_rpc: output is not JSON (%s): %.300s\n",
		        e.text, o->buf);
		abort();
	}
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			fail_response("empty batch response", v);
		json_array_foreach(v, i, r) check_response(r);
	} else
		check_response(v);
	json_decref(v);
}

/*
 * What ogid verify checks, and more: the chain of the input's events is
 * intact (savepoint rollbacks included), every application's history
 * starts with app.submit, and its version counts its changes (every event
 * but the due-soon and overdue notes).
 */
struct chain {
	uint8_t prev[32];
	json_t *apps; /* id -> [changes, first method] */
	bool bad;
	char why[200];
};

static int
chain_event(const struct store_event *e, void *arg)
{
	struct chain *ch = arg;
	uint8_t h[32];
	json_t *c, *a;
	const char *method;

	if (memcmp(e->prev_hash, ch->prev, 32) != 0) {
		snprintf(ch->why, sizeof ch->why, "event %lld: previous hash",
		         (long long)e->seq);
		ch->bad = true;
		return 1;
	}
	audit_hash(ch->prev, e->content, strlen(e->content), h);
	if (memcmp(h, e->hash, 32) != 0) {
		snprintf(ch->why, sizeof ch->why, "event %lld: hash",
		         (long long)e->seq);
		ch->bad = true;
		return 1;
	}
	memcpy(ch->prev, e->hash, 32);
	c = json_loads(e->content, 0, NULL);
	method = json_string_value(json_object_get(c, "method"));
	if (method == NULL) {
		snprintf(ch->why, sizeof ch->why, "event %lld: no method",
		         (long long)e->seq);
		ch->bad = true;
		json_decref(c);
		return 1;
	}
	a = json_object_get(ch->apps, e->app_id);
	if (a == NULL) {
		a = json_pack("[i, s]", 0, method);
		json_object_set_new(ch->apps, e->app_id, a);
	}
	if (strcmp(method, "timer.due_soon") != 0 &&
	    strcmp(method, "timer.overdue") != 0)
		json_array_set_new(
		    a, 0,
		    json_integer(json_integer_value(json_array_get(a, 0)) + 1));
	json_decref(c);
	return 0;
}

static void
check_store(void)
{
	struct chain ch;
	const char *id;
	json_t *v;
	struct app a;

	memset(&ch, 0, sizeof ch);
	ch.apps = json_object();
	if (store_events_walk(ogid->store, chain_event, &ch) == -1) {
		fprintf(stderr, "fuzz_rpc: events: %s\n",
		        store_error(ogid->store));
		abort();
	}
	if (ch.bad) {
		fprintf(stderr, "fuzz_rpc: history chain broken: %s\n", ch.why);
		abort();
	}
	json_object_foreach(ch.apps, id, v)
	{
		if (store_app_get(ogid->store, id, &a) != 0) {
			fprintf(stderr, "fuzz_rpc: history of %s, no app\n",
			        id);
			abort();
		}
		if (strcmp(json_string_value(json_array_get(v, 1)),
		           "app.submit") != 0 ||
		    a.version != json_integer_value(json_array_get(v, 0))) {
			fprintf(
			    stderr,
			    "fuzz_rpc: %s: version %lld, %lld changes,"
			    " first %s\n",
			    id, (long long)a.version,
			    (long long)json_integer_value(json_array_get(v, 0)),
			    json_string_value(json_array_get(v, 1)));
			abort();
		}
		app_clear(&a);
	}
	if (getenv("FUZZ_RPC_ECHO") != NULL)
		fprintf(stderr, "(history of %zu applications checked)\n",
		        json_object_size(ch.apps));
	json_decref(ch.apps);
}

static void
reset_state(void)
{
	if (ogid->cal != installed_cal) {
		/* calendar.set swapped in (and freed) a calendar. */
		cal_free(ogid->cal);
		ogid->cal = installed_cal = cal_copy(pristine_cal);
	}
	ogid->fake_now = start_now;
	ogid->shutting_down = false;
	/* Out of events.c's subscribers (and its counts) before the wipe. */
	events_subscribe(&fake_conn.session, 0);
	memset(&fake_conn, 0, sizeof fake_conn);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session *s = &fake_conn.session;
	struct rpc_work w;
	struct out o = { NULL, 0, 0 };
	const char *p = (const char *)data, *end = p + size, *nl;
	bool refuse = false, fail_next = false, ok;
	int lines = 0;
	static int echo = -1;

	if (echo == -1)
		echo = getenv("FUZZ_RPC_ECHO") != NULL;
	reset_state();
	s->conn_id = 1;
	snprintf(s->peer, sizeof s->peer, "127.0.0.1:1");
	s->conn = &fake_conn;
	if (size >= 7 && memcmp(p, "#noauth", 7) == 0)
		s->authed = false;
	else {
		s->authed = true;
		s->user_id = fuzz_user_id;
		snprintf(s->user, sizeof s->user, "fuzz");
		s->roles = ROLE_ALL;
		s->auth_gen = events_auth_gen;
	}
	if (store_begin(ogid->store) == -1)
		die("begin", ogid->store);

	while (p < end && lines < 64) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end; /* a final line without "\n" is run too */
		lines++;
		if (nl - p == 5 && memcmp(p, "#fail", 5) == 0)
			fail_next = true;
		else if (nl - p == 7 && memcmp(p, "#refuse", 7) == 0)
			refuse = true;
		else if (nl - p > 0 && *p != '#') {
			enum rpc_step step;

			o.len = 0;
			jsonr_check(p, (size_t)(nl - p));
			rpc_work_start(&w, p, (size_t)(nl - p), refuse, emit,
			               &o);
			for (;;) {
				step = rpc_work_step(&w, s);
				if (step == RPC_DONE)
					break;
				if (step == RPC_WAIT) {
					ok = !fail_next;
					fail_next = false;
					/* What commit_now() does after COMMIT.
					 */
					if (ok)
						events_flush();
					else
						events_discard();
					if (rpc_work_commit_done(
					        &w, ok,
					        ok ? NULL : "disk full"))
						break;
				}
			}
			if (!w.done) {
				fprintf(stderr, "fuzz_rpc: work not done\n");
				abort();
			}
			check_output(&o);
			if (echo && o.len > 0)
				fprintf(stderr, "%.*s", (int)o.len, o.buf);
			rpc_work_free(&w);
			if (w.close)
				break; /* conn.c closes the connection */
		}
		p = nl + 1;
	}

	check_store();
	store_rollback(ogid->store);
	events_discard();
	free(o.buf);
	return 0;
}
