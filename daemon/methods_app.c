/*
 * The application methods: submit, get, list, the transitions of SPEC
 * section 2, appeals, and the deadline lists of section 4.
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
not_found(struct rpc_error *err, const char *id)
{
	rpc_error_set(err, RPC_NOT_FOUND, "no such application");
	err->data = json_pack("{s:s}", "id", id);
}

static void
conflict(struct rpc_error *err, const struct app *a, const char *why)
{
	rpc_error_set(err, RPC_CONFLICT, "%s", why);
	err->data = json_pack("{s:s, s:I}", "state", app_state_name(a->state),
	                      "version", (json_int_t)a->version);
}

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
static int
field_not_future(json_t *v, const struct pspec *p, struct rpc_error *err)
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

/*
 * The application view of a write as a raw result: view_app_text, the same
 * bytes as json_dumps(view_app(...)) without building the tree.
 */
static json_t *
view_result(const struct app *a, unsigned roles)
{
	size_t len;
	const char *text =
	    view_app_text(ogid->store, a, daemon_today(), roles, &len);

	return rpc_raw_result(text, len);
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
		return view_result(a, roles);
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
	*result = view_result(&first, s->roles);
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

/* app.get */

static int
valid_id(const char *id)
{
	int i;

	if (strlen(id) != APP_ID_LEN - 1 || id[4] != '-')
		return 0;
	for (i = 0; i < APP_ID_LEN - 1; i++)
		if (i != 4 && (id[i] < '0' || id[i] > '9'))
			return 0;
	return 1;
}

int
m_app_get(struct session *s, json_t *params, json_t **result,
          struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "id", P_STRING, true, 1, 64 },
		                             PSPEC_END };
	const char *id, *text;
	const char *rendered;
	struct app a;
	day_t today = daemon_today();
	size_t len;
	bool personal;
	int rc, began;

	if (params_check(params, spec, NULL, err) == -1)
		return -1;
	id = param_str(params, "id");
	if (!valid_id(id)) {
		not_found(err, id);
		return -1;
	}
	personal =
	    (s->roles & (ROLE_CLERK | ROLE_SUPERVISOR | ROLE_ADMIN)) != 0;
	if ((text = appcache_get(id, today, personal, &len)) != NULL) {
		*result = rpc_raw_result(text, len);
		return 0;
	}
	/*
	 * The row, its clock records and its history are read by separate
	 * statements: one read transaction makes them one snapshot, so that
	 * a commit between two of them cannot give the state and version of
	 * one commit with the history and pauses of a later one.
	 */
	if ((began = store_read_begin(ogid->rstore)) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	rc = store_app_get(ogid->rstore, id, &a);
	if (rc != 0) {
		if (rc == STORE_NOTFOUND)
			not_found(err, id);
		else
			store_error_to_rpc(err, ogid->rstore);
		store_read_end(ogid->rstore, began);
		return -1;
	}
	rendered = view_app_text(ogid->rstore, &a, today, s->roles, &len);
	store_read_end(ogid->rstore, began);
	app_clear(&a);
	appcache_put(id, today, personal, rendered, len);
	*result = rpc_raw_result(rendered, len);
	return 0;
}

/*
 * Lists: {items, next}; one more is fetched than asked, to know if more
 * exist. A page of summaries and the cursor after its last item: app.list's is
 * the id (lists sort by the date of receipt, which does not change); the
 * deadline lists' is "ID@DUE_ON", the due date the page showed, so that
 * an application whose due date moves between two pages (an extension, a
 * calendar change) does not move the place the next page starts from.
 */
static json_t *
page(struct app *items, size_t n, int limit, unsigned roles, bool by_due)
{
	json_t *arr = json_array(), *next = json_null();
	size_t i, shown = n > (size_t)limit ? (size_t)limit : n;
	day_t today = daemon_today();
	char cur[APP_ID_LEN + 16], date[16];

	for (i = 0; i < shown; i++)
		json_array_append_new(arr,
		                      view_summary(&items[i], today, roles));
	if (n > (size_t)limit && by_due &&
	    items[shown - 1].due_on != DAY_NONE) {
		snprintf(cur, sizeof(cur), "%s@%s", items[shown - 1].id,
		         date_format(items[shown - 1].due_on, date));
		next = json_string(cur);
	} else if (n > (size_t)limit)
		next = json_string(items[shown - 1].id);
	return json_pack("{s:o, s:o}", "items", arr, "next", next);
}

/*
 * A cursor: "ID", or for the deadline lists (by_due) also "ID@YYYY-MM-DD"
 * (page above); *due is DAY_NONE for "ID". -1 if it is neither.
 */
static int
cursor_split(const char *s, bool by_due, char id[APP_ID_LEN], day_t *due)
{
	const char *at = strchr(s, '@');
	size_t n = at != NULL ? (size_t)(at - s) : strlen(s);

	*due = DAY_NONE;
	if (n >= APP_ID_LEN ||
	    (at != NULL && (!by_due || date_parse(at + 1, due) == -1)))
		return -1;
	memcpy(id, s, n);
	id[n] = '\0';
	return valid_id(id) ? 0 : -1;
}

/* 0 for a cursor of an application that exists, 1 if not, -1 on error. */
static int
cursor_check(const char *s, bool by_due)
{
	char id[APP_ID_LEN];
	day_t due;
	struct app a;
	int rc;

	if (cursor_split(s, by_due, id, &due) == -1)
		return 1;
	if ((rc = store_app_get(ogid->rstore, id, &a)) == 0)
		app_clear(&a);
	return rc == STORE_NOTFOUND ? 1 : rc;
}

/* app.list's state and every list's cursor, in table order; arg non-NULL
 * for the deadline lists. */
static int
list_field(json_t *v, const struct pspec *p, void *arg, struct rpc_error *err)
{
	enum app_state st;
	int rc;

	if (strcmp(p->name, "state") == 0 &&
	    app_state_from(json_string_value(v), &st) == -1) {
		rpc_error_param(err, "state", "not a state");
		return -1;
	}
	if (strcmp(p->name, "after") == 0 &&
	    (rc = cursor_check(json_string_value(v), arg != NULL)) != 0) {
		if (rc == -1)
			store_error_to_rpc(err, ogid->rstore);
		else
			rpc_error_param(err, "after",
			                "not a cursor from a previous page");
		return -1;
	}
	return 0;
}

/* limit, and the cursor's id (in id, *after NULL if none) and due date. */
static void
list_common(json_t *params, bool by_due, int *limit, const char **after,
            char id[APP_ID_LEN], day_t *due)
{
	const char *s = param_str(params, "after");

	*limit = (int)param_int(params, "limit", 50);
	*after = NULL;
	*due = DAY_NONE;
	if (s != NULL && cursor_split(s, by_due, id, due) == 0)
		*after = id;
}

int
m_app_list(struct session *s, json_t *params, json_t **result,
           struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = {
		{ "state", P_STRING, false, 1, 32 },
		{ "assignee", P_STRING, false, 1, 63 },
		{ "q", P_STRING, false, 1, 200 },
		{ "received_from", P_DATE, false, 0, 0 },
		{ "received_to", P_DATE, false, 0, 0 },
		{ "overdue", P_BOOL, false, 0, 0 },
		{ "limit", P_INT, false, 1, 500 },
		{ "after", P_STRING, false, 1, 64 },
		PSPEC_END
	};
	struct store_list_q q;
	enum app_state st;
	struct app *items;
	size_t n;
	json_t *ov;
	char after_id[APP_ID_LEN];
	day_t after_due;

	if (params_check_with(params, spec, NULL, list_field, NULL, err) == -1)
		return -1;
	memset(&q, 0, sizeof(q));
	q.state = -1;
	if (param_str(params, "state") != NULL &&
	    app_state_from(param_str(params, "state"), &st) == 0)
		q.state = (int)st;
	q.assignee = param_str(params, "assignee");
	q.q = param_str(params, "q");
	q.from = param_date(params, "received_from", DAY_NONE);
	q.to = param_date(params, "received_to", DAY_NONE);
	ov = json_object_get(params, "overdue");
	q.overdue = json_is_boolean(ov) ? json_is_true(ov) : -1;
	q.today = daemon_today();
	list_common(params, false, &q.limit, &q.after, after_id, &after_due);
	q.limit++;
	if (store_app_list(ogid->rstore, &q, &items, &n) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	*result = page(items, n, q.limit - 1, s->roles, false);
	store_apps_free(items, n);
	return 0;
}

int
m_deadline_overdue(struct session *s, json_t *params, json_t **result,
                   struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = { { "limit", P_INT, false, 1, 500 },
		                             { "after", P_STRING, false, 1,
		                               64 },
		                             PSPEC_END };
	int limit;
	const char *after;
	char after_id[APP_ID_LEN];
	day_t after_due;
	struct app *items;
	size_t n;

	if (params_check_with(params, spec, NULL, list_field, (void *)spec,
	                      err) == -1)
		return -1;
	list_common(params, true, &limit, &after, after_id, &after_due);
	if (store_overdue(ogid->rstore, daemon_today(), limit + 1, after,
	                  after_due, &items, &n) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	*result = page(items, n, limit, s->roles, true);
	store_apps_free(items, n);
	return 0;
}

int
m_deadline_due_soon(struct session *s, json_t *params, json_t **result,
                    struct rpc_error *err, bool *wrote)
{
	static const struct pspec spec[] = {
		{ "within_days", P_INT, false, 0, CONFIG_MAX_PERIOD_DAYS },
		{ "limit", P_INT, false, 1, 500 },
		{ "after", P_STRING, false, 1, 64 },
		PSPEC_END
	};
	int limit, within;
	const char *after;
	char after_id[APP_ID_LEN];
	struct app *items;
	size_t n;
	day_t today = daemon_today(), last, after_due;

	if (params_check_with(params, spec, NULL, list_field, (void *)spec,
	                      err) == -1)
		return -1;
	list_common(params, true, &limit, &after, after_id, &after_due);
	within = (int)param_int(params, "within_days", ogid->cfg.due_soon_days);
	/* count(today, due) <= within  <=>  due < (within+1)th workday after */
	last = wf_nth_workday_after(ogid->cal, today, within + 1) - 1;
	if (store_due_soon(ogid->rstore, today, last, limit + 1, after,
	                   after_due, &items, &n) == -1) {
		store_error_to_rpc(err, ogid->rstore);
		return -1;
	}
	*result = page(items, n, limit, s->roles, true);
	store_apps_free(items, n);
	return 0;
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
	return field_not_future(v, p, err);
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
	if (!valid_id(id)) {
		not_found(err, id);
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
		not_found(err, id);
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
