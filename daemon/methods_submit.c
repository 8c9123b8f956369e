/*
 * app.submit: its params checked into an application (from the jansson
 * tree, or from the line by submit_fast.c), its number, its row and its
 * first history event, and its answer.
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

/* app.submit */

/* The tables' rows by place: the field callbacks switch on p - table. */
enum {
	SUB_APPLICANT,
	SUB_CHANNEL,
	SUB_RECEIVED_ON,
	SUB_DESCRIPTION,
	SUB_FORM,
	SUB_DELIVERY,
	SUB_CLIENT_REF
};
static const struct pspec submit_spec[] = {
	[SUB_APPLICANT] = { "applicant", P_OBJECT, true, 0, 0 },
	[SUB_CHANNEL] = { "channel", P_STRING, true, 1, 32 },
	[SUB_RECEIVED_ON] = { "received_on", P_DATE, false, 0, 0 },
	[SUB_DESCRIPTION] = { "description", P_STRING, true, 1, 10000 },
	[SUB_FORM] = { "form", P_STRING, false, 1, 32 },
	[SUB_DELIVERY] = { "delivery", P_STRING, false, 1, 32 },
	[SUB_CLIENT_REF] = { "client_ref", P_STRING, false, 1, 128 },
	PSPEC_END
};
enum {
	APL_KIND,
	APL_CATEGORY,
	APL_NAME,
	APL_ID_NUMBER,
	APL_PHONE,
	APL_EMAIL,
	APL_ADDRESS
};
static const struct pspec applicant_spec[] = {
	[APL_KIND] = { "kind", P_STRING, true, 1, 32 },
	[APL_CATEGORY] = { "category", P_STRING, false, 1, 32 },
	[APL_NAME] = { "name", P_STRING, true, 1, 200 },
	[APL_ID_NUMBER] = { "id_number", P_STRING, false, 1, 64 },
	[APL_PHONE] = { "phone", P_STRING, false, 1, 64 },
	[APL_EMAIL] = { "email", P_STRING, false, 1, 254 },
	[APL_ADDRESS] = { "address", P_STRING, false, 1, 500 },
	PSPEC_END
};

/* submit_fast.c reads rows into arrays of SF_MAX_FIELDS. */
_Static_assert(sizeof(submit_spec) / sizeof(submit_spec[0]) - 1 <=
                   SF_MAX_FIELDS,
               "submit_spec is too long for submit_fast.c");
_Static_assert(sizeof(applicant_spec) / sizeof(applicant_spec[0]) - 1 <=
                   SF_MAX_FIELDS,
               "applicant_spec is too long for submit_fast.c");

/* What applicant_value needs of the applicant's other members. */
struct applicant_ctx {
	const char *kind; /* NULL if absent, null or not a string */
	bool category;    /* present and not null */
	struct app *a;
};

/*
 * The fields go into the application as they are checked, in table order
 * (params_check_with calls the callbacks below for each member present
 * and not null, and submit_fill_fast does the same): a second pass over
 * the members, comparing names, was ~2% of the loop thread's time a
 * submit (perf). On an error the caller clears a.
 */

/* A P_DATE field that may not lie after today (SPEC section 2). */
int
methods_field_not_future(json_t *v, const struct pspec *p,
                         struct rpc_error *err)
{
	day_t d;

	if (p->type == P_DATE && date_parse(json_string_value(v), &d) == 0 &&
	    d > daemon_today()) {
		rpc_error_param(err, p->name, "is in the future");
		return -1;
	}
	return 0;
}

/* applicant's member of row, already checked against its table row. */
static int
applicant_value(int row, const char *s, const struct applicant_ctx *ctx,
                struct rpc_error *err)
{
	struct app *a = ctx->a;

	switch (row) {
	case APL_KIND:
		if (strcmp(s, "natural_person") != 0 &&
		    strcmp(s, "organization") != 0) {
			rpc_error_param(err, "applicant.kind",
			                "natural_person or organization");
			return -1;
		}
		if (strcmp(s, "organization") == 0 && !ctx->category) {
			rpc_error_param(err, "applicant.category",
			                "is required for an organization");
			return -1;
		}
		break;
	case APL_CATEGORY:
		if (ctx->kind != NULL &&
		    strcmp(ctx->kind, "natural_person") == 0) {
			rpc_error_param(err, "applicant.category",
			                "only for an organization");
			return -1;
		}
		if (app_column_from(s, &a->column) == -1) {
			rpc_error_param(
			    err, "applicant.category",
			    "one of commercial, research,"
			    " social_welfare, legal_service, other");
			return -1;
		}
		break;
	case APL_NAME:
		a->name = xstrdup(s);
		break;
	case APL_ID_NUMBER:
		a->id_number = xstrdup(s);
		break;
	case APL_PHONE:
		a->phone = xstrdup(s);
		break;
	case APL_EMAIL:
		a->email = xstrdup(s);
		break;
	case APL_ADDRESS:
		a->address = xstrdup(s);
		break;
	}
	return 0;
}

static int
applicant_field(json_t *v, const struct pspec *p, void *arg,
                struct rpc_error *err)
{
	return applicant_value((int)(p - applicant_spec), json_string_value(v),
	                       arg, err);
}

/* The closed sets and dates of app.submit, field by field (not applicant). */
static int
submit_value(int row, const char *s, struct app *a, struct rpc_error *err)
{
	day_t d;

	switch (row) {
	case SUB_CHANNEL:
		if (app_channel_from(s, &a->channel) == -1) {
			rpc_error_param(err, "channel",
			                "one of in_person, mail, online, fax,"
			                " other");
			return -1;
		}
		break;
	case SUB_RECEIVED_ON:
		if (date_parse(s, &d) == -1)
			break; /* refused before, as P_DATE */
		if (d > daemon_today()) {
			rpc_error_param(err, "received_on", "is in the future");
			return -1;
		}
		a->received_on = d;
		break;
	case SUB_DESCRIPTION:
		a->description = xstrdup(s);
		break;
	case SUB_FORM:
		if (app_form_from(s, &a->form) == -1) {
			rpc_error_param(err, "form", "paper or electronic");
			return -1;
		}
		break;
	case SUB_DELIVERY:
		if (app_delivery_from(s, &a->delivery) == -1) {
			rpc_error_param(err, "delivery",
			                "one of pickup, mail, email, online");
			return -1;
		}
		break;
	case SUB_CLIENT_REF:
		a->client_ref = xstrdup(s);
		break;
	}
	return 0;
}

static int
submit_field(json_t *v, const struct pspec *p, void *arg, struct rpc_error *err)
{
	struct applicant_ctx ctx;
	json_t *cat;

	if (p - submit_spec != SUB_APPLICANT)
		return submit_value((int)(p - submit_spec),
		                    json_string_value(v), arg, err);
	cat = json_object_get(v, "category");
	ctx.kind = param_str(v, "kind");
	ctx.category = cat != NULL && !json_is_null(cat);
	ctx.a = arg;
	return params_check_with(v, applicant_spec, "applicant.",
	                         applicant_field, &ctx, err);
}

/* What every submit sets, after its params. */
static void
submit_fill_rest(struct session *s, struct app *a)
{
	a->created_by = s->user_id;
	a->state = ST_RECEIVED;
	a->version = 1;
	a->rules = dl_rules_for(a->received_on);
	a->start = a->received_on;
	a->created_at = a->updated_at = daemon_now();
}

static int
submit_fill(struct session *s, json_t *params, struct app *a,
            struct rpc_error *err)
{
	a->column = COL_NATURAL_PERSON;
	a->received_on = daemon_today();
	if (params_check_with(params, submit_spec, NULL, submit_field, a,
	                      err) == -1)
		return -1;
	submit_fill_rest(s, a);
	return 0;
}

/*
 * A table's fields read by submit_fast.c, checked as params_check_with
 * checks a tree's (in table order, absent and null alike, then the
 * table's own checks, then fn's), or false.
 */
static bool
fast_fields(const struct pspec *spec, const struct sf_field *f,
            const char *prefix, struct rpc_error *err,
            bool (*fn)(int row, const struct sf_field *, void *,
                       struct rpc_error *),
            void *arg)
{
	int i;

	for (i = 0; spec[i].name != NULL; i++) {
		if (f[i].state == SF_ABSENT || f[i].state == SF_NULL) {
			if (spec[i].required)
				return false;
			continue;
		}
		if (spec[i].type != P_OBJECT &&
		    (f[i].state != SF_STRING ||
		     params_check_text(f[i].s, f[i].n, &spec[i], prefix, err) ==
		         -1))
			return false;
		if (!fn(i, &f[i], arg, err))
			return false;
	}
	return true;
}

static bool
fast_applicant(int row, const struct sf_field *x, void *arg,
               struct rpc_error *err)
{
	return applicant_value(row, x->s, arg, err) == 0;
}

struct fast_ctx {
	const struct submit_fast *r;
	struct app *a;
};

static bool
fast_submit(int row, const struct sf_field *x, void *arg, struct rpc_error *err)
{
	struct fast_ctx *fc = arg;
	struct app *a = fc->a;
	const struct sf_field *g = fc->r->g;
	struct applicant_ctx ctx;

	if (row != SUB_APPLICANT)
		return submit_value(row, x->s, a, err) == 0;
	if (x->state != SF_OBJECT)
		return false;
	ctx.kind = g[APL_KIND].state == SF_STRING ? g[APL_KIND].s : NULL;
	ctx.category = g[APL_CATEGORY].state != SF_ABSENT &&
	               g[APL_CATEGORY].state != SF_NULL;
	ctx.a = a;
	return fast_fields(applicant_spec, g, "applicant.", err, fast_applicant,
	                   &ctx);
}

/*
 * submit_fill for a request read by submit_fast.c; false where submit_fill
 * would refuse it (the caller then takes the usual way, for its error).
 */
static bool
submit_fill_fast(struct session *s, const struct submit_fast *r, struct app *a)
{
	struct rpc_error err = { 0, "", NULL };
	struct fast_ctx fc = { r, a };
	bool ok;

	a->column = COL_NATURAL_PERSON;
	a->received_on = daemon_today();
	ok = fast_fields(submit_spec, r->f, NULL, &err, fast_submit, &fc);
	rpc_error_clear(&err);
	if (ok)
		submit_fill_rest(s, a);
	return ok;
}

/* submit_fast.c's requests: the one whose call runs now, or NULL. */
static const struct submit_fast *fast_now;

struct submit_fast *
methods_submit_read(const char *buf, size_t len)
{
	return submit_fast_read(buf, len, submit_spec, applicant_spec);
}

void
methods_submit_fast(const struct submit_fast *r)
{
	fast_now = r;
}

/* The same for the application app.submit has just inserted. */
static json_t *
submitted_result(const struct app *a, const struct store_event *ev,
                 unsigned roles)
{
	size_t len;
	const char *text = view_submitted_text(ogid->store, a, daemon_today(),
	                                       roles, ev, &len);

	return rpc_raw_result(text, len);
}

/* "%04d-%06d" of year % 10000 and seq % 1000000, without snprintf. */
static void
app_id_format(char id[APP_ID_LEN], int year, int seq)
{
	int i;

	year %= 10000;
	seq %= 1000000;
	for (i = 3; i >= 0; i--, year /= 10)
		id[i] = (char)('0' + year % 10);
	id[4] = '-';
	for (i = 10; i >= 5; i--, seq /= 10)
		id[i] = (char)('0' + seq % 10);
	id[APP_ID_LEN - 1] = '\0';
}

/*
 * One submit: its fields in a (the caller's, cleared here), from the tree
 * params or from the request r read without one.
 */
static int
submit_run(struct session *s, struct app *a, json_t *params,
           const struct submit_fast *r, json_t **result, struct rpc_error *err,
           bool *wrote)
{
	struct app first;
	struct store_event ev;
	struct jw text;
	const char *ptext;
	size_t plen;
	int seq, rc;

	/* No savepoint of its own: commit_begin_whole (daemon/commit.c). */
	if (commit_begin_whole() == -1) {
		store_error_to_rpc(err, ogid->store);
		app_clear(a);
		return -1;
	}
	*wrote = true;
	if (store_app_next_seq(ogid->store, date_year(a->received_on), &seq) ==
	    -1)
		goto fail;
	if (seq > 999999) {
		/* A retry still gets its first application. */
		if (a->client_ref != NULL &&
		    (rc = store_app_by_ref(ogid->store, s->user_id,
		                           a->client_ref, &first)) !=
		        STORE_NOTFOUND) {
			if (rc == -1)
				goto fail;
			goto exists;
		}
		commit_end_whole(false); /* nothing changed */
		rpc_error_set(err, RPC_INTERNAL,
		              "application numbers for %d"
		              " are exhausted",
		              date_year(a->received_on));
		app_clear(a);
		return -1;
	}
	app_id_format(a->id, date_year(a->received_on), seq);
	timers_derive(a, 0);
	/*
	 * The row first: a retry (its client_ref taken) or a clash (a
	 * counter behind the table, after a hand edit) fails it before
	 * anything changed, and only this submit.
	 */
	if ((rc = store_app_insert_once(ogid->store, a, &first)) ==
	    STORE_EXISTS)
		goto exists;
	if (rc == -1 || store_app_take_seq(
	                    ogid->store, date_year(a->received_on), seq) == -1)
		goto fail;
	if (r != NULL) {
		jw_init(&text);
		submit_fast_params_text(r, &text);
		ptext = jw_contents(&text, &plen);
		rc = history_append_text(a->id, a->created_at, s->user,
		                         "app.submit", -1, ST_RECEIVED, ptext,
		                         plen, a->version, &ev);
		jw_free(&text);
	} else
		rc = history_append_event(a->id, a->created_at, s->user,
		                          "app.submit", -1, ST_RECEIVED, params,
		                          a->version, &ev);
	if (rc == -1)
		goto fail;
	commit_end_whole(true);
	if (events_wanted(EV_SUBMITTED))
		events_queue(EV_SUBMITTED, a->id, a->created_at,
		             json_pack("{s:s, s:o}", "state", "received",
		                       "due_on", json_date(a->due_on)));
	*result = submitted_result(a, &ev, s->roles);
	free(ev.content);
	app_clear(a);
	return 0;
exists:
	/* A retry: the first application, unchanged; nothing it derived is
	 * true of anything. */
	timers_log_rollback();
	commit_end_whole(true);
	*result = methods_view_result(&first, s->roles);
	app_clear(&first);
	app_clear(a);
	return 0;
fail:
	store_error_to_rpc(err, ogid->store);
	commit_end_whole(false);
	app_clear(a);
	return -1;
}

/* OGID_VIEW_CHECK: what submit_fill makes of the tree is what r gave. */
static void
submit_fast_check(struct session *s, const struct submit_fast *r,
                  const struct app *a)
{
	struct rpc_error err = { 0, "", NULL };
	json_t *tree = submit_fast_tree(r);
	struct app b;
	struct jw t1, t2;
	const char *x1, *x2;
	size_t n1, n2;
	bool same;

	/* A day began between the two fills: today's defaults differ. */
	if (tz_day(a->created_at) != daemon_today()) {
		json_decref(tree);
		return;
	}
	app_init(&b);
	same = tree != NULL &&
	       submit_fill(s, json_object_get(tree, "params"), &b, &err) == 0;
	/* The history's params: the line's bytes, and the tree's dump. */
	jw_init(&t1);
	jw_init(&t2);
	submit_fast_params_text(r, &t1);
	x1 = jw_contents(&t1, &n1);
	same = same && jw_json_valid(&t2, json_object_get(tree, "params"));
	x2 = jw_contents(&t2, &n2);
	same = same && n1 == n2 && memcmp(x1, x2, n1) == 0;
	jw_free(&t1);
	jw_free(&t2);
#define SAME_STR(x)                                                            \
	((a->x == NULL && b.x == NULL) ||                                      \
	 (a->x != NULL && b.x != NULL && strcmp(a->x, b.x) == 0))
	same = same && SAME_STR(name) && SAME_STR(id_number) &&
	       SAME_STR(phone) && SAME_STR(email) && SAME_STR(address) &&
	       SAME_STR(description) && SAME_STR(client_ref) &&
	       a->column == b.column && a->channel == b.channel &&
	       a->received_on == b.received_on && a->form == b.form &&
	       a->delivery == b.delivery && a->rules == b.rules &&
	       a->start == b.start && a->state == b.state &&
	       a->created_by == b.created_by;
#undef SAME_STR
	rpc_error_clear(&err);
	app_clear(&b);
	json_decref(tree);
	if (!same) {
		log_warnx("submit check: the tree and the fast reader differ"
		          " on: %.*s",
		          (int)(r->len > 600 ? 600 : r->len), r->orig);
		abort();
	}
}

int
m_app_submit(struct session *s, json_t *params, json_t **result,
             struct rpc_error *err, bool *wrote)
{
	const struct submit_fast *r = fast_now; /* then params is NULL */
	json_t *tree = NULL;
	struct app a;
	int rc;

	app_init(&a);
	if (r != NULL && !submit_fill_fast(s, r, &a)) {
		/* Refused: the usual way gives the usual error. */
		app_clear(&a);
		app_init(&a);
		if ((tree = submit_fast_tree(r)) == NULL) {
			/* It read as JSON to the fast reader: a bug. */
			log_warnx("app.submit: a line the fast reader took"
			          " does not parse");
			rpc_error_set(err, RPC_INTERNAL, "internal error");
			return -1;
		}
		params = json_object_get(tree, "params");
		r = NULL;
	}
	if (r != NULL && methods_view_check())
		submit_fast_check(s, r, &a);
	if (r == NULL && submit_fill(s, params, &a, err) == -1) {
		app_clear(&a);
		json_decref(tree);
		return -1;
	}
	rc = submit_run(s, &a, params, r, result, err, wrote);
	json_decref(tree);
	return rc;
}
