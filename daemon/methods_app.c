/*
 * The application methods that read: app.get, app.list and the deadline
 * lists of SPEC section 4; and what the writes share with them (an unknown
 * id, the application view as a raw result).
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

void
methods_not_found(struct rpc_error *err, const char *id)
{
	rpc_error_set(err, RPC_NOT_FOUND, "no such application");
	err->data = json_pack("{s:s}", "id", id);
}
/*
 * The application view of a write as a raw result: view_app_text, the same
 * bytes as json_dumps(view_app(...)) without building the tree.
 */
json_t *
methods_view_result(const struct app *a, unsigned roles)
{
	size_t len;
	const char *text =
	    view_app_text(ogid->store, a, daemon_today(), roles, &len);

	return rpc_raw_result(text, len);
}

/* app.get */

int
methods_valid_id(const char *id)
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
	if (!methods_valid_id(id)) {
		methods_not_found(err, id);
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
			methods_not_found(err, id);
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
	return methods_valid_id(id) ? 0 : -1;
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
