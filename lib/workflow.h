/*
 * The workflow of SPEC section 2 as pure functions: who may do what from
 * which state (wf_check), what it does to the application (wf_apply), and
 * what follows from it for the clock and the timers (wf_derive).
 */
#ifndef OGI_WORKFLOW_H
#define OGI_WORKFLOW_H

#include <stdbool.h>

#include "app.h"
#include "calendar.h"
#include "deadline.h"

enum wf_action {
	WF_ASSIGN,
	WF_REQUEST_CORRECTION,
	WF_CORRECT,
	WF_CONSULT,
	WF_CONSULTED,
	WF_REVIEW,
	WF_SECRECY,
	WF_FEE_NOTICE,
	WF_FEE_PAID,
	WF_EXTEND,
	WF_REPLY,
	WF_WITHDRAW,
	WF_APPEAL,
	WF_APPEAL_DECIDED,
	/* Timers: actor "system". */
	WF_LAPSE_CORRECTION,
	WF_LAPSE_CONSULTATION,
	WF_LAPSE_FEE,
	WF__COUNT
};

/* Role bits, as daemon/ogid.h's enum role. */
#define WF_ROLE_CLERK (1u << 0)
#define WF_ROLE_REVIEWER (1u << 1)
#define WF_ROLE_SECRECY (1u << 2)
#define WF_ROLE_SUPERVISOR (1u << 3)
#define WF_ROLE_ADMIN (1u << 4)

struct wf_actor {
	const char *name; /* user name, or "system" */
	unsigned roles;
	bool system;
};

struct wf_args {
	day_t today;
	day_t date; /* correct/paid/reply: the date given (or today) */
	const char *reviewer;    /* assign */
	const char *description; /* correct: replacement, or NULL */
	int within_days;         /* request_correction */
	int days;                /* extend */
	enum outcome outcome;    /* review */
	bool pass;               /* secrecy */
	int64_t fee_fen;         /* fee_notice */
};

enum wf_err_kind { WF_OK, WF_E_FORBIDDEN, WF_E_STATE, WF_E_PARAM };

struct wf_error {
	enum wf_err_kind kind;
	unsigned required;  /* WF_E_FORBIDDEN: roles that could */
	const char *field;  /* WF_E_PARAM */
	const char *reason; /* static text */
};

/* Pause or stop record changes wf_apply made, for the clock table. */
struct wf_effects {
	bool pause_opened; /* a consultation/fee/correction wait began */
	enum wait_kind opened;
	bool pause_closed; /* a pause ended at closed_to, adding closed_days */
	enum wait_kind closed;
	day_t closed_to;
	int closed_days;
	bool restarted; /* correction: fresh start */
	bool concluded;
};

const char *wf_action_method(enum wf_action);
/* Permission and state checks; nothing changes. 0 or -1 with err. */
int wf_check(const struct app *, enum wf_action, const struct wf_actor *,
             const struct wf_args *, const struct cal *, struct wf_error *);
/* Apply an action already checked. */
void wf_apply(struct app *, enum wf_action, const struct wf_actor *,
              const struct wf_args *, const struct cal *, struct wf_effects *);

/*
 * Recompute the derived caches from the inputs: due_on (open apps), and
 * the next timer event (kind and the local date at whose 00:00 it fires,
 * DAY_NONE if none). due_soon_days as configured.
 */
void wf_derive(struct app *, const struct cal *, int due_soon_days,
               day_t *event_day);

/* The closed pauses of the current cycle; *out allocated, caller frees. */
size_t wf_pauses(const struct app *, struct dl_pause **out);
/* Working days they add to the reply deadline. */
int wf_paused_days(const struct app *, const struct cal *);
/*
 * A due-soon or overdue event fired for the current due date: it fires
 * again only when due_on moves later (wf_derive).
 */
void wf_fired(struct app *, enum timer_kind);
/* The timer lapse of a waiting period as a workflow action. */
enum wf_action wf_lapse_action(enum timer_kind);

/* The raw nth working day after d (count(d, x) == n), for due-soon lists. */
day_t wf_nth_workday_after(const struct cal *, day_t d, int n);
/* First day D with count(D, due_on) <= n. */
day_t wf_due_soon_day(const struct cal *, day_t due_on, int n);

#endif
