/*
 * The JSON-RPC 2.0 envelope (SPEC section 5, jsonrpc.org section 4-7):
 * framing of one line into calls, validation, the authentication gate,
 * batches, notifications, and the error objects. No libevent, so a fuzzer
 * can drive it with a stub methods_call.
 *
 * Decisions where JSON-RPC 2.0 leaves room:
 * - A duplicate object key anywhere in the line is -32600 "duplicate key"
 *   with id null (the request is well-formed JSON but ambiguous).
 * - Numbers jansson cannot hold (integers beyond 64 bits, reals beyond
 *   double), "\u0000" in strings, invalid UTF-8 and nesting deeper than
 *   jansson's limit (2048) are -32700.
 * - Before a successful auth, every method but "auth" gets -32001, unknown
 *   methods included: an unauthenticated client learns nothing.
 * - Array params are -32602 (our methods take named params); params that
 *   are neither object nor array make the request invalid (-32600).
 * - A notification (no "id") gets no response, not even an error, unless
 *   the request object itself is invalid (jsonrpc.org section 7 examples).
 * - Every failed auth counts, malformed params included; at
 *   cfg.auth_max_failures the connection closes after that response (and
 *   the rest of a batch is not run).
 * - A write whose commit fails gets -32005 "storage failure: WHY; retry" in
 *   place of its result; a write that already failed keeps its own error.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/xmalloc.h"
#include "jsonr.h"
#include "jsonw.h"
#include "ogid.h"
#include "overflow.h"
#include "rpc.h"
#include "submit_fast.h"

static const struct {
	unsigned role;
	const char *name;
} rpc_roles[] = {
	{ ROLE_CLERK, "clerk" },     { ROLE_REVIEWER, "reviewer" },
	{ ROLE_SECRECY, "secrecy" }, { ROLE_SUPERVISOR, "supervisor" },
	{ ROLE_ADMIN, "admin" },
};
#define NROLES (sizeof rpc_roles / sizeof rpc_roles[0])

json_t *
roles_to_json(unsigned roles)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < NROLES; i++) {
		if (roles & rpc_roles[i].role)
			json_array_append_new(a,
			                      json_string(rpc_roles[i].name));
	}
	return a;
}

int
roles_from_name(const char *name, unsigned *role)
{
	size_t i;

	for (i = 0; i < NROLES; i++) {
		if (strcmp(name, rpc_roles[i].name) == 0) {
			*role = rpc_roles[i].role;
			return 0;
		}
	}
	return -1;
}

/*
 * A JSON string from C text that may have been cut inside a UTF-8 sequence
 * by snprintf, or may carry a client's invalid bytes: never NULL.
 */
static json_t *
rpc_string(const char *s)
{
	size_t len = strlen(s), cut;
	json_t *v;

	if ((v = json_string(s)) != NULL)
		return v;
	for (cut = 1; cut <= 3 && cut <= len; cut++) {
		if ((v = json_stringn(s, len - cut)) != NULL)
			return v;
	}
	return json_string("(message not valid UTF-8)");
}

void
rpc_error_set(struct rpc_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	json_decref(e->data);
	e->data = NULL;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

void
rpc_error_param(struct rpc_error *e, const char *field, const char *reason)
{
	rpc_error_set(e, RPC_INVALID_PARAMS, "invalid params: %s: %s", field,
	              reason);
	e->data = json_object();
	json_object_set_new(e->data, "field", rpc_string(field));
	json_object_set_new(e->data, "reason", rpc_string(reason));
}

void
rpc_error_forbidden(struct rpc_error *e, unsigned required_roles,
                    const char *why)
{
	rpc_error_set(e, RPC_FORBIDDEN, "forbidden: %s",
	              why != NULL ? why : "not allowed");
	e->data = json_object();
	json_object_set_new(e->data, "required", roles_to_json(required_roles));
}

void
rpc_error_clear(struct rpc_error *e)
{
	json_decref(e->data);
	e->data = NULL;
	e->code = 0;
	e->message[0] = '\0';
}

/* {"jsonrpc":"2.0","error":{code,message,data?},"id":id}; data is stolen. */
static json_t *
rpc_error_response(json_t *id, int code, const char *message, json_t *data)
{
	json_t *r = json_object(), *e = json_object();

	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", rpc_string(message));
	if (data != NULL)
		json_object_set_new(e, "data", data);
	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set_new(r, "error", e);
	json_object_set(r, "id", id != NULL ? id : json_null());
	return r;
}

/* The error response err makes; takes err's data. */
static json_t *
rpc_error_take(json_t *id, struct rpc_error *err)
{
	json_t *data = err->data;

	err->data = NULL;
	return rpc_error_response(id, err->code, err->message, data);
}

/* The result is stolen. */
static json_t *
rpc_result_response(json_t *id, json_t *result)
{
	json_t *r = json_object();

	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set_new(r, "result", result != NULL ? result : json_null());
	json_object_set(r, "id", id);
	return r;
}

char *
rpc_error_line(int code, const char *message)
{
	json_t *r = rpc_error_response(NULL, code, message, NULL);
	char *s, *line;

	s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (s == NULL)
		fatalx("rpc_error_line: json_dumps failed");
	line = xasprintf("%s\n", s);
	free(s);
	return line;
}

static char *emit_buf; /* the serialised response being emitted */
static size_t emit_cap;

/*
 * A result already rendered as JSON text (app.get from its cache) travels
 * as {RPC_RAW_KEY: "text"}: a key no result has, since it holds a control
 * character. It is spliced into the response as it is.
 */
#define RPC_RAW_KEY "\001raw"
#define RAW_HEAD "{\"jsonrpc\":\"2.0\",\"result\":"
#define RAW_ID ",\"id\":"

json_t *
rpc_raw_result(const char *text, size_t len)
{
	json_t *o = json_object();

	json_object_set_new(o, RPC_RAW_KEY, json_stringn_nocheck(text, len));
	return o;
}

/* emit_buf with room for at least n bytes. */
static void
emit_reserve(size_t n)
{
	if (n <= emit_cap)
		return;
	emit_cap = n > 2 * emit_cap ? n : 2 * emit_cap;
	emit_buf = xreallocarray(emit_buf, emit_cap, 1);
}

/*
 * json_dumpb of a response id into buf: its length, more than size if it
 * did not fit, 0 on failure. An integer id, the usual kind, skips
 * jansson's dump for its "%lld" digits.
 */
static size_t
id_text(json_t *id, char *buf, size_t size)
{
	char b[JW_INT_MAX], *p;
	size_t n;

	if (!json_is_integer(id))
		return json_dumpb(id, buf, size,
		                  JSON_COMPACT | JSON_ENCODE_ANY);
	p = jw_int_text(b, json_integer_value(id));
	n = (size_t)(b + sizeof(b) - p);
	if (n <= size)
		memcpy(buf, p, n);
	return n;
}

/*
 * The response around a raw result, assembled in emit_buf and emitted in
 * one piece: one evbuffer_add, and one chain for conn.c to send, per reply.
 */
static bool
rpc_emit_raw(struct rpc_work *w, json_t *resp)
{
	json_t *result = json_object_get(resp, "result"), *raw;
	char idbuf[64], *id = idbuf;
	size_t idlen, rawlen, n;

	if (!json_is_object(result) || json_object_size(result) != 1 ||
	    (raw = json_object_get(result, RPC_RAW_KEY)) == NULL)
		return false;
	idlen = id_text(json_object_get(resp, "id"), idbuf, sizeof(idbuf));
	if (idlen > sizeof(idbuf)) {
		/* A long string id. */
		id = json_dumps(json_object_get(resp, "id"),
		                JSON_COMPACT | JSON_ENCODE_ANY);
		idlen = id != NULL ? strlen(id) : 0;
	}
	if (idlen == 0)
		fatalx("rpc: json_dumps of an id failed");
	rawlen = json_string_length(raw);
	emit_reserve(sizeof(RAW_HEAD) - 1 + rawlen + sizeof(RAW_ID) - 1 +
	             idlen + 2);
	n = 0;
	memcpy(emit_buf + n, RAW_HEAD, sizeof(RAW_HEAD) - 1);
	n += sizeof(RAW_HEAD) - 1;
	memcpy(emit_buf + n, json_string_value(raw), rawlen);
	n += rawlen;
	memcpy(emit_buf + n, RAW_ID, sizeof(RAW_ID) - 1);
	n += sizeof(RAW_ID) - 1;
	memcpy(emit_buf + n, id, idlen);
	n += idlen;
	emit_buf[n++] = '}';
	if (!w->batch)
		emit_buf[n++] = '\n';
	w->emit(emit_buf, n, w->arg);
	if (id != idbuf)
		free(id);
	return true;
}

static void
rpc_emit(struct rpc_work *w, json_t *resp)
{
	if (w->batch) {
		w->emit(w->opened ? "," : "[", 1, w->arg);
		w->opened = true;
	}
	if (rpc_emit_raw(w, resp))
		return;
	/*
	 * Serialise into one reusable buffer and hand it over in one piece:
	 * one emit per response instead of one per JSON token.
	 */
	for (;;) {
		size_t n = json_dumpb(resp, emit_buf, emit_cap, JSON_COMPACT);

		if (n == 0) {
			/* Cannot happen with values we built; keep the framing.
			 */
			log_warnx("rpc: json_dumpb failed");
			w->emit("null", 4, w->arg);
			break;
		}
		if (n < emit_cap) {
			emit_buf[n++] = '\n';
			w->emit(emit_buf, w->batch ? n - 1 : n, w->arg);
			break;
		}
		emit_reserve(n + 1);
	}
}

void
rpc_free_buffers(void)
{
	free(emit_buf);
	emit_buf = NULL;
	emit_cap = 0;
}

static void
rpc_finish(struct rpc_work *w)
{
	if (w->batch && w->opened)
		w->emit("]\n", 2, w->arg);
	w->done = true;
	json_decref(w->root);
	w->root = NULL;
	submit_fast_free(w->fast);
	w->fast = NULL;
}

void
rpc_work_start(struct rpc_work *w, const char *buf, size_t len, bool refuse,
               json_dump_callback_t emit, void *arg)
{
	json_error_t jerr;
	json_t *data, *r;

	memset(w, 0, sizeof *w);
	w->emit = emit;
	w->arg = arg;
	w->refuse = refuse;
	/*
	 * submit_fast.h: an app.submit read without a tree (rpc_call runs
	 * it from w->fast). jsonr.h: the same tree, quicker; jansson where
	 * it is not sure. "\u0000" is valid JSON: such a
	 * string reaches rpc_call, which refuses it in params as -32602
	 * (nul_path).
	 */
	if ((w->fast = methods_submit_read(buf, len)) != NULL) {
		w->n = 1;
		return;
	}
	if ((w->root = jr_loadb(buf, len)) == NULL) {
		w->root = json_loadb(buf, len,
		                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
		                         JSON_ALLOW_NUL,
		                     &jerr);
		w->nul = true;
	}
	if (w->root == NULL &&
	    json_error_code(&jerr) == json_error_numeric_overflow) {
		json_error_t jerr2;

		/* overflow.h: answered call by call; none runs. */
		if ((w->root = overflow_parse(buf, len, &jerr2)) != NULL) {
			w->overflow = true;
			overflow_ids(w->root);
		} else if (json_error_code(&jerr2) == json_error_duplicate_key)
			jerr = jerr2;
	}
	if (w->root == NULL) {
		data = json_object();
		json_object_set_new(data, "reason", rpc_string(jerr.text));
		json_object_set_new(data, "position",
		                    json_integer(jerr.position));
		if (json_error_code(&jerr) == json_error_duplicate_key)
			r = rpc_error_response(NULL, RPC_INVALID_REQUEST,
			                       "duplicate key", data);
		else
			r = rpc_error_response(NULL, RPC_PARSE_ERROR,
			                       "parse error", data);
		rpc_emit(w, r);
		json_decref(r);
		rpc_finish(w);
		return;
	}
	if (json_is_array(w->root)) {
		w->batch = true;
		w->n = json_array_size(w->root);
		if (w->n == 0) {
			/* jsonrpc.org section 7: one error, not "[]". */
			w->batch = false;
			r = rpc_error_response(NULL, RPC_INVALID_REQUEST,
			                       "empty batch", NULL);
			rpc_emit(w, r);
			json_decref(r);
			rpc_finish(w);
		}
	} else
		w->n = 1;
}

/* A string holding a NUL ("\u0000"), which C strings would cut short. */
static bool
has_nul(const json_t *v)
{
	return json_is_string(v) &&
	       strlen(json_string_value(v)) != json_string_length(v);
}

/*
 * A client's string to show in an error, each NUL as U+FFFD: "\u0000" is
 * valid JSON, but many readers (jansson by default) refuse it. A long one
 * is cut (a method name of a megabyte is not echoed whole).
 */
static json_t *
nul_shown(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), cut = n, i;
	struct jw w;
	json_t *r;

	/* At most 64 bytes of it, cut where a character begins, and "...". */
	if (cut > 64) {
		cut = 64;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	if (!has_nul(v) && cut == n)
		return json_stringn(s, n);
	jw_init(&w);
	for (i = 0; i < cut; i++) {
		if (s[i] == '\0')
			jw_raw(&w, "\xef\xbf\xbd", 3);
		else
			jw_raw(&w, s + i, 1);
	}
	if (cut < n)
		jw_raw(&w, "...", 3);
	jw_contents(&w, &n);
	r = json_stringn(w.buf, n);
	jw_free(&w);
	return r;
}

/*
 * The first string in v holding a NUL: true, with the path of the member
 * that holds it ("applicant.name"; an array's elements are its member's)
 * in path from offset at.
 */
static bool
nul_path(json_t *v, char *path, size_t size, size_t at)
{
	const char *key;
	json_t *m;
	size_t i;

	if (has_nul(v))
		return true;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			if (nul_path(m, path, size, at))
				return true;
		}
		return false;
	}
	if (!json_is_object(v))
		return false;
	json_object_foreach(v, key, m)
	{
		int n =
		    snprintf(path + at, size - at, "%s%s", at ? "." : "", key);

		if (n < 0 || (size_t)n >= size - at)
			n = (int)(size - at - 1);
		if (nul_path(m, path, size, at + (size_t)n))
			return true;
		path[at] = '\0';
	}
	return false;
}

static json_t *rpc_invoke(struct rpc_work *, struct session *, json_t *id,
                          json_t *v, json_t *params, bool *wrote);

/*
 * Run one call of the line. Returns the response (new reference), or NULL
 * for a notification. Sets *wrote when the call wrote to the store.
 */
static json_t *
rpc_call(struct rpc_work *w, struct session *s, json_t *req, bool *wrote)
{
	json_t *id, *v, *params;

	*wrote = false;
	if (w->fast != NULL) /* a valid envelope, method app.submit */
		return rpc_invoke(w, s, w->fast->id, NULL, NULL, wrote);
	if (!json_is_object(req))
		return rpc_error_response(NULL, RPC_INVALID_REQUEST,
		                          "request is not an object", NULL);
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_string(id) && !json_is_number(id) &&
	    !json_is_null(id))
		return rpc_error_response(
		    NULL, RPC_INVALID_REQUEST,
		    "id must be a string, a number or null", NULL);
	v = json_object_get(req, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0 ||
	    has_nul(v))
		return rpc_error_response(id, RPC_INVALID_REQUEST,
		                          "jsonrpc must be \"2.0\"", NULL);
	v = json_object_get(req, "method");
	if (!json_is_string(v))
		return rpc_error_response(id, RPC_INVALID_REQUEST,
		                          "method must be a string", NULL);
	params = json_object_get(req, "params");
	if (params != NULL && !json_is_object(params) && !json_is_array(params))
		return rpc_error_response(
		    id, RPC_INVALID_REQUEST,
		    "params must be an object or an array", NULL);
	return rpc_invoke(w, s, id, v, params, wrote);
}

/*
 * A valid request: id (NULL for a notification), v its method's string
 * (NULL: app.submit read by submit_fast.c, its params in w->fast).
 */
static json_t *
rpc_invoke(struct rpc_work *w, struct session *s, json_t *id, json_t *v,
           json_t *params, bool *wrote)
{
	struct rpc_error err = { 0, "", NULL };
	json_t *result = NULL, *empty = NULL, *data;
	const char *method = v != NULL ? json_string_value(v) : "app.submit";
	char ebuf[4 * 64 + 8];
	bool notification = (id == NULL), is_auth;
	int rc, max;

	/* Notifications get no response. */
	if (w->refuse || w->closing) {
		if (notification)
			return NULL;
		return rpc_error_response(
		    id, RPC_BUSY,
		    w->closing ? "connection closing after too many failed"
		                 " auth calls; retry on a new one"
		               : "server shutting down; retry",
		    NULL);
	}
	is_auth = strcmp(method, "auth") == 0;
	if (!is_auth && !s->authed) {
		if (notification)
			return NULL;
		return rpc_error_response(id, RPC_UNAUTHENTICATED,
		                          "not authenticated", NULL);
	}
	if (strncmp(method, "rpc.", 4) == 0 || has_nul(v) ||
	    !methods_exists(method)) {
		if (notification)
			return NULL;
		data = json_object();
		json_object_set_new(data, "method", nul_shown(v));
		return rpc_error_response(id, RPC_METHOD_NOT_FOUND,
		                          "method not found", data);
	}
	if (json_is_array(params)) {
		if (notification)
			return NULL;
		rpc_error_param(&err, "params", "must be an object");
		return rpc_error_take(id, &err);
	}
	if (w->overflow) {
		char path[128] = "";

		if (notification)
			return NULL;
		if (!overflow_find(params, path, sizeof path))
			return rpc_error_response(id, RPC_INVALID_REQUEST,
			                          "a number out of range",
			                          NULL);
		rpc_error_param(&err, path, "number out of range");
		return rpc_error_take(id, &err);
	}
	if (w->nul && !is_auth) {
		char path[128] = "";

		/* auth's token is checked by its table, and a failure
		 * counts. */
		if (nul_path(params, path, sizeof path, 0)) {
			if (notification)
				return NULL;
			rpc_error_param(&err, path[0] ? path : "params",
			                "must not contain NUL characters");
			return rpc_error_take(id, &err);
		}
	}
	if (params == NULL && w->fast == NULL) /* m_app_submit reads w->fast */
		params = empty = json_object();

	if (w->fast != NULL)
		methods_submit_fast(w->fast);
	rc = methods_call(s, method, params, &result, &err, wrote);
	methods_submit_fast(NULL);
	json_decref(empty);
	if (log_debug_on())
		log_debug("conn=%llu method=%s rc=%d code=%d wrote=%d",
		          (unsigned long long)s->conn_id,
		          log_escape(method, ebuf, sizeof ebuf), rc,
		          rc == 0 ? 0 : err.code, *wrote);

	if (is_auth && rc != 0) {
		s->auth_failures++;
		max = ogid->cfg.auth_max_failures;
		log_info("conn=%llu peer=%s event=auth_failed failures=%d",
		         (unsigned long long)s->conn_id, s->peer,
		         s->auth_failures);
		if (max > 0 && s->auth_failures >= max)
			w->close = w->closing = true;
	} else if (is_auth)
		log_info("conn=%llu peer=%s event=auth user=%s",
		         (unsigned long long)s->conn_id, s->peer,
		         log_escape(s->user, ebuf, sizeof ebuf));

	if (notification) {
		json_decref(result);
		rpc_error_clear(&err);
		return NULL;
	}
	if (rc == 0)
		return rpc_result_response(id, result);
	json_decref(result);
	if (err.code == 0)
		rpc_error_set(&err, RPC_INTERNAL, "internal error");
	return rpc_error_take(id, &err);
}

enum rpc_step
rpc_work_step(struct rpc_work *w, struct session *s)
{
	json_t *req, *resp;
	bool wrote;

	if (w->done)
		return RPC_DONE;
	if (w->waiting)
		return RPC_WAIT;
	/* After the last failed auth the rest of a batch is answered
	 * (w->closing), then the connection closes. */
	if (w->next < w->n) {
		req = w->batch ? json_array_get(w->root, w->next) : w->root;
		w->next++;
		resp = rpc_call(w, s, req, &wrote);
		if (wrote) {
			w->waiting = true;
			w->held = resp;
			return RPC_WAIT;
		}
		if (resp != NULL) {
			rpc_emit(w, resp);
			json_decref(resp);
		}
	}
	if (w->next >= w->n) {
		rpc_finish(w);
		return RPC_DONE;
	}
	return RPC_MORE;
}

bool
rpc_work_commit_done(struct rpc_work *w, bool ok, const char *why)
{
	json_t *r;
	char msg[200];

	if (!w->waiting)
		return w->done;
	w->waiting = false;
	if (w->held != NULL) {
		if (!ok && json_object_get(w->held, "result") != NULL) {
			snprintf(msg, sizeof msg, "storage failure: %s; retry",
			         why != NULL ? why : "commit failed");
			r = rpc_error_response(json_object_get(w->held, "id"),
			                       RPC_BUSY, msg, NULL);
			json_decref(w->held);
			w->held = r;
		}
		rpc_emit(w, w->held);
		json_decref(w->held);
		w->held = NULL;
	}
	if (w->next >= w->n) {
		rpc_finish(w);
		return true;
	}
	return false;
}

void
rpc_work_free(struct rpc_work *w)
{
	json_decref(w->root);
	json_decref(w->held);
	w->root = w->held = NULL;
	submit_fast_free(w->fast);
	w->fast = NULL;
	w->done = true;
	w->waiting = false;
}
