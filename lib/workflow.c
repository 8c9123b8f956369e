/*
 * The workflow of SPEC section 2: a table of who may act from which states,
 * and one function applying each action. Pure: no storage, no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "workflow.h"

#define S(x) (1u << (x))
#define OPEN_STATES                                                            \
	(S(ST_RECEIVED) | S(ST_CORRECTION) | S(ST_REVIEW) |                    \
	 S(ST_CONSULTATION) | S(ST_SECRECY) | S(ST_FEE) | S(ST_READY))
#define RUNNING_STATES                                                         \
	(S(ST_RECEIVED) | S(ST_REVIEW) | S(ST_SECRECY) | S(ST_READY))

static const struct {
	const char *method;
	unsigned roles; /* roles that may act (reviewer: only the assignee) */
	unsigned from;  /* states it may start from */
} rules[WF__COUNT] = {
	[WF_ASSIGN] = { "app.assign", WF_ROLE_CLERK | WF_ROLE_SUPERVISOR,
	                S(ST_RECEIVED) | S(ST_REVIEW) },
	[WF_REQUEST_CORRECTION] = { "app.request_correction",
	                            WF_ROLE_CLERK | WF_ROLE_REVIEWER,
	                            S(ST_RECEIVED) | S(ST_REVIEW) },
	[WF_CORRECT] = { "app.correct", WF_ROLE_CLERK, S(ST_CORRECTION) },
	[WF_CONSULT] = { "app.consult", WF_ROLE_REVIEWER, S(ST_REVIEW) },
	[WF_CONSULTED] = { "app.consulted", WF_ROLE_REVIEWER,
	                   S(ST_CONSULTATION) },
	[WF_REVIEW] = { "app.review", WF_ROLE_REVIEWER, S(ST_REVIEW) },
	[WF_SECRECY] = { "app.secrecy", WF_ROLE_SECRECY, S(ST_SECRECY) },
	[WF_FEE_NOTICE] = { "app.fee_notice", WF_ROLE_CLERK,
	                    S(ST_REVIEW) | S(ST_READY) },
	[WF_FEE_PAID] = { "app.fee_paid", WF_ROLE_CLERK, S(ST_FEE) },
	[WF_EXTEND] = { "app.extend", WF_ROLE_SUPERVISOR, RUNNING_STATES },
	[WF_REPLY] = { "app.reply", WF_ROLE_CLERK, S(ST_READY) },
	[WF_WITHDRAW] = { "app.withdraw", WF_ROLE_CLERK, OPEN_STATES },
	[WF_APPEAL] = { "app.appeal", WF_ROLE_CLERK,
	                S(ST_REPLIED) | S(ST_WITHDRAWN) },
	[WF_APPEAL_DECIDED] = { "app.appeal_decided", WF_ROLE_CLERK,
	                        S(ST_REPLIED) | S(ST_WITHDRAWN) },
	[WF_LAPSE_CORRECTION] = { "timer.lapse", 0, S(ST_CORRECTION) },
	[WF_LAPSE_CONSULTATION] = { "timer.lapse", 0, S(ST_CONSULTATION) },
	[WF_LAPSE_FEE] = { "timer.lapse", 0, S(ST_FEE) },
};

const char *
wf_action_method(enum wf_action a)
{
	return rules[a].method;
}

static int
fail(struct wf_error *err, enum wf_err_kind kind, const char *field,
     const char *reason)
{
	err->kind = kind;
	err->field = field;
	err->reason = reason;
	return -1;
}

static bool
is_assignee(const struct app *a, const struct wf_actor *who)
{
	return a->assignee != NULL && who->name != NULL &&
	       strcmp(a->assignee, who->name) == 0;
}

/*
 * Roles first, then (after the state) the assignee: a reviewer acting as
 * reviewer must be the assignee. The states a reviewer-only action starts
 * from always have an assignee, so an application assigned to no one
 * gets the state's -32004, not -32002.
 */
static int
check_role(enum wf_action act, const struct wf_actor *who, struct wf_error *err)
{
	unsigned roles = rules[act].roles;

	err->required = roles;
	if (who->system)
		return 0;
	if ((who->roles & roles) == 0)
		return fail(err, WF_E_FORBIDDEN, NULL,
		            "forbidden for your roles");
	return 0;
}

static int
check_assignee(const struct app *a, enum wf_action act,
               const struct wf_actor *who, struct wf_error *err)
{
	if (who->system || is_assignee(a, who))
		return 0;
	if (act == WF_REQUEST_CORRECTION && !(who->roles & WF_ROLE_CLERK))
		return fail(err, WF_E_FORBIDDEN, NULL,
		            "only the assigned reviewer may request a"
		            " correction");
	if (rules[act].roles == WF_ROLE_REVIEWER)
		return fail(err, WF_E_FORBIDDEN, NULL,
		            "only the assigned reviewer may do this");
	return 0;
}

int
wf_check(const struct app *a, enum wf_action act, const struct wf_actor *who,
         const struct wf_args *args, const struct cal *cal,
         struct wf_error *err)
{
	memset(err, 0, sizeof(*err));
	if (check_role(act, who, err) == -1)
		return -1;
	if ((rules[act].from & S(a->state)) == 0)
		return fail(err, WF_E_STATE, NULL,
		            "not allowed in the current state");
	if (check_assignee(a, act, who, err) == -1)
		return -1;
	switch (act) {
	case WF_SECRECY:
		/* Separation of duties. */
		if (a->proposer != NULL && who->name != NULL &&
		    strcmp(a->proposer, who->name) == 0) {
			err->required = WF_ROLE_SECRECY;
			return fail(err, WF_E_FORBIDDEN, NULL,
			            "separation of duties: the proposer of the"
			            " outcome may not pass its secrecy check");
		}
		break;
	case WF_REVIEW:
		if (args->outcome == OC_OTHER_NO_CORRECTION ||
		    args->outcome == OC_OTHER_FEE_UNPAID)
			return fail(err, WF_E_PARAM, "outcome",
			            "set only by the deadline timers");
		break;
	case WF_CORRECT:
		if (args->date < a->received_on)
			return fail(err, WF_E_PARAM, "received_on",
			            "before the date of receipt");
		if (a->wait_from != DAY_NONE && args->date < a->wait_from)
			return fail(err, WF_E_PARAM, "received_on",
			            "before the correction notice");
		break;
	case WF_FEE_PAID:
		if (args->date < a->received_on)
			return fail(err, WF_E_PARAM, "paid_on",
			            "before the date of receipt");
		if (a->wait_from != DAY_NONE && args->date < a->wait_from)
			return fail(err, WF_E_PARAM, "paid_on",
			            "before the fee notice");
		break;
	case WF_REPLY:
		if (args->date < a->received_on)
			return fail(err, WF_E_PARAM, "replied_on",
			            "before the date of receipt");
		/* A corrected application is answered after its
		 * correction came in (its fresh start). */
		if (a->start != DAY_NONE && args->date < a->start)
			return fail(err, WF_E_PARAM, "replied_on",
			            "before the correction was received");
		break;
	case WF_EXTEND: {
		int max = dl_max_extension((enum dl_rules)a->rules);

		if (args->days < 1 || a->extension_days + args->days > max)
			return fail(err, WF_E_PARAM, "days",
			            a->rules == DL_RULES_2007
			                ? "extensions total at most 15 working"
			                  " days (2007 Regulations)"
			                : "extensions total at most 20 working"
			                  " days");
		if (a->due_on != DAY_NONE && args->today > a->due_on)
			return fail(err, WF_E_STATE, NULL,
			            "too late: the due date has passed");
		break;
	}
	default:
		break;
	}
	return 0;
}

/* The reply due date from the clock's inputs: start, extensions, pauses. */
static day_t
due_from_clock(const struct app *a, const struct cal *cal)
{
	struct dl_input in;
	struct dl_result r;
	struct dl_pause *ps;
	size_t n = wf_pauses(a, &ps);

	memset(&in, 0, sizeof(in));
	in.rules = (enum dl_rules)a->rules;
	in.start = a->start;
	in.extensions = &a->extension_days;
	in.nextensions = 1;
	in.pauses = ps;
	in.npauses = n;
	dl_compute(cal, &in, &r);
	free(ps);
	return r.due_on;
}

/*
 * Concluded during a consultation or fee pause (a withdrawal, a fee
 * lapse): the pause it closed counts in the due date it keeps, so that
 * due_on = calendar.add(start, 20 + extension_days + paused_days) holds
 * for it too (SPEC section 4) and its explanation adds up.
 */
static void
conclude_paused(struct app *a, const struct cal *cal,
                const struct wf_effects *fx)
{
	if (fx->pause_closed &&
	    (fx->closed == WAIT_CONSULTATION || fx->closed == WAIT_FEE))
		a->due_on = due_from_clock(a, cal);
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
	if (src && *dst == NULL)
		abort();
}

/* End the current pause at day `to`, recording its working days. */
static void
close_pause(struct app *a, const struct cal *cal, day_t to,
            struct wf_effects *fx)
{
	struct dl_pause p = { a->wait_from, to };

	if (to < a->wait_from)
		p.to = to = a->wait_from;
	fx->pause_closed = true;
	fx->closed = a->wait;
	fx->closed_to = to;
	fx->closed_days = dl_pause_days(cal, &p);
	if (a->wait == WAIT_CONSULTATION || a->wait == WAIT_FEE)
		app_pause_append(a, a->wait_from, to);
	a->wait = WAIT_NONE;
	a->wait_from = a->wait_last_day = DAY_NONE;
	a->wait_days = 0;
}

static void
open_wait(struct app *a, const struct cal *cal, enum wait_kind kind,
          day_t notice, int days, struct wf_effects *fx)
{
	a->wait = kind;
	a->wait_from = notice;
	a->wait_days = days;
	a->wait_last_day = dl_period_last_day(cal, notice, days);
	fx->pause_opened = true;
	fx->opened = kind;
}

void
wf_apply(struct app *a, enum wf_action act, const struct wf_actor *who,
         const struct wf_args *args, const struct cal *cal,
         struct wf_effects *fx)
{
	memset(fx, 0, sizeof(*fx));
	switch (act) {
	case WF_ASSIGN:
		set_str(&a->assignee, args->reviewer);
		a->state = ST_REVIEW;
		break;
	case WF_REQUEST_CORRECTION:
		a->correction_late = args->today > cal_add(cal, a->start, 7);
		open_wait(a, cal, WAIT_CORRECTION, args->today,
		          args->within_days, fx);
		a->state = ST_CORRECTION;
		break;
	case WF_CORRECT:
		close_pause(a, cal, args->date, fx);
		a->start = args->date;
		a->cycle++;
		a->extension_days = 0;
		set_str(&a->pauses, NULL);
		a->due_soon_fired = a->overdue_fired = DAY_NONE;
		if (args->description != NULL)
			set_str(&a->description, args->description);
		a->state = a->assignee != NULL ? ST_REVIEW : ST_RECEIVED;
		fx->restarted = true;
		break;
	case WF_CONSULT:
		open_wait(a, cal, WAIT_CONSULTATION, args->today, 15, fx);
		a->state = ST_CONSULTATION;
		break;
	case WF_CONSULTED:
		close_pause(a, cal, args->today, fx);
		a->state = ST_REVIEW;
		break;
	case WF_REVIEW:
		a->outcome = args->outcome;
		set_str(&a->proposer, who->name);
		a->state =
		    (args->outcome == OC_GRANT || args->outcome == OC_PARTIAL)
		        ? ST_SECRECY
		        : ST_READY;
		break;
	case WF_SECRECY:
		if (args->pass)
			a->state = ST_READY;
		else {
			a->state = ST_REVIEW;
			a->outcome = OC_NONE;
			set_str(&a->proposer, NULL);
		}
		break;
	case WF_FEE_NOTICE:
		a->fee_return = a->state;
		a->fee_fen = args->fee_fen;
		open_wait(a, cal, WAIT_FEE, args->today, 20, fx);
		a->state = ST_FEE;
		break;
	case WF_FEE_PAID:
		close_pause(a, cal, args->date, fx);
		a->state = a->fee_return;
		break;
	case WF_EXTEND:
		a->extension_days += args->days;
		break;
	case WF_REPLY:
		a->replied_on = args->date;
		a->concluded_on = args->date;
		a->state = ST_REPLIED;
		fx->concluded = true;
		break;
	case WF_WITHDRAW:
		if (a->wait != WAIT_NONE)
			close_pause(a, cal, args->today, fx);
		conclude_paused(a, cal, fx);
		a->outcome = OC_OTHER_OTHER;
		a->concluded_on = args->today;
		a->state = ST_WITHDRAWN;
		fx->concluded = true;
		break;
	case WF_APPEAL:
	case WF_APPEAL_DECIDED:
		break;
	case WF_LAPSE_CORRECTION:
	case WF_LAPSE_FEE: {
		day_t last = a->wait_last_day;

		close_pause(a, cal, last, fx);
		conclude_paused(a, cal, fx);
		a->outcome = act == WF_LAPSE_CORRECTION ? OC_OTHER_NO_CORRECTION
		                                        : OC_OTHER_FEE_UNPAID;
		a->concluded_on = last + 1;
		a->state = ST_WITHDRAWN;
		fx->concluded = true;
		break;
	}
	case WF_LAPSE_CONSULTATION:
		/* The pause ends on the period's last day. */
		close_pause(a, cal, a->wait_last_day, fx);
		a->state = ST_REVIEW;
		break;
	case WF__COUNT:
		break;
	}
}

size_t
wf_pauses(const struct app *a, struct dl_pause **out)
{
	day_t *from, *to;
	size_t n, i;

	*out = NULL;
	n = app_pauses_parse(a->pauses, &from, &to);
	if (n > 0) {
		*out = calloc(n, sizeof(**out));
		if (*out == NULL)
			abort();
		for (i = 0; i < n; i++) {
			(*out)[i].from = from[i];
			(*out)[i].to = to[i];
		}
	}
	free(from);
	free(to);
	return n;
}

int
wf_paused_days(const struct app *a, const struct cal *cal)
{
	struct dl_pause *ps;
	size_t n = wf_pauses(a, &ps), i;
	int days = 0;

	for (i = 0; i < n; i++)
		days += dl_pause_days(cal, &ps[i]);
	free(ps);
	return days;
}

void
wf_fired(struct app *a, enum timer_kind k)
{
	if (k == TK_DUE_SOON)
		a->due_soon_fired = a->due_on;
	else if (k == TK_OVERDUE)
		a->overdue_fired = a->due_on;
}

enum wf_action
wf_lapse_action(enum timer_kind k)
{
	switch (k) {
	case TK_LAPSE_CORRECTION:
		return WF_LAPSE_CORRECTION;
	case TK_LAPSE_CONSULTATION:
		return WF_LAPSE_CONSULTATION;
	default:
		return WF_LAPSE_FEE;
	}
}

day_t
wf_nth_workday_after(const struct cal *cal, day_t d, int n)
{
	day_t x = d;
	int k = 0;

	if (n <= 0)
		return d;
	while (k < n) {
		x++;
		if (x > date_last_day())
			return DAY_NONE;
		if (cal_is_workday(cal, x))
			k++;
	}
	return x;
}

day_t
wf_due_soon_day(const struct cal *cal, day_t due_on, int n)
{
	day_t w = due_on;
	int k = 0;

	while (k < n && w > date_first_day()) {
		w--;
		if (cal_is_workday(cal, w))
			k++;
	}
	return w;
}

static bool
not_fired(day_t fired_for, day_t due_on)
{
	return fired_for == DAY_NONE || due_on > fired_for;
}

void
wf_derive(struct app *a, const struct cal *cal, int due_soon_days,
          day_t *event_day)
{
	*event_day = DAY_NONE;
	a->next_event = TK_NONE;
	if (app_state_terminal(a->state))
		return; /* keeps its last due_on */
	a->due_on =
	    a->state != ST_CORRECTION ? due_from_clock(a, cal) : DAY_NONE;

	if (a->wait != WAIT_NONE) {
		/* The period's last day follows the calendar too. */
		if (a->wait_days > 0)
			a->wait_last_day =
			    dl_period_last_day(cal, a->wait_from, a->wait_days);
		*event_day = a->wait_last_day + 1;
		a->next_event = a->wait == WAIT_CORRECTION ? TK_LAPSE_CORRECTION
		                : a->wait == WAIT_CONSULTATION
		                    ? TK_LAPSE_CONSULTATION
		                    : TK_LAPSE_FEE;
		return;
	}
	if (!app_state_running(a->state) || a->due_on == DAY_NONE)
		return;
	if (not_fired(a->due_soon_fired, a->due_on)) {
		*event_day = wf_due_soon_day(cal, a->due_on, due_soon_days);
		a->next_event = TK_DUE_SOON;
	} else if (not_fired(a->overdue_fired, a->due_on)) {
		*event_day = a->due_on + 1;
		a->next_event = TK_OVERDUE;
	}
}
