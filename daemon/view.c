/*
 * The JSON views of an application. Personal data (id_number, phone,
 * email, address) goes only to the roles that need it (clerk, supervisor,
 * admin); lists mask the ID number.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/calendar.h"
#include "../lib/deadline.h"
#include "../lib/log.h"
#include "../lib/tz.h"
#include "../lib/workflow.h"
#include "../lib/xmalloc.h"
#include "ogid.h"
#include "view.h"

#define PERSONAL_ROLES (ROLE_CLERK | ROLE_SUPERVISOR | ROLE_ADMIN)

json_t *
json_date(day_t d)
{
	char buf[16];

	if (d == DAY_NONE)
		return json_null();
	return json_string(date_format(d, buf));
}

static json_t *
json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* "110101********1234": keep the first 6 and last 4 characters. */
static json_t *
masked(const char *s)
{
	size_t n, i;
	char *m;
	json_t *j;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	m = malloc(n + 1);
	if (m == NULL)
		fatal("malloc");
	for (i = 0; i < n; i++)
		m[i] = (i < 6 || i + 4 >= n) && n > 10 ? s[i] : '*';
	m[n] = '\0';
	j = json_string(m);
	free(m);
	return j ? j : json_string("****");
}

static json_t *
applicant(const struct app *a, unsigned roles, bool summary)
{
	json_t *o = json_object();

	json_object_set_new(o, "kind",
	                    json_string(a->column == COL_NATURAL_PERSON
	                                    ? "natural_person"
	                                    : "organization"));
	if (a->column != COL_NATURAL_PERSON)
		json_object_set_new(o, "category",
		                    json_string(app_column_name(a->column)));
	json_object_set_new(o, "name", json_string(a->name));
	if (roles & PERSONAL_ROLES) {
		if (summary) {
			if (a->id_number)
				json_object_set_new(o, "id_number",
				                    masked(a->id_number));
		} else {
			if (a->id_number)
				json_object_set_new(o, "id_number",
				                    json_string(a->id_number));
			if (a->phone)
				json_object_set_new(o, "phone",
				                    json_string(a->phone));
			if (a->email)
				json_object_set_new(o, "email",
				                    json_string(a->email));
			if (a->address)
				json_object_set_new(o, "address",
				                    json_string(a->address));
		}
	}
	return o;
}

int
view_pause_days(const struct store_clock *c)
{
	struct dl_pause p = { c->from, c->to };

	return dl_pause_days(ogid->cal, &p);
}

bool
view_due_explained(char *buf, size_t size, const struct app *a, day_t eff,
                   int paused_days, size_t skipped)
{
	char due[16], start[16];
	int base = dl_base_days((enum dl_rules)a->rules);
	int n = snprintf(buf, size,
	                 "due %s = %d working days after %s (%d + %d"
	                 " extension + %d paused), skipping %zu"
	                 " non-working days",
	                 date_format(a->due_on, due),
	                 base + a->extension_days + paused_days,
	                 date_format(eff, start), base, a->extension_days,
	                 paused_days, skipped);

	return n > 0 && (size_t)n < size;
}

bool
view_is_overdue(const struct app *a, day_t today)
{
	return app_state_running(a->state) && a->due_on != DAY_NONE &&
	       today > a->due_on;
}

/* remaining_workdays and overdue_workdays: null unless the clock runs. */
static void
put_workdays(json_t *o, const struct app *a, day_t today)
{
	bool counted = app_state_running(a->state) && a->due_on != DAY_NONE;

	json_object_set_new(o, "remaining_workdays",
	                    counted ? json_integer(dl_remaining_workdays(
	                                  ogid->cal, a->due_on, today))
	                            : json_null());
	json_object_set_new(o, "overdue_workdays",
	                    counted ? json_integer(dl_overdue_workdays(
	                                  ogid->cal, a->due_on, today))
	                            : json_null());
}

/*
 * Lists carry the start of a long description (SUMMARY_CHARS characters,
 * then "…" and description_truncated), so that a page of 500 stays small;
 * app.get has the whole text.
 */
#define SUMMARY_CHARS 200

static void
summary_description(json_t *o, const char *d)
{
	size_t i, chars = 0;
	char *cut;

	for (i = 0; d[i] != '\0'; i++)
		if (((unsigned char)d[i] & 0xc0) != 0x80 &&
		    chars++ == SUMMARY_CHARS)
			break;
	if (d[i] == '\0') {
		json_object_set_new(o, "description", json_string(d));
		return;
	}
	cut = xasprintf("%.*s…", (int)i, d);
	json_object_set_new(o, "description", json_string(cut));
	json_object_set_new(o, "description_truncated", json_true());
	free(cut);
}

json_t *
view_summary(const struct app *a, day_t today, unsigned roles)
{
	json_t *o = json_object();
	bool running = app_state_running(a->state);
	bool open = !app_state_terminal(a->state);

	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "state", json_string(app_state_name(a->state)));
	json_object_set_new(o, "applicant", applicant(a, roles, true));
	json_object_set_new(o, "channel",
	                    json_string(app_channel_name(a->channel)));
	json_object_set_new(o, "received_on", json_date(a->received_on));
	summary_description(o, a->description);
	json_object_set_new(o, "assignee", json_str_or_null(a->assignee));
	json_object_set_new(o, "outcome",
	                    a->outcome == OC_NONE
	                        ? json_null()
	                        : json_string(outcome_name(a->outcome)));
	json_object_set_new(o, "version", json_integer(a->version));
	json_object_set_new(
	    o, "due_on", running || !open ? json_date(a->due_on) : json_null());
	json_object_set_new(o, "overdue",
	                    json_boolean(view_is_overdue(a, today)));
	put_workdays(o, a, today);
	return o;
}

static json_t *
explain(struct store *st, const struct app *a, day_t today)
{
	json_t *o = json_object(), *ext = json_array(), *pauses = json_array(),
	       *skipped = json_array();
	struct store_clock *cl = NULL;
	size_t ncl = 0, i, nsk;
	day_t eff = cal_effective(ogid->cal, a->start), sk[64];
	int paused_days = 0;
	char buf[16], tbuf[40], text[256];

	json_object_set_new(o, "rules",
	                    json_string(a->rules == 2007 ? "2007 Regulations"
	                                                 : "2019 Regulations"));
	json_object_set_new(
	    o, "base_days",
	    json_integer(dl_base_days((enum dl_rules)a->rules)));
	json_object_set_new(
	    o, "max_extension_days",
	    json_integer(dl_max_extension((enum dl_rules)a->rules)));
	json_object_set_new(o, "received_on", json_date(a->received_on));
	json_object_set_new(o, "start", json_date(a->start));
	json_object_set_new(
	    o, "start_reason",
	    json_string(a->cycle > 0 ? "correction received" : "receipt"));
	json_object_set_new(o, "effective_start", json_date(eff));
	if (store_clock_list(st, a->id, &cl, &ncl) == -1)
		log_warnx("view: clock list: %s", store_error(st));
	for (i = 0; i < ncl; i++) {
		json_t *e;

		if (cl[i].cycle != a->cycle)
			continue;
		if (strcmp(cl[i].kind, "extension") == 0) {
			e = json_pack("{s:i, s:s?, s:s, s:s}", "days",
			              cl[i].days, "reason", cl[i].reason, "by",
			              cl[i].actor, "at",
			              tz_format(cl[i].at, tbuf, sizeof(tbuf)));
			if (e)
				json_array_append_new(ext, e);
		} else if (strcmp(cl[i].kind, "correction") != 0) {
			int days = view_pause_days(&cl[i]);

			e = json_pack("{s:s, s:o, s:o, s:i, s:s}", "kind",
			              cl[i].kind, "from", json_date(cl[i].from),
			              "to", json_date(cl[i].to), "days", days,
			              "by", cl[i].actor);
			if (e)
				json_array_append_new(pauses, e);
			paused_days += days;
		}
	}
	store_clocks_free(cl, ncl);
	json_object_set_new(o, "extensions", ext);
	json_object_set_new(o, "pauses", pauses);
	if (a->due_on != DAY_NONE && a->state != ST_CORRECTION) {
		nsk = dl_skipped_days(ogid->cal, eff, a->due_on, sk, 64);
		for (i = 0; i < nsk && i < 64; i++)
			json_array_append_new(
			    skipped, json_string(date_format(sk[i], buf)));
		if (view_due_explained(text, sizeof(text), a, eff, paused_days,
		                       nsk))
			json_object_set_new(o, "text", json_string(text));
	}
	json_object_set_new(o, "skipped", skipped);
	(void)today;
	return o;
}

json_t *
view_deadline(struct store *st, const struct app *a, day_t today)
{
	json_t *o = json_object();
	bool running = app_state_running(a->state);
	bool concluded = app_state_terminal(a->state);
	bool paused = app_state_stopped(a->state);
	int paused_days = wf_paused_days(a, ogid->cal);

	json_object_set_new(o, "due_on",
	                    running || concluded ? json_date(a->due_on)
	                                         : json_null());
	json_object_set_new(o, "paused", json_boolean(paused));
	if (paused && a->wait != WAIT_NONE)
		json_object_set_new(o, "waiting",
		                    json_pack("{s:s, s:o, s:o}", "kind",
		                              wait_kind_name(a->wait), "from",
		                              json_date(a->wait_from),
		                              "last_day",
		                              json_date(a->wait_last_day)));
	else
		json_object_set_new(o, "waiting", json_null());
	json_object_set_new(o, "paused_days", json_integer(paused_days));
	json_object_set_new(o, "extension_days",
	                    json_integer(a->extension_days));
	put_workdays(o, a, today);
	json_object_set_new(o, "overdue",
	                    json_boolean(view_is_overdue(a, today)));
	json_object_set_new(o, "correction_late",
	                    json_boolean(a->correction_late));
	json_object_set_new(o, "explain", explain(st, a, today));
	return o;
}

/* The applicant's personal data in an event's params (app.submit). */
void
view_hide_personal(json_t *ev)
{
	static const char *const keys[] = { "id_number", "phone", "email",
		                            "address" };
	json_t *ap =
	    json_object_get(json_object_get(ev, "params"), "applicant");
	size_t i;

	if (!json_is_object(ap))
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_del(ap, keys[i]);
}

static json_t *
history(struct store *st, const struct app *a, unsigned roles)
{
	struct store_event *ev;
	size_t n, i;
	json_t *arr = json_array();

	if (store_event_texts(st, a->id, &ev, &n) == -1) {
		log_warnx("view: history: %s", store_error(st));
		return arr;
	}
	for (i = 0; i < n; i++) {
		json_t *e = json_loads(ev[i].content, 0, NULL);

		if (e == NULL)
			continue;
		json_object_del(e, "app");
		if (!(roles & PERSONAL_ROLES))
			view_hide_personal(e);
		json_object_set_new(e, "seq", json_integer(ev[i].seq));
		json_array_append_new(arr, e);
	}
	store_events_free(ev, n);
	return arr;
}

static json_t *
appeals(struct store *st, const struct app *a)
{
	struct store_appeal *ap;
	size_t n, i;
	json_t *arr = json_array();

	if (store_appeals_for(st, a->id, &ap, &n) == -1)
		return arr;
	for (i = 0; i < n; i++)
		json_array_append_new(
		    arr,
		    json_pack("{s:i, s:s, s:o, s:s, s:o}", "appeal", ap[i].n,
		              "kind", appeal_kind_name(ap[i].kind), "filed_on",
		              json_date(ap[i].filed_on), "result",
		              appeal_result_name(ap[i].result), "decided_on",
		              json_date(ap[i].decided_on)));
	free(ap);
	return arr;
}

json_t *
view_app(struct store *st, const struct app *a, day_t today, unsigned roles)
{
	json_t *o = json_object();
	char buf[40];

	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "state", json_string(app_state_name(a->state)));
	json_object_set_new(o, "applicant", applicant(a, roles, false));
	json_object_set_new(o, "channel",
	                    json_string(app_channel_name(a->channel)));
	json_object_set_new(o, "received_on", json_date(a->received_on));
	json_object_set_new(o, "description", json_string(a->description));
	json_object_set_new(o, "form",
	                    a->form == FORM_NONE
	                        ? json_null()
	                        : json_string(app_form_name(a->form)));
	json_object_set_new(o, "delivery",
	                    a->delivery == DLV_NONE
	                        ? json_null()
	                        : json_string(app_delivery_name(a->delivery)));
	json_object_set_new(o, "client_ref", json_str_or_null(a->client_ref));
	json_object_set_new(o, "assignee", json_str_or_null(a->assignee));
	json_object_set_new(o, "outcome",
	                    a->outcome == OC_NONE
	                        ? json_null()
	                        : json_string(outcome_name(a->outcome)));
	json_object_set_new(o, "proposed_by", json_str_or_null(a->proposer));
	json_object_set_new(o, "version", json_integer(a->version));
	json_object_set_new(o, "rules", json_integer(a->rules));
	json_object_set_new(o, "replied_on", json_date(a->replied_on));
	json_object_set_new(o, "concluded_on", json_date(a->concluded_on));
	if (a->fee_fen > 0)
		json_object_set_new(o, "fee_yuan",
		                    json_real((double)a->fee_fen / 100.0));
	json_object_set_new(
	    o, "created_at",
	    json_string(tz_format(a->created_at, buf, sizeof(buf))));
	json_object_set_new(
	    o, "updated_at",
	    json_string(tz_format(a->updated_at, buf, sizeof(buf))));
	json_object_set_new(o, "deadline", view_deadline(st, a, today));
	json_object_set_new(o, "history", history(st, a, roles));
	json_object_set_new(o, "appeals", appeals(st, a));
	return o;
}
