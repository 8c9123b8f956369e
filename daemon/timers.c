/*
 * One timer over the earliest pending deadline (SPEC section 4). Each
 * application keeps the instant and kind of its next event in indexed
 * columns; the timer is armed for the minimum, at most an hour ahead.
 * Handling an event records it in the history (actor "system"), makes the
 * lapse transition if any, computes the next event and pushes it. The
 * same routine runs at start-up (catch-up) and inside clock.set.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/calendar.h"
#include "../lib/date.h"
#include "../lib/deadline.h"
#include "../lib/log.h"
#include "../lib/store.h"
#include "../lib/tz.h"
#include "../lib/workflow.h"
#include "events.h"
#include "methods.h"
#include "notify.h"
#include "ogid.h"
#include "timers.h"
#include "view.h"

static struct event *timer_ev;
/*
 * When the armed timer fires (daemon_now() seconds; 0: not armed), and
 * the earliest next event derived since it was armed (0: none). A commit
 * that derived nothing earlier than the timer's instant leaves it as it
 * is (timers_committed): an event that moved later or went away only
 * makes it fire early and find nothing due. That saves a read of the
 * reader's snapshot and its index a commit of submits.
 */
static int64_t fire_at, noted;

static void timers_cb(evutil_socket_t, short, void *);

void
timers_init(struct event_base *base)
{
	timer_ev = evtimer_new(base, timers_cb, NULL);
	if (timer_ev == NULL)
		fatalx("timers: evtimer_new");
}

void
timers_free(void)
{
	if (timer_ev != NULL)
		event_free(timer_ev);
	timer_ev = NULL;
}

void
timers_rearm(void)
{
	int64_t next, now, wait;
	struct timeval tv;

	if (timer_ev == NULL)
		return;
	evtimer_del(timer_ev);
	fire_at = noted = 0;
	if (ogid->shutting_down)
		return;
	if (store_next_event_at(ogid->rstore, &next) == -1) {
		log_warnx("timers: %s", store_error(ogid->rstore));
		next = 0;
	}
	now = daemon_now();
	/*
	 * Only clock.set moves a fake clock; but what is due already (a
	 * calendar.set moved a due_on back, a late registration) fires now,
	 * as it would on the real clock.
	 */
	if (ogid->fake_clock && (next == 0 || next > now))
		return;
	if (next == 0)
		wait = 3600;
	else
		wait = next - now;
	if (wait < 0)
		wait = 0;
	if (wait > 3600)
		wait = 3600; /* wall-clock jumps correct themselves */
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = wait == 0 ? 1000 : 0;
	if (evtimer_add(timer_ev, &tv) == 0)
		fire_at = now + wait;
}

void
timers_committed(bool ok)
{
	if (ok && fire_at != 0 && timer_ev != NULL &&
	    evtimer_pending(timer_ev, NULL) &&
	    (noted == 0 || noted >= fire_at)) {
		noted = 0;
		return;
	}
	timers_rearm();
}

static void
timers_cb(evutil_socket_t fd, short what, void *arg)
{
	int n;

	if (commit_begin() == -1) {
		log_warnx("timers: %s", store_error(ogid->store));
		timers_rearm();
		return;
	}
	n = timers_run(daemon_now(), TIMERS_BATCH, NULL);
	commit_end(n >= 0);
	/*
	 * The group commit runs next and re-arms the timer: at once if a
	 * whole batch left more due.
	 */
}

/*
 * SPEC section 3: a year with no calendar counts weekends only, and the
 * daemon says so in its log: once a year (and process), when a deadline
 * (the reply's, or the last day of a correction, consultation or fee
 * period) first runs through it. A calendar.set of the year ends the
 * counting of weekends only; system.health's calendar_known_until shows
 * the gap. The line waits for the commit of the write that derived the
 * deadline (timers_log_committed): a batch that fails logs nothing, nor
 * does a write rolled back to its savepoint (timers_log_savepoint and
 * timers_log_rollback, beside the events' own) or a retried submit, and
 * a year the batch gave a calendar is not logged.
 */
#define NYEARS (DATE_MAX_YEAR - DATE_MIN_YEAR + 1)
static bool warned[NYEARS];
static char unwarned_id[NYEARS][APP_ID_LEN]; /* "": not pending */
static int unwarned[NYEARS];                 /* pending years, in order */
static size_t nunwarned, unwarned_mark;

static void
warn_unknown_years_in(const struct app *a, day_t from, day_t to)
{
	int y, last;

	if (from == DAY_NONE || to == DAY_NONE)
		return;
	last = date_year(to);
	for (y = date_year(from); y <= last; y++) {
		if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR ||
		    warned[y - DATE_MIN_YEAR] ||
		    unwarned_id[y - DATE_MIN_YEAR][0] != '\0' ||
		    cal_year_known(ogid->cal, y))
			continue;
		snprintf(unwarned_id[y - DATE_MIN_YEAR], APP_ID_LEN, "%s",
		         a->id[0] != '\0' ? a->id : "?");
		unwarned[nunwarned++] = y;
	}
}

void
timers_log_savepoint(void)
{
	unwarned_mark = nunwarned;
}

void
timers_log_rollback(void)
{
	while (nunwarned > unwarned_mark)
		unwarned_id[unwarned[--nunwarned] - DATE_MIN_YEAR][0] = '\0';
}

void
timers_log_committed(bool ok)
{
	size_t i;
	int y;

	for (i = 0; i < nunwarned; i++) {
		y = unwarned[i];
		if (ok && !cal_year_known(ogid->cal, y)) {
			warned[y - DATE_MIN_YEAR] = true;
			log_warnx("calendar: no holiday calendar for %d:"
			          " deadlines through it count weekends only"
			          " (first: %s)",
			          y, unwarned_id[y - DATE_MIN_YEAR]);
		}
		unwarned_id[y - DATE_MIN_YEAR][0] = '\0';
	}
	nunwarned = unwarned_mark = 0;
}

static void
warn_unknown_years(const struct app *a)
{
	warn_unknown_years_in(a, a->start, a->due_on);
	if (a->wait != WAIT_NONE)
		warn_unknown_years_in(a, a->wait_from, a->wait_last_day);
}

/*
 * When the clock last resumed: 00:00 of the day after the end of this
 * cycle's last closed pause (that day still counts as paused), or 0.
 */
static int64_t
resumed_at(const struct app *a)
{
	struct dl_pause *ps;
	size_t n, i;
	day_t last = DAY_NONE;

	if (a->pauses == NULL)
		return 0;
	n = wf_pauses(a, &ps);
	for (i = 0; i < n; i++)
		if (last == DAY_NONE || ps[i].to > last)
			last = ps[i].to;
	free(ps);
	return last == DAY_NONE ? 0 : tz_midnight(last + 1);
}

/*
 * Recompute due date and next event, and the instant it fires. An event
 * handled late carries the instant it was due (SPEC section 4), but a
 * due-soon or overdue event is never dated before the clock last resumed
 * (a paused application is never overdue): 00:00 after the last day of
 * the cycle's last pause, a day that counts as paused, read from the
 * application's pauses so that every later recompute agrees; nor before
 * granted, the instant of an extension being granted, or else the cycle's
 * last grant (its clock record), so that a recompute before the re-armed
 * event fires (a calendar.set, another write in the same batch) dates it
 * as the extension did. An application resumed past its due date is
 * overdue from then and gets no due-soon event for it; one extended into
 * its due-soon days is due soon from the extension on.
 */
void
timers_derive(struct app *a, int64_t granted)
{
	int64_t at, earliest = resumed_at(a);
	day_t ev;

	if (granted == 0 && a->extension_days > 0 &&
	    store_clock_granted_at(ogid->store, a->id, a->cycle, &granted) ==
	        -1) {
		log_warnx("timers: %s", store_error(ogid->store));
		granted = 0;
	}

	wf_derive(a, ogid->cal, ogid->cfg.due_soon_days, &ev);
	warn_unknown_years(a);
	at = ev == DAY_NONE ? 0 : tz_midnight(ev);
	if (granted > earliest)
		earliest = granted;
	if (earliest != 0 && at != 0 && at < earliest &&
	    (a->next_event == TK_DUE_SOON || a->next_event == TK_OVERDUE)) {
		if (a->next_event == TK_DUE_SOON &&
		    earliest >= tz_midnight(a->due_on + 1)) {
			wf_fired(a, TK_DUE_SOON); /* overdue already */
			wf_derive(a, ogid->cal, ogid->cfg.due_soon_days, &ev);
		}
		at = ev == DAY_NONE ? 0 : tz_midnight(ev);
		if (at != 0 && at < earliest)
			at = earliest;
	}
	a->next_event_at = at;
	/* Every next_event_at written comes from here (timers_committed). */
	if (a->next_event_at != 0 && (noted == 0 || a->next_event_at < noted))
		noted = a->next_event_at;
}

/* Handle the pending event of one application, due at a->next_event_at. */
static int
handle(struct app *a, json_t *fired)
{
	int64_t at = a->next_event_at;
	enum timer_kind kind = a->next_event;
	struct wf_actor sys = { "system", 0, true };
	struct wf_args args;
	struct wf_effects fx;
	enum app_state from = a->state;
	enum event_type type;
	json_t *params, *extra;
	char buf[16];
	day_t due = a->due_on;

	memset(&args, 0, sizeof(args));
	args.today = tz_day(at);
	switch (kind) {
	case TK_DUE_SOON:
	case TK_OVERDUE:
		wf_fired(a, kind);
		type = kind == TK_DUE_SOON ? EV_DUE_SOON : EV_OVERDUE;
		params = json_pack("{s:o}", "due_on", json_date(due));
		extra = json_pack("{s:o, s:s}", "due_on", json_date(due),
		                  "state", app_state_name(a->state));
		timers_derive(a, 0);
		if (store_app_update(ogid->store, a) == -1 ||
		    history_append(a->id, at, "system",
		                   kind == TK_DUE_SOON ? "timer.due_soon"
		                                       : "timer.overdue",
		                   from, a->state, params, a->version) == -1) {
			json_decref(params);
			json_decref(extra);
			return -1;
		}
		json_decref(params);
		events_queue(type, a->id, at, extra);
		break;
	case TK_LAPSE_CORRECTION:
	case TK_LAPSE_CONSULTATION:
	case TK_LAPSE_FEE: {
		const char *period = wait_kind_name(a->wait);
		day_t last = a->wait_last_day;
		int cycle = a->cycle;

		wf_apply(a, wf_lapse_action(kind), &sys, &args, ogid->cal, &fx);
		timers_derive(a, 0);
		a->version++;
		a->updated_at = at;
		params = json_pack("{s:s, s:s}", "period", period, "last_day",
		                   date_format(last, buf));
		if (store_app_update(ogid->store, a) == -1 ||
		    (fx.pause_closed &&
		     store_clock_close(ogid->store, a->id, cycle,
		                       wait_kind_name(fx.closed), fx.closed_to,
		                       fx.closed_days) == -1) ||
		    history_append(a->id, at, "system", "timer.lapse", from,
		                   a->state, params, a->version) == -1) {
			json_decref(params);
			return -1;
		}
		json_decref(params);
		events_queue(
		    EV_LAPSED, a->id, at,
		    json_pack("{s:s, s:s, s:s, s:o}", "period", period, "from",
		              app_state_name(from), "to",
		              app_state_name(a->state), "outcome",
		              a->outcome == OC_NONE
		                  ? json_null()
		                  : json_string(outcome_name(a->outcome))));
		events_queue(EV_STATE, a->id, at,
		             json_pack("{s:s, s:s, s:s}", "from",
		                       app_state_name(from), "to",
		                       app_state_name(a->state), "method",
		                       "timer.lapse"));
		type = EV_LAPSED;
		break;
	}
	default:
		/* Nothing pending after all: clear the stale instant. */
		timers_derive(a, 0);
		return store_app_update(ogid->store, a);
	}
	{
		char lbuf[40];

		log_info("event=%s id=%s at=%s", event_type_name(type), a->id,
		         tz_format(at, lbuf, sizeof(lbuf)));
	}
	if (fired != NULL) {
		char tbuf[40];

		json_array_append_new(
		    fired, json_pack("{s:s, s:s, s:s}", "type",
		                     event_type_name(type), "id", a->id, "at",
		                     tz_format(at, tbuf, sizeof(tbuf))));
	}
	return 0;
}

int
timers_run(int64_t until, int max, json_t *fired)
{
	char(*ids)[APP_ID_LEN];
	size_t n;
	int handled = 0;
	struct app a;

	/* One event at a time, so events of all applications go in order. */
	while (max <= 0 || handled < max) {
		if (store_events_due(ogid->store, until, 1, &ids, &n) == -1)
			return -1;
		if (n == 0)
			break;
		if (store_app_get(ogid->store, ids[0], &a) != 0) {
			free(ids);
			return -1;
		}
		free(ids);
		if (handle(&a, fired) == -1) {
			app_clear(&a);
			return -1;
		}
		app_clear(&a);
		handled++;
	}
	return handled;
}

void
timers_catch_up(void)
{
	int n, total = 0;

	do {
		if (commit_begin() == -1)
			fatalx("store: %s", store_error(ogid->store));
		n = timers_run(daemon_now(), TIMERS_BATCH, NULL);
		commit_end(n >= 0);
		if (n < 0 || commit_now() == -1)
			fatalx("catch-up: %s", store_error(ogid->store));
		total += n;
		if (n == TIMERS_BATCH) {
			/* systemd: the start goes on. */
			notify_send("EXTEND_TIMEOUT_USEC=60000000");
			notify_watchdog();
			notify_status("catching up: %d deadline events"
			              " handled",
			              total);
		}
	} while (n == TIMERS_BATCH);
	if (total > 0)
		log_info("event=catch_up handled=%d", total);
}

static int
recompute_one(struct app *a, void *arg)
{
	day_t due = a->due_on;
	int64_t at = a->next_event_at;
	enum timer_kind k = a->next_event;

	timers_derive(a, 0);
	if (a->due_on == due && a->next_event_at == at && a->next_event == k)
		return 0;
	if (store_app_update_derived(ogid->store, a) == -1)
		return -1;
	(*(int *)arg)++;
	return 0;
}

int
timers_recompute_all(void)
{
	int changed = 0;

	if (store_open_apps(ogid->store, recompute_one, &changed) == -1)
		return -1;
	log_info("event=recompute changed=%d", changed);
	return 0;
}
