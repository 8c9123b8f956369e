/*
 * The method table, and the methods that are not about applications:
 * auth, users, system, calendar, events, clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

#include "../lib/audit.h"
#include "../lib/calendar.h"
#include "../lib/log.h"
#include "../lib/store.h"
#include "../lib/tz.h"
#include "../lib/xmalloc.h"
#include "appcache.h"
#include "events.h"
#include "jsonw.h"
#include "methods.h"
#include "params.h"
#include "timers.h"
#include "view.h"

static int m_auth(struct session *, json_t *, json_t **, struct rpc_error *,
                  bool *);
static int auth_check(struct session *, json_t *, json_t **,
                      struct rpc_error *);
static int m_health(struct session *, json_t *, json_t **, struct rpc_error *,
                    bool *);
static int m_user_create(struct session *, json_t *, json_t **,
                         struct rpc_error *, bool *);
static int m_user_list(struct session *, json_t *, json_t **,
                       struct rpc_error *, bool *);
static int m_user_disable(struct session *, json_t *, json_t **,
                          struct rpc_error *, bool *);
static int m_user_rotate(struct session *, json_t *, json_t **,
                         struct rpc_error *, bool *);
static int m_cal_get(struct session *, json_t *, json_t **, struct rpc_error *,
                     bool *);
static int m_cal_set(struct session *, json_t *, json_t **, struct rpc_error *,
                     bool *);
static int m_cal_add(struct session *, json_t *, json_t **, struct rpc_error *,
                     bool *);
static int m_cal_count(struct session *, json_t *, json_t **,
                       struct rpc_error *, bool *);
static int m_cal_is_workday(struct session *, json_t *, json_t **,
                            struct rpc_error *, bool *);
static int m_subscribe(struct session *, json_t *, json_t **,
                       struct rpc_error *, bool *);
static int m_clock_set(struct session *, json_t *, json_t **,
                       struct rpc_error *, bool *);

#define TRANSITION NULL /* handled by m_app_transition */

static const struct method {
	const char *name;
	method_fn fn;
	unsigned roles; /* 0: every authenticated user */
} methods[] = {
	{ "auth", m_auth, 0 },
	{ "system.health", m_health, 0 },
	{ "user.create", m_user_create, ROLE_ADMIN },
	{ "user.list", m_user_list, ROLE_ADMIN },
	{ "user.disable", m_user_disable, ROLE_ADMIN },
	{ "user.rotate", m_user_rotate, ROLE_ADMIN },
	{ "calendar.get", m_cal_get, 0 },
	{ "calendar.set", m_cal_set, ROLE_ADMIN },
	{ "calendar.add", m_cal_add, 0 },
	{ "calendar.count", m_cal_count, 0 },
	{ "calendar.is_workday", m_cal_is_workday, 0 },
	{ "events.subscribe", m_subscribe, 0 },
	{ "clock.set", m_clock_set, ROLE_ADMIN },
	{ "app.submit", m_app_submit, ROLE_CLERK },
	{ "app.get", m_app_get, 0 },
	{ "app.list", m_app_list, 0 },
	{ "deadline.overdue", m_deadline_overdue, ROLE_SUPERVISOR },
	{ "deadline.due_soon", m_deadline_due_soon, ROLE_SUPERVISOR },
	{ "report.annual", m_report_annual, ROLE_SUPERVISOR },
	{ "report.summary", m_report_summary, ROLE_SUPERVISOR },
	/* Transitions: roles are checked by the workflow rules. */
	{ "app.assign", TRANSITION, 0 },
	{ "app.request_correction", TRANSITION, 0 },
	{ "app.correct", TRANSITION, 0 },
	{ "app.consult", TRANSITION, 0 },
	{ "app.consulted", TRANSITION, 0 },
	{ "app.review", TRANSITION, 0 },
	{ "app.secrecy", TRANSITION, 0 },
	{ "app.fee_notice", TRANSITION, 0 },
	{ "app.fee_paid", TRANSITION, 0 },
	{ "app.extend", TRANSITION, 0 },
	{ "app.reply", TRANSITION, 0 },
	{ "app.withdraw", TRANSITION, 0 },
	{ "app.appeal", TRANSITION, 0 },
	{ "app.appeal_decided", TRANSITION, 0 },
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* The table in order, after the method found last: a connection, or a
 * load, asks for the same method again and again. */
static const struct method *
find_method(const char *name)
{
	static const struct method *last;
	size_t i;

	if (last != NULL && strcmp(last->name, name) == 0)
		return last;
	for (i = 0; i < NMETHODS; i++)
		if (strcmp(methods[i].name, name) == 0)
			return last = &methods[i];
	return NULL;
}

bool
methods_exists(const char *name)
{
	return find_method(name) != NULL;
}

void
store_error_to_rpc(struct rpc_error *err, struct store *st)
{
	if (store_error_transient(st))
		rpc_error_set(err, RPC_BUSY, "storage unavailable: %s; retry",
		              store_error(st));
	else
		rpc_error_set(err, RPC_INTERNAL, "internal error: %s",
		              store_error(st));
}

/*
 * Whether a session's user is still enabled with the token it
 * authenticated with; a session whose user was disabled or rotated since
 * is unauthenticated here. Looked up only after an auth change.
 */
bool
methods_session_valid(struct session *s)
{
	struct store_user u;
	int rc;

	if (s->auth_gen == events_auth_gen)
		return true;
	/* A read error refuses this once, and the next time looks again. */
	if ((rc = store_user_by_id(ogid->rstore, s->user_id, &u)) == -1)
		return false;
	if (rc != 0 || u.disabled || (uint64_t)u.epoch != s->token_epoch) {
		s->authed = false;
		s->roles = 0;
		conn_deauthed(s->conn);
		return false;
	}
	s->auth_gen = events_auth_gen;
	return true;
}

int
methods_call(struct session *s, const char *name, json_t *params,
             json_t **result, struct rpc_error *err, bool *wrote)
{
	const struct method *m = find_method(name);

	*result = NULL;
	*wrote = false;
	if (m == NULL) {
		rpc_error_set(err, RPC_METHOD_NOT_FOUND, "method not found");
		return -1;
	}
	if (m->fn != m_auth) {
		if (!s->authed || !methods_session_valid(s)) {
			rpc_error_set(err, RPC_UNAUTHENTICATED,
			              "not authenticated");
			return -1;
		}
		if (m->roles != 0 && (s->roles & m->roles) == 0) {
			rpc_error_forbidden(err, m->roles,
			                    "forbidden for your roles");
			return -1;
		}
	}
	if (m->fn == TRANSITION)
		return m_app_transition(s, name, params, result, err, wrote);
	return m->fn(s, params, result, err, wrote);
}

/*
 * History events are canonical JSON: what json_dumps(JSON_SORT_KEYS |
 * JSON_COMPACT) makes of the object history_packed() builds (view_text.c
 * copies stored events on that promise; `ogid verify` hashes the text).
 * history_text() writes the same bytes without the tree: the members in
 * strcmp order, params through jw_json. With OGID_VIEW_CHECK set, every
 * event is also dumped through jansson and must be the same bytes.
 */
static json_t *
history_packed(const char *app_id, const char *at, const char *actor,
               const char *method, int from_state, int to_state, json_t *params,
               int64_t version)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:O, s:I}", "app", app_id, "at", at,
	    "actor", actor, "method", method, "from",
	    from_state < 0 ? json_null()
	                   : json_string(app_state_name(from_state)),
	    "to",
	    to_state < 0 ? json_null() : json_string(app_state_name(to_state)),
	    "params", params ? params : json_null(), "version",
	    (json_int_t)version);
}

/* A string member's value; json_pack fails on NULL or bad UTF-8. */
static bool
history_str(struct jw *w, const char *s)
{
	return s != NULL && jw_string_checked(w, s, strlen(s));
}

/* A state, or null; json_pack fails on the NULL of an unnamed state. */
static bool
history_state(struct jw *w, int state)
{
	if (state < 0) {
		jw_null(w);
		return true;
	}
	return history_str(w, app_state_name(state));
}

/*
 * "\"name\":" after a member's separator: the event's own keys need no
 * escaping, so they are copied, not scanned.
 */
static void
history_key(struct jw *w, const char *quoted)
{
	if (w->comma)
		jw_raw(w, ",", 1);
	jw_raw(w, quoted, strlen(quoted));
	w->comma = false;
}

/* false where json_pack or json_dumps would fail. */
static bool
history_text(struct jw *w, const char *app_id, const char *at,
             const char *actor, const char *method, int from_state,
             int to_state, const json_t *params, const char *params_text,
             size_t params_len, int64_t version)
{
	jw_begin_object(w);
	history_key(w, "\"actor\":");
	if (!history_str(w, actor))
		return false;
	history_key(w, "\"app\":");
	if (!history_str(w, app_id))
		return false;
	history_key(w, "\"at\":");
	if (!history_str(w, at))
		return false;
	history_key(w, "\"from\":");
	if (!history_state(w, from_state))
		return false;
	history_key(w, "\"method\":");
	if (!history_str(w, method))
		return false;
	history_key(w, "\"params\":");
	/* A request's params (jsonr.c checked its strings) or a tree of
	 * jansson's own strings: valid UTF-8 (jsonw.h). */
	if (params_text != NULL) {
		/* Already canonical (submit_fast.h). */
		jw_sep(w);
		jw_raw(w, params_text, params_len);
	} else if (params == NULL)
		jw_null(w);
	else if (!jw_json_valid(w, params))
		return false;
	history_key(w, "\"to\":");
	if (!history_state(w, to_state))
		return false;
	history_key(w, "\"version\":");
	jw_int(w, version);
	jw_end_object(w);
	return true;
}

bool
methods_view_check(void)
{
	static int on = -1;

	if (on == -1) {
		const char *e = getenv("OGID_VIEW_CHECK");

		on = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
	}
	return on;
}

/* OGID_VIEW_CHECK: text (NULL if history_text failed) is jansson's. */
static void
history_check(const char *app_id, const char *at, const char *actor,
              const char *method, int from_state, int to_state, json_t *params,
              int64_t version, const char *text)
{
	json_t *ev = history_packed(app_id, at, actor, method, from_state,
	                            to_state, params, version);
	char *ref = ev ? json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	json_decref(ev);
	if (ref == NULL && text == NULL)
		return;
	if (ref != NULL && text != NULL && strcmp(ref, text) == 0) {
		free(ref);
		return;
	}
	log_warnx("history check %s %s: text and jansson differ", app_id,
	          method);
	log_warnx("text:    %.600s", text ? text : "(failed)");
	log_warnx("jansson: %.600s", ref ? ref : "(failed)");
	free(ref);
	abort();
}

int
history_append(const char *app_id, int64_t at, const char *actor,
               const char *method, int from_state, int to_state, json_t *params,
               int64_t version)
{
	return history_append_event(app_id, at, actor, method, from_state,
	                            to_state, params, version, NULL);
}

static int
history_append_with(const char *app_id, int64_t at, const char *actor,
                    const char *method, int from_state, int to_state,
                    json_t *params, const char *params_text, size_t params_len,
                    int64_t version, struct store_event *out)
{
	struct jw w;
	char *content, buf[40];
	const char *at_s = tz_format(at, buf, sizeof(buf));
	bool ok;
	int rc;

	/* its cached view shows the history (harmless if this fails) */
	appcache_dirty(app_id);
	jw_init(&w);
	ok = history_text(&w, app_id, at_s, actor, method, from_state, to_state,
	                  params, params_text, params_len, version);
	content = jw_finish(&w, NULL);
	if (methods_view_check()) {
		json_error_t e;
		json_t *t = params_text == NULL
		                ? json_incref(params)
		                : json_loadb(params_text, params_len, 0, &e);

		history_check(app_id, at_s, actor, method, from_state, to_state,
		              t, version, ok ? content : NULL);
		json_decref(t);
	}
	if (!ok) {
		free(content);
		return -1;
	}
	rc = store_event_append(ogid->store, app_id, at, content);
	if (rc == 0 && out != NULL) {
		memset(out, 0, sizeof(*out));
		out->seq = store_event_last_seq(ogid->store);
		out->at = at;
		snprintf(out->app_id, sizeof(out->app_id), "%s", app_id);
		out->content = content; /* the caller's now */
		return 0;
	}
	free(content);
	return rc;
}

int
history_append_event(const char *app_id, int64_t at, const char *actor,
                     const char *method, int from_state, int to_state,
                     json_t *params, int64_t version, struct store_event *out)
{
	return history_append_with(app_id, at, actor, method, from_state,
	                           to_state, params, NULL, 0, version, out);
}

int
history_append_text(const char *app_id, int64_t at, const char *actor,
                    const char *method, int from_state, int to_state,
                    const char *params_text, size_t params_len, int64_t version,
                    struct store_event *out)
{
	return history_append_with(app_id, at, actor, method, from_state,
	                           to_state, NULL, params_text, params_len,
	                           version, out);
}

/* auth */

void
methods_token_hash(const char *token, uint8_t out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1)
		fatalx("sha256");
}

/* 256 random bits from the kernel, as 64 hex digits. */
void
methods_token_new(char out[65], uint8_t hash[32])
{
	uint8_t raw[32];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(raw)) {
		r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			fatal("getrandom");
		got += (size_t)r;
	}
	audit_hex(raw, out);
	methods_token_hash(out, hash);
}

/*
 * Failed auth attempts per client address (not only per connection): a
 * small open-addressed table; an address with AUTH_ADDR_MAX failures in
 * the last AUTH_ADDR_WINDOW seconds is refused until the window passes.
 * Loopback clients are not counted unless auth_limit_loopback = yes: they
 * are on the machine already, and a local test suite or tool that fails
 * auth 20 times a minute must still see SPEC's five per connection (a
 * proxy on the same machine, whose clients all come from 127.0.0.1,
 * should set it).
 */
#define AUTH_ADDR_SLOTS 4096
#define AUTH_ADDR_MAX 20
#define AUTH_ADDR_WINDOW 60

static struct auth_addr {
	unsigned char key[16]; /* peers_key: an IPv6 address by its /64 */
	bool used;
	int failures;
	int64_t since;
} auth_addrs[AUTH_ADDR_SLOTS];

/*
 * The entry of the session's address, keyed as max_connections_per_address
 * keys it (daemon/peers.c): a host that may pick any source address in
 * its /64 gets no more tries by picking another.
 */
static struct auth_addr *
auth_addr_slot(const struct session *s, bool create)
{
	uint32_t h = 2166136261u;
	size_t i, idx;
	int64_t now = (int64_t)time(NULL);

	for (i = 0; i < sizeof(s->addr_key); i++)
		h = (h ^ s->addr_key[i]) * 16777619u;
	for (i = 0; i < 8; i++) {
		struct auth_addr *a;

		idx = (h + i) % AUTH_ADDR_SLOTS;
		a = &auth_addrs[idx];
		if (a->used &&
		    memcmp(a->key, s->addr_key, sizeof(a->key)) == 0) {
			if (now - a->since > AUTH_ADDR_WINDOW) {
				a->failures = 0;
				a->since = now;
			}
			return a;
		}
		if (create && (!a->used || now - a->since > AUTH_ADDR_WINDOW)) {
			memcpy(a->key, s->addr_key, sizeof(a->key));
			a->used = true;
			a->failures = 0;
			a->since = now;
			return a;
		}
	}
	/* Table crowded: share the first slot rather than forget. */
	return create ? &auth_addrs[h % AUTH_ADDR_SLOTS] : NULL;
}

/* Are the session's failed auths counted against its address? */
static bool
auth_addr_counted(const struct session *s)
{
	return !s->loopback || ogid->cfg.auth_limit_loopback;
}

/* A failed auth of the session's address, where they are counted. */
static void
auth_addr_failed(const struct session *s)
{
	if (auth_addr_counted(s))
		auth_addr_slot(s, true)->failures++;
}

/* The enabled user of a token: 0, 1 if none, -1 on a store error. */
static int
token_user(const char *token, struct store_user *u)
{
	uint8_t h[32];
	int rc;

	methods_token_hash(token, h);
	if ((rc = store_user_by_token(ogid->rstore, h, u)) == -1)
		return -1;
	return rc != 0 || u->disabled ? 1 : 0;
}

static int
m_auth(struct session *s, json_t *params, json_t **result,
       struct rpc_error *err, bool *wrote)
{
	struct auth_addr *aa =
	    auth_addr_counted(s) ? auth_addr_slot(s, false) : NULL;
	bool limited = aa != NULL && aa->failures >= AUTH_ADDR_MAX;

	/*
	 * A valid token is let in even while its address is over the limit:
	 * 256 random bits are not guessed, and refusing them let anyone lock
	 * every user behind an address (a NAT, loopback) out with 20 bad
	 * tries a minute. What the limit does is end the connection at the
	 * first failure, so a guesser pays a connection a try.
	 */
	if (auth_check(s, params, result, err) == 0)
		return 0;
	auth_addr_failed(s);
	if (limited) {
		rpc_error_clear(err);
		rpc_error_set(err, RPC_UNAUTHENTICATED,
		              "too many failed attempts from your address;"
		              " wait a minute");
		if (ogid->cfg.auth_max_failures > 0 &&
		    s->auth_failures < ogid->cfg.auth_max_failures - 1)
			s->auth_failures = ogid->cfg.auth_max_failures - 1;
	}
	return -1;
}

/*
 * Whether call, a batch's first element, is an auth whose token would let
 * the session in (1): then its line may be as long as an authenticated
 * one's ([auth, call], SPEC section 5; conn.c). 0: not an auth; -1: an
 * auth with a wrong, missing or disabled user's token, counted against
 * the address as m_auth's failures are (conn.c refuses the line and ends
 * the connection). The session is not changed.
 */
int
methods_auth_head(struct session *s, json_t *call)
{
	const char *v = json_string_value(json_object_get(call, "jsonrpc"));
	const char *m = json_string_value(json_object_get(call, "method"));
	json_t *params = json_object_get(call, "params");
	const char *tok = json_string_value(json_object_get(params, "token"));
	struct store_user u;

	if (v == NULL || strcmp(v, "2.0") != 0 || m == NULL ||
	    strcmp(m, "auth") != 0)
		return 0;
	if (tok != NULL && token_user(tok, &u) == 0)
		return 1;
	auth_addr_failed(s);
	return -1;
}

static int
auth_check(struct session *s, json_t *params, json_t **result,
           struct rpc_error *err)
{
	static const struct pspec spec[] = {
		{ "token", P_STRING, true, 1, 256 }, PSPEC_END
	};
	struct store_user u;
	int rc;

	/* Invalid params are -32602 like any method's, and a failed auth. */
	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	if ((rc = token_user(param_str(params, "token"), &u)) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	if (rc != 0) {
		rpc_error_set(err, RPC_UNAUTHENTICATED, "invalid token");
		return -1;
	}
	s->authed = true;
	s->user_id = u.id;
	snprintf(s->user, sizeof(s->user), "%s", u.name);
	s->roles = u.roles;
	s->token_epoch = (uint64_t)u.epoch;
	s->auth_gen = events_auth_gen;
	*result = json_pack("{s:s, s:o}", "user", u.name, "roles",
	                    roles_to_json(u.roles));
	return 0;
}

/* system */

static int
m_health(struct session *s, json_t *params, json_t **result,
         struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { PSPEC_END };
	day_t today = daemon_today();
	day_t until = cal_known_until(ogid->cal, date_year(today));
	char buf[40];
	unsigned long long commits, writes, failing;
	const char *why;
	json_t *o;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	commit_stats(&commits, &writes);
	failing = commit_failing(&why);
	o = json_object();
	/* Not ok while writes fail (a full disk): monitoring must see it. */
	json_object_set_new(o, "ok", json_boolean(failing == 0));
	if (failing > 0)
		json_object_set_new(o, "storage",
		                    json_pack("{s:I, s:s}", "failed_commits",
		                              (json_int_t)failing, "error",
		                              why));
	json_object_set_new(o, "version", json_string(OGI_VERSION));
	json_object_set_new(o, "db", json_string(ogid->db_path));
	json_object_set_new(o, "calendar_known_until", json_date(until));
	json_object_set_new(
	    o, "calendar_current",
	    json_boolean(cal_year_known(ogid->cal, date_year(today))));
	if (!cal_year_known(ogid->cal, date_year(today)))
		json_object_set_new(
		    o, "warning",
		    json_sprintf("no holiday calendar for %d: counting"
		                 " weekends only",
		                 date_year(today)));
	json_object_set_new(o, "connections", json_integer(conn_count()));
	json_object_set_new(o, "tls", json_boolean(tls_enabled()));
	json_object_set_new(
	    o, "now", json_string(tz_format(daemon_now(), buf, sizeof(buf))));
	json_object_set_new(o, "today", json_date(today));
	json_object_set_new(o, "timezone", json_string(ogid->cfg.timezone));
	json_object_set_new(o, "fake_clock", json_boolean(ogid->fake_clock));
	json_object_set_new(o, "commits", json_integer((json_int_t)commits));
	json_object_set_new(o, "writes", json_integer((json_int_t)writes));
	json_object_set_new(
	    o, "limits",
	    json_pack(
	        "{s:I, s:i, s:i, s:i, s:I, s:I, s:i, s:i, s:i, s:b, s:i, s:i}",
	        "max_request_bytes", (json_int_t)ogid->cfg.max_request_bytes,
	        "max_connections", ogid->cfg.max_connections,
	        "max_connections_per_address",
	        ogid->cfg.max_connections_per_address, "requests_per_event",
	        ogid->cfg.requests_per_event, "max_output_bytes",
	        (json_int_t)ogid->cfg.max_output_bytes, "max_output_total",
	        (json_int_t)ogid->cfg.max_output_total, "idle_timeout",
	        ogid->cfg.idle_timeout, "request_timeout",
	        ogid->cfg.request_timeout, "auth_max_failures",
	        ogid->cfg.auth_max_failures, "auth_limit_loopback",
	        ogid->cfg.auth_limit_loopback != 0, "due_soon_days",
	        ogid->cfg.due_soon_days, "correction_days",
	        ogid->cfg.correction_days));
	*result = o;
	return 0;
}

/* users */

static int
valid_user_name(const char *n)
{
	if (*n == '\0')
		return 0;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '.' || *n == '_' ||
		      *n == '-' || *n == '@'))
			return 0;
	return 1;
}

static int
parse_roles(json_t *arr, unsigned *roles, struct rpc_error *err)
{
	size_t i;
	json_t *v;
	unsigned r;

	*roles = 0;
	if (json_array_size(arr) == 0) {
		rpc_error_param(err, "roles", "must list at least one role");
		return -1;
	}
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) ||
		    roles_from_name(json_string_value(v), &r) == -1) {
			rpc_error_param(err, "roles",
			                "roles are clerk, reviewer, secrecy,"
			                " supervisor, admin");
			return -1;
		}
		*roles |= r;
	}
	return 0;
}

static int
m_user_create(struct session *s, json_t *params, json_t **result,
              struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "name", P_STRING, true, 1, 63 },
		                             { "roles", P_ARRAY, true, 0, 0 },
		                             PSPEC_END };
	const char *name;
	unsigned roles;
	char token[65];
	uint8_t h[32];
	struct store_user u;
	int rc;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	name = param_str(params, "name");
	/* "system" is the timers' actor in the history, in any case. */
	if (!valid_user_name(name) || strcasecmp(name, "system") == 0) {
		rpc_error_param(err, "name",
		                "letters, digits and . _ - @ only; not"
		                " \"system\"");
		return -1;
	}
	if (parse_roles(json_object_get(params, "roles"), &roles, err) == -1)
		return -1;
	if (commit_begin() == -1) {
		store_error_to_rpc(err, ogid->store);
		return -1;
	}
	*wrote = true;
	rc = store_user_by_name(ogid->store, name, &u);
	if (rc == 0) {
		commit_end(false);
		rpc_error_param(err, "name", "already exists");
		return -1;
	}
	methods_token_new(token, h);
	if (rc == -1 || store_user_create(ogid->store, name, roles, h,
	                                  daemon_now(), NULL) == -1) {
		store_error_to_rpc(err, ogid->store);
		commit_end(false);
		return -1;
	}
	commit_end(true);
	log_info("user=%s event=user_create by=%s", name, s->user);
	*result = json_pack("{s:s, s:o, s:s}", "name", name, "roles",
	                    roles_to_json(roles), "token", token);
	return 0;
}

static int
m_user_list(struct session *s, json_t *params, json_t **result,
            struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { PSPEC_END };
	struct store_user *u;
	size_t n, i;
	json_t *arr;
	char buf[40];

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	if (store_user_list(ogid->rstore, &u, &n) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:o, s:b, s:s}", "name", u[i].name,
		              "roles", roles_to_json(u[i].roles), "disabled",
		              u[i].disabled, "created_at",
		              tz_format(u[i].created_at, buf, sizeof(buf))));
	free(u);
	*result = json_pack("{s:o}", "users", arr);
	return 0;
}

/*
 * Whether name is the last enabled admin (writer's view, in the batch's
 * transaction): 1 yes, 0 no, -1 on a read error.
 */
static int
last_admin(const char *name)
{
	struct store_user *u;
	size_t n, i;
	bool target = false;
	int others = 0;

	if (store_user_list(ogid->store, &u, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (u[i].disabled || !(u[i].roles & ROLE_ADMIN))
			continue;
		if (strcmp(u[i].name, name) == 0)
			target = true;
		else
			others++;
	}
	free(u);
	return target && others == 0;
}

static int
user_change(struct session *s, json_t *params, json_t **result,
            struct rpc_error *err, bool *wrote, bool rotate)
{
	static const struct pspec spec[] = { { "name", P_STRING, true, 1, 63 },
		                             PSPEC_END };
	const char *name;
	char token[65];
	uint8_t h[32];
	int rc;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	name = param_str(params, "name");
	if (commit_begin() == -1) {
		store_error_to_rpc(err, ogid->store);
		return -1;
	}
	*wrote = true;
	/* Nobody could then manage users or the calendar. */
	if (!rotate && (rc = last_admin(name)) != 0) {
		commit_end(false);
		if (rc == -1)
			store_error_to_rpc(err, ogid->store);
		else
			rpc_error_param(err, "name",
			                "the last enabled admin cannot be"
			                " disabled");
		return -1;
	}
	if (rotate) {
		methods_token_new(token, h);
		rc = store_user_set_token(ogid->store, name, h);
	} else
		rc = store_user_disable(ogid->store, name);
	if (rc == STORE_NOTFOUND) {
		commit_end(false);
		rpc_error_set(err, RPC_NOT_FOUND, "no such user");
		err->data = json_pack("{s:s}", "id", name);
		return -1;
	}
	if (rc == -1) {
		store_error_to_rpc(err, ogid->store);
		commit_end(false);
		return -1;
	}
	commit_end(true);
	events_auth_changed();
	log_info("user=%s event=%s by=%s", name, rotate ? "rotate" : "disable",
	         s->user);
	if (rotate)
		*result = json_pack("{s:s, s:s}", "name", name, "token", token);
	else
		*result = json_pack("{s:s, s:b}", "name", name, "disabled", 1);
	return 0;
}

static int
m_user_disable(struct session *s, json_t *params, json_t **result,
               struct rpc_error *err, bool *wrote)
{
	return user_change(s, params, result, err, wrote, false);
}

static int
m_user_rotate(struct session *s, json_t *params, json_t **result,
              struct rpc_error *err, bool *wrote)
{
	return user_change(s, params, result, err, wrote, true);
}

/* calendar */

static json_t *
day_list(const day_t *d, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_date(d[i]));
	return arr;
}

static json_t *
calendar_year(int year)
{
	day_t *h, *w;
	size_t nh, nw;
	json_t *o;

	cal_get_year(ogid->cal, year, &h, &nh, &w, &nw);
	o = json_pack("{s:i, s:o, s:o, s:b}", "year", year, "holidays",
	              day_list(h, nh), "workdays", day_list(w, nw), "known",
	              cal_year_known(ogid->cal, year));
	free(h);
	free(w);
	return o;
}

static int
m_cal_get(struct session *s, json_t *params, json_t **result,
          struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = {
		{ "year", P_INT, true, DATE_MIN_YEAR, DATE_MAX_YEAR }, PSPEC_END
	};

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	*result = calendar_year((int)param_int(params, "year", 0));
	return 0;
}

/* Dates of a calendar.set list; field like "holidays[3]" when bad. */
static int
date_list(json_t *arr, const char *field, day_t **out, size_t *n,
          struct rpc_error *err)
{
	size_t i;
	json_t *v;
	char name[48];

	*n = json_array_size(arr);
	*out = xcalloc(*n + 1, sizeof(**out));
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) ||
		    date_parse(json_string_value(v), &(*out)[i]) == -1) {
			snprintf(name, sizeof(name), "%s[%zu]", field, i);
			rpc_error_param(err, name,
			                "not a real date YYYY-MM-DD");
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

static int
m_cal_set(struct session *s, json_t *params, json_t **result,
          struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = {
		{ "year", P_INT, true, DATE_MIN_YEAR, DATE_MAX_YEAR },
		{ "holidays", P_ARRAY, true, 0, 0 },
		{ "workdays", P_ARRAY, true, 0, 0 },
		PSPEC_END
	};
	day_t *h = NULL, *w = NULL, bad;
	size_t nh, nw;
	int year;
	const char *why;
	struct cal *old, *next;
	char buf[16], reason[160];

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	year = (int)param_int(params, "year", 0);
	if (date_list(json_object_get(params, "holidays"), "holidays", &h, &nh,
	              err) == -1 ||
	    date_list(json_object_get(params, "workdays"), "workdays", &w, &nw,
	              err) == -1) {
		free(h);
		return -1;
	}
	next = cal_copy(ogid->cal);
	if (cal_set_year(next, year, h, nh, w, nw, &why, &bad) == -1) {
		size_t i;
		const char *field = "holidays";

		for (i = 0; i < nw; i++)
			if (w[i] == bad)
				field = "workdays";
		if (bad != DAY_NONE)
			snprintf(reason, sizeof(reason), "%s: %s",
			         date_format(bad, buf), why);
		else
			snprintf(reason, sizeof(reason), "%s", why);
		rpc_error_param(err, field, reason);
		cal_free(next);
		free(h);
		free(w);
		return -1;
	}
	free(h);
	free(w);
	if (commit_begin() == -1) {
		store_error_to_rpc(err, ogid->store);
		cal_free(next);
		return -1;
	}
	*wrote = true;
	cal_get_year(next, year, &h, &nh, &w, &nw);
	old = ogid->cal;
	ogid->cal = next;
	if (store_calendar_set(ogid->store, year, h, nh, w, nw) == -1 ||
	    timers_recompute_all() == -1) {
		store_error_to_rpc(err, ogid->store);
		ogid->cal = old;
		cal_free(next);
		free(h);
		free(w);
		commit_end(false);
		return -1;
	}
	free(h);
	free(w);
	cal_free(old);
	commit_end(true);
	appcache_dirty_all(); /* until the commit, readers see the old rows */
	log_info("event=calendar_set year=%d by=%s", year, s->user);
	*result = calendar_year(year);
	return 0;
}

static int
m_cal_add(struct session *s, json_t *params, json_t **result,
          struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "date", P_DATE, true, 0, 0 },
		                             { "days", P_INT, true, 0, 10000 },
		                             PSPEC_END };
	day_t d;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	d = cal_add(ogid->cal, param_date(params, "date", DAY_NONE),
	            (int)param_int(params, "days", 0));
	if (d == DAY_NONE) {
		rpc_error_param(err, "days", "the result is out of range");
		return -1;
	}
	*result = json_date(d);
	return 0;
}

static int
m_cal_count(struct session *s, json_t *params, json_t **result,
            struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "from", P_DATE, true, 0, 0 },
		                             { "to", P_DATE, true, 0, 0 },
		                             PSPEC_END };

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	*result = json_integer(cal_count(ogid->cal,
	                                 param_date(params, "from", DAY_NONE),
	                                 param_date(params, "to", DAY_NONE)));
	return 0;
}

static int
m_cal_is_workday(struct session *s, json_t *params, json_t **result,
                 struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "date", P_DATE, true, 0, 0 },
		                             PSPEC_END };

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	*result = json_boolean(
	    cal_is_workday(ogid->cal, param_date(params, "date", DAY_NONE)));
	return 0;
}

/* events */

static int
m_subscribe(struct session *s, json_t *params, json_t **result,
            struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "types", P_ARRAY, false, 0, 0 },
		                             PSPEC_END };
	json_t *types, *v, *out;
	unsigned mask = 0;
	enum event_type t;
	size_t i;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	types = json_object_get(params, "types");
	if (types == NULL || json_is_null(types))
		mask = (1u << EV__COUNT) - 1;
	json_array_foreach(types, i, v)
	{
		if (!json_is_string(v) ||
		    event_type_from(json_string_value(v), &t) == -1) {
			char name[32];

			snprintf(name, sizeof(name), "types[%zu]", i);
			rpc_error_param(err, name,
			                "one of submitted, state, due_soon,"
			                " overdue, lapsed, extended");
			return -1;
		}
		mask |= 1u << t;
	}
	events_subscribe(s, mask);
	out = json_array();
	for (i = 0; i < EV__COUNT; i++)
		if (mask & (1u << i))
			json_array_append_new(out, json_string(event_type_name(
			                               (enum event_type)i)));
	*result = json_pack("{s:o}", "subscribed", out);
	return 0;
}

/* clock */

static int
m_clock_set(struct session *s, json_t *params, json_t **result,
            struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "now", P_STRING, true, 1, 64 },
		                             PSPEC_END };
	int64_t now;
	json_t *fired;
	char buf[40];

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	if (!ogid->fake_clock) {
		rpc_error_set(err, RPC_CONFLICT,
		              "clock.set works only with ogid --fake-clock");
		return -1;
	}
	if (tz_parse(param_str(params, "now"), &now) == -1) {
		rpc_error_param(err, "now",
		                "not a time like 2026-01-05T09:00:00+08:00");
		return -1;
	}
	if (now < ogid->fake_now) {
		rpc_error_param(err, "now", "the clock only moves forward");
		return -1;
	}
	if (commit_begin() == -1) {
		store_error_to_rpc(err, ogid->store);
		return -1;
	}
	*wrote = true;
	fired = json_array();
	if (timers_run(now, 0, fired) == -1) {
		store_error_to_rpc(err, ogid->store);
		json_decref(fired);
		commit_end(false);
		return -1;
	}
	commit_end(true);
	ogid->fake_now = now;
	log_info("event=clock_set now=%s fired=%zu",
	         tz_format(now, buf, sizeof(buf)), json_array_size(fired));
	*result = json_pack("{s:s, s:o}", "now",
	                    tz_format(now, buf, sizeof(buf)), "fired", fired);
	return 0;
}
