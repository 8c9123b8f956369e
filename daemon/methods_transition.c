/*
 * The transitions of SPEC section 2 and the appeals: each method's params,
 * the workflow's rules (lib/workflow.c), the clock records and the
 * history event, and the application's view as the answer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/calendar.h"
#include "../lib/deadline.h"
#include "../lib/log.h"
#include "../lib/store.h"
#include "../lib/tz.h"
#include "../lib/workflow.h"
#include "../lib/xmalloc.h"
#include "appcache.h"
#include "events.h"
#include "jsonw.h"
#include "methods.h"
#include "params.h"
#include "submit_fast.h"
#include "timers.h"
#include "view.h"

static void
conflict(struct rpc_error *err, const struct app *a, const char *why)
{
	rpc_error_set(err, RPC_CONFLICT, "%s", why);
	err->data = json_pack("{s:s, s:I}", "state", app_state_name(a->state),
	                      "version", (json_int_t)a->version);
}

/*
 * The same with extra's members appended, as json_object_update(view,
 * extra) would dump them: extra's keys (app.appeal's "appeal") are not
 * members of the view, so they follow its last member in their order.
 */
static json_t *
view_result_extra(const struct app *a, unsigned roles, json_t *extra)
{
	struct jw w;
	size_t len;
	const char *view;
	char *text, *more;
	json_t *r;

	if (extra == NULL || json_object_size(extra) == 0)
		return methods_view_result(a, roles);
	view = view_app_text(ogid->store, a, daemon_today(), roles, &len);
	if ((more = json_dumps(extra, JSON_COMPACT)) == NULL)
		fatalx("view_result_extra: json_dumps failed");
	jw_init(&w);
	jw_raw(&w, view, len - 1); /* without the final '}' */
	jw_raw(&w, ",", 1);
	jw_raw(&w, more + 1, strlen(more + 1)); /* without extra's '{' */
	free(more);
	text = jw_finish(&w, &len);
	r = rpc_raw_result(text, len);
	free(text);
	return r;
}

/* Transitions */

struct tspec {
	const char *method;
	enum wf_action action;
	struct pspec spec[8];
};

#define ID_P                                                                   \
	{                                                                      \
		"id", P_STRING, true, 1, 64                                    \
	}
#define VERSION_P                                                              \
	{                                                                      \
		"version", P_INT, false, 0, INT64_MAX                          \
	}
#define NOTE_P(req)                                                            \
	{                                                                      \
		"note", P_STRING, req, 1, 10000                                \
	}

static const struct tspec tspecs[] = {
	{ "app.assign",
	  WF_ASSIGN,
	  { ID_P,
	    VERSION_P,
	    { "reviewer", P_STRING, true, 1, 63 },
	    PSPEC_END } },
	{ "app.request_correction",
	  WF_REQUEST_CORRECTION,
	  { ID_P,
	    VERSION_P,
	    NOTE_P(true),
	    { "within_days", P_INT, false, 1, CONFIG_MAX_PERIOD_DAYS },
	    PSPEC_END } },
	{ "app.correct",
	  WF_CORRECT,
	  { ID_P,
	    VERSION_P,
	    { "received_on", P_DATE, false, 0, 0 },
	    { "description", P_STRING, false, 1, 10000 },
	    NOTE_P(false),
	    PSPEC_END } },
	{ "app.consult",
	  WF_CONSULT,
	  { ID_P,
	    VERSION_P,
	    { "party", P_STRING, true, 1, 500 },
	    NOTE_P(true),
	    PSPEC_END } },
	{ "app.consulted",
	  WF_CONSULTED,
	  { ID_P,
	    VERSION_P,
	    { "opinion", P_STRING, true, 1, 10000 },
	    PSPEC_END } },
	{ "app.review",
	  WF_REVIEW,
	  { ID_P,
	    VERSION_P,
	    { "outcome", P_STRING, true, 1, 64 },
	    NOTE_P(true),
	    PSPEC_END } },
	{ "app.secrecy",
	  WF_SECRECY,
	  { ID_P,
	    VERSION_P,
	    { "result", P_STRING, true, 1, 16 },
	    NOTE_P(true),
	    PSPEC_END } },
	{ "app.fee_notice",
	  WF_FEE_NOTICE,
	  { ID_P,
	    VERSION_P,
	    { "amount_yuan", P_NUMBER, true, 0, 1000000 },
	    NOTE_P(true),
	    PSPEC_END } },
	{ "app.fee_paid",
	  WF_FEE_PAID,
	  { ID_P,
	    VERSION_P,
	    { "paid_on", P_DATE, false, 0, 0 },
	    NOTE_P(false),
	    PSPEC_END } },
	{ "app.extend",
	  WF_EXTEND,
	  { ID_P,
	    VERSION_P,
	    { "days", P_INT, true, 1, 1000 },
	    { "reason", P_STRING, true, 1, 10000 },
	    PSPEC_END } },
	{ "app.reply",
	  WF_REPLY,
	  { ID_P,
	    VERSION_P,
	    { "replied_on", P_DATE, false, 0, 0 },
	    NOTE_P(true),
	    PSPEC_END } },
	{ "app.withdraw",
	  WF_WITHDRAW,
	  { ID_P,
	    VERSION_P,
	    { "reason", P_STRING, true, 1, 10000 },
	    PSPEC_END } },
	{ "app.appeal",
	  WF_APPEAL,
	  { ID_P,
	    VERSION_P,
	    { "kind", P_STRING, true, 1, 64 },
	    { "filed_on", P_DATE, false, 0, 0 },
	    NOTE_P(false),
	    PSPEC_END } },
	{ "app.appeal_decided",
	  WF_APPEAL_DECIDED,
	  { ID_P,
	    VERSION_P,
	    { "appeal", P_INT, true, 1, 1000000 },
	    { "result", P_STRING, true, 1, 16 },
	    { "decided_on", P_DATE, false, 0, 0 },
	    NOTE_P(false),
	    PSPEC_END } },
};

static const struct tspec *
find_tspec(const char *method)
{
	size_t i;

	for (i = 0; i < sizeof(tspecs) / sizeof(tspecs[0]); i++)
		if (strcmp(tspecs[i].method, method) == 0)
			return &tspecs[i];
	return NULL;
}

/*
 * The closed sets and the dates of the transitions, field by field in
 * table order (arg: the tspec). What needs the application (dates against
 * receipt) or the store (the reviewer) comes after the permission and
 * state checks.
 */
static int
transition_field(json_t *v, const struct pspec *p, void *arg,
                 struct rpc_error *err)
{
	const struct tspec *t = arg;
	const char *s = json_string_value(v);
	enum outcome oc;
	enum appeal_kind ak;
	enum appeal_result ar;

	if (strcmp(p->name, "outcome") == 0 && outcome_from(s, &oc) == -1) {
		rpc_error_param(err, "outcome", "not an outcome code");
		return -1;
	}
	if (strcmp(p->name, "result") == 0) {
		if (t->action == WF_SECRECY && strcmp(s, "pass") != 0 &&
		    strcmp(s, "fail") != 0) {
			rpc_error_param(err, "result", "pass or fail");
			return -1;
		}
		if (t->action == WF_APPEAL_DECIDED &&
		    (appeal_result_from(s, &ar) == -1 || ar == AR_PENDING)) {
			rpc_error_param(err, "result",
			                "upheld, corrected or other");
			return -1;
		}
	}
	if (strcmp(p->name, "kind") == 0 && appeal_kind_from(s, &ak) == -1) {
		rpc_error_param(err, "kind",
		                "reconsideration, litigation or"
		                " litigation_after_reconsideration");
		return -1;
	}
	if (strcmp(p->name, "amount_yuan") == 0) {
		double fen = json_number_value(v) * 100.0;

		/* Money in whole fen: 0.009 is not rounded up to 0.01. */
		if (fabs(fen - floor(fen + 0.5)) > 1e-6) {
			rpc_error_param(err, "amount_yuan",
			                "must be in whole fen (at most two"
			                " decimals)");
			return -1;
		}
		if (!(fen + 0.5 >= 1.0)) {
			rpc_error_param(err, "amount_yuan",
			                "must be at least 0.01");
			return -1;
		}
	}
	return methods_field_not_future(v, p, err);
}

/*
 * The workflow arguments of a request that params_check_with accepted
 * (the conversions cannot fail). What needs the application is checked by
 * wf_check, the reviewer by check_reviewer. 0.
 */
static int
fill_args(const struct tspec *t, json_t *params, const struct app *a,
          struct wf_args *args, struct rpc_error *err)
{
	day_t today = daemon_today();

	memset(args, 0, sizeof(*args));
	args->today = today;
	args->date = today;
	args->outcome = OC_NONE;
	switch (t->action) {
	case WF_ASSIGN:
		args->reviewer = param_str(params, "reviewer");
		break;
	case WF_REQUEST_CORRECTION:
		args->within_days = (int)param_int(params, "within_days",
		                                   ogid->cfg.correction_days);
		break;
	case WF_CORRECT:
		args->description = param_str(params, "description");
		args->date = param_date(params, "received_on", today);
		break;
	case WF_REVIEW:
		outcome_from(param_str(params, "outcome"), &args->outcome);
		break;
	case WF_SECRECY:
		args->pass = strcmp(param_str(params, "result"), "pass") == 0;
		break;
	case WF_FEE_NOTICE: {
		double y =
		    json_number_value(json_object_get(params, "amount_yuan"));

		args->fee_fen = (int64_t)(y * 100.0 + 0.5);
		break;
	}
	case WF_FEE_PAID:
		args->date = param_date(params, "paid_on", today);
		break;
	case WF_EXTEND:
		args->days = (int)param_int(params, "days", 0);
		break;
	case WF_REPLY:
		args->date = param_date(params, "replied_on", today);
		break;
	default:
		break;
	}
	return 0;
}

/* app.assign: once allowed, the reviewer must be an active reviewer. */
static int
check_reviewer(const char *name, struct rpc_error *err)
{
	struct store_user u;
	int rc = store_user_by_name(ogid->store, name, &u);

	if (rc == -1) {
		store_error_to_rpc(err, ogid->store);
		return -1;
	}
	if (rc != 0 || u.disabled || !(u.roles & ROLE_REVIEWER)) {
		rpc_error_param(err, "reviewer",
		                "not an active user with the reviewer role");
		return -1;
	}
	return 0;
}

static void
wf_error_to_rpc(struct rpc_error *err, const struct wf_error *we,
                const struct app *a)
{
	switch (we->kind) {
	case WF_E_FORBIDDEN:
		rpc_error_forbidden(err, we->required, we->reason);
		break;
	case WF_E_STATE:
		conflict(err, a, we->reason);
		break;
	case WF_E_PARAM:
		rpc_error_param(err, we->field, we->reason);
		break;
	case WF_OK:
		break;
	}
}

/* Clock records for the explanation, from what wf_apply did. */
static int
record_clock(struct app *a, const struct wf_effects *fx, int old_cycle,
             const char *actor, const char *reason, int64_t now)
{
	struct store_clock c;

	if (fx->pause_closed &&
	    store_clock_close(ogid->store, a->id, old_cycle,
	                      wait_kind_name(fx->closed), fx->closed_to,
	                      fx->closed_days) == -1)
		return -1;
	if (fx->pause_opened) {
		memset(&c, 0, sizeof(c));
		c.cycle = a->cycle;
		snprintf(c.kind, sizeof(c.kind), "%s",
		         wait_kind_name(fx->opened));
		c.from = a->wait_from;
		c.to = DAY_NONE;
		c.reason = (char *)reason;
		snprintf(c.actor, sizeof(c.actor), "%s", actor);
		c.at = now;
		if (store_clock_add(ogid->store, a->id, &c) == -1)
			return -1;
	}
	return 0;
}

static int
appeal_step(const struct tspec *t, json_t *params, struct app *a,
            json_t **extra, struct rpc_error *err)
{
	day_t today = daemon_today(), d;
	int n, rc;

	if (t->action == WF_APPEAL) {
		enum appeal_kind k = AK_RECONSIDERATION;

		appeal_kind_from(param_str(params, "kind"), &k);
		d = param_date(params, "filed_on", today);
		if (d < a->received_on) {
			rpc_error_param(err, "filed_on",
			                "before the date of receipt");
			return -1;
		}
		if (store_appeal_add(ogid->store, a->id, k, d, &n) == -1) {
			store_error_to_rpc(err, ogid->store);
			return -1;
		}
		*extra = json_pack("{s:i}", "appeal", n);
		return 0;
	} else {
		enum appeal_result r;
		struct store_appeal *ap;
		size_t na, i;

		n = (int)param_int(params, "appeal", 0);
		r = AR_OTHER;
		appeal_result_from(param_str(params, "result"), &r);
		d = param_date(params, "decided_on", today);
		if (store_appeals_for(ogid->store, a->id, &ap, &na) == -1) {
			store_error_to_rpc(err, ogid->store);
			return -1;
		}
		for (i = 0; i < na && ap[i].n != n; i++)
			;
		if (i == na) {
			free(ap);
			rpc_error_param(err, "appeal", "no such appeal");
			return -1;
		}
		if (ap[i].result != AR_PENDING) {
			free(ap);
			conflict(err, a, "the appeal is already decided");
			return -1;
		}
		if (d < ap[i].filed_on) {
			free(ap);
			rpc_error_param(err, "decided_on",
			                "before the appeal was filed");
			return -1;
		}
		free(ap);
		rc = store_appeal_decide(ogid->store, a->id, n, r, d);
		if (rc != 0) {
			store_error_to_rpc(err, ogid->store);
			return -1;
		}
		return 0;
	}
}

int
m_app_transition(struct session *s, const char *method, json_t *params,
                 json_t **result, struct rpc_error *err, bool *wrote)
{
	const struct tspec *t = find_tspec(method);
	struct wf_actor who = { s->user, s->roles, false };
	struct wf_args args;
	struct wf_error we;
	struct wf_effects fx;
	struct app a;
	const char *id;
	json_t *v, *extra = NULL;
	enum app_state from;
	int rc, old_cycle;
	int64_t now = daemon_now();
	day_t old_due;

	if (t == NULL) {
		rpc_error_set(err, RPC_METHOD_NOT_FOUND, "method not found");
		return -1;
	}
	if (params_check_with(params, t->spec, NULL, transition_field,
	                      (void *)t, err) == -1)
		return -1;
	id = param_str(params, "id");
	if (!methods_valid_id(id)) {
		methods_not_found(err, id);
		return -1;
	}
	if (commit_begin() == -1) {
		store_error_to_rpc(err, ogid->store);
		return -1;
	}
	*wrote = true;
	app_init(&a);
	rc = store_app_get(ogid->store, id, &a);
	if (rc == STORE_NOTFOUND) {
		methods_not_found(err, id);
		goto fail_quiet;
	}
	if (rc == -1) {
		store_error_to_rpc(err, ogid->store);
		goto fail_quiet;
	}
	v = json_object_get(params, "version");
	if (json_is_integer(v) && json_integer_value(v) != a.version) {
		conflict(err, &a, "stale version");
		goto fail_quiet;
	}
	if (fill_args(t, params, &a, &args, err) == -1)
		goto fail_quiet;
	if (wf_check(&a, t->action, &who, &args, ogid->cal, &we) == -1) {
		wf_error_to_rpc(err, &we, &a);
		goto fail_quiet;
	}
	if (t->action == WF_ASSIGN && check_reviewer(args.reviewer, err) == -1)
		goto fail_quiet;
	if ((t->action == WF_APPEAL || t->action == WF_APPEAL_DECIDED) &&
	    appeal_step(t, params, &a, &extra, err) == -1)
		goto fail_quiet;
	from = a.state;
	old_cycle = a.cycle;
	old_due = a.due_on;
	wf_apply(&a, t->action, &who, &args, ogid->cal, &fx);
	timers_derive(&a, t->action == WF_EXTEND ? now : 0);
	a.version++;
	a.updated_at = now;
	if (store_app_update(ogid->store, &a) == -1)
		goto fail;
	if (t->action == WF_CORRECT && args.description != NULL &&
	    store_app_set_description(ogid->store, &a) == -1)
		goto fail;
	if (t->action == WF_EXTEND) {
		struct store_clock c;

		memset(&c, 0, sizeof(c));
		c.cycle = a.cycle;
		snprintf(c.kind, sizeof(c.kind), "extension");
		c.from = c.to = DAY_NONE;
		c.days = args.days;
		c.reason = (char *)param_str(params, "reason");
		snprintf(c.actor, sizeof(c.actor), "%s", s->user);
		c.at = now;
		if (store_clock_add(ogid->store, a.id, &c) == -1)
			goto fail;
	}
	if (record_clock(&a, &fx, old_cycle, s->user, param_str(params, "note"),
	                 now) == -1)
		goto fail;
	if (history_append(a.id, now, s->user, method, from, a.state, params,
	                   a.version) == -1)
		goto fail;
	commit_end(true);
	if (t->action == WF_EXTEND && events_wanted(EV_EXTENDED))
		events_queue(EV_EXTENDED, a.id, now,
		             json_pack("{s:i, s:o, s:o}", "days", args.days,
		                       "from_due_on", json_date(old_due),
		                       "due_on", json_date(a.due_on)));
	if (from != a.state && events_wanted(EV_STATE))
		events_queue(
		    EV_STATE, a.id, now,
		    json_pack("{s:s, s:s, s:s}", "from", app_state_name(from),
		              "to", app_state_name(a.state), "method", method));
	*result = view_result_extra(&a, s->roles, extra);
	json_decref(extra);
	app_clear(&a);
	return 0;
fail:
	store_error_to_rpc(err, ogid->store);
fail_quiet:
	commit_end(false);
	json_decref(extra);
	app_clear(&a);
	return -1;
}
