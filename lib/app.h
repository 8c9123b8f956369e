/*
 * The application and its closed sets (SPEC section 2), with one table
 * from each enum to its wire string.
 */
#ifndef OGI_APP_H
#define OGI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"

enum app_state {
	ST_RECEIVED,
	ST_CORRECTION,
	ST_REVIEW,
	ST_CONSULTATION,
	ST_SECRECY,
	ST_FEE,
	ST_READY,
	ST_REPLIED,
	ST_WITHDRAWN,
	ST__COUNT
};

/* Applicant columns of the annual report; 0 is a natural person. */
enum app_column {
	COL_NATURAL_PERSON,
	COL_COMMERCIAL,
	COL_RESEARCH,
	COL_SOCIAL_WELFARE,
	COL_LEGAL_SERVICE,
	COL_OTHER,
	COL__COUNT
};

enum app_channel {
	CH_IN_PERSON,
	CH_MAIL,
	CH_ONLINE,
	CH_FAX,
	CH_OTHER,
	CH__COUNT
};
enum app_form { FORM_NONE = -1, FORM_PAPER, FORM_ELECTRONIC, FORM__COUNT };
enum app_delivery {
	DLV_NONE = -1,
	DLV_PICKUP,
	DLV_MAIL,
	DLV_EMAIL,
	DLV_ONLINE,
	DLV__COUNT
};

/* Outcome codes in report order; groups below. */
enum outcome {
	OC_NONE = -1,
	OC_GRANT,
	OC_PARTIAL,
	OC_DENY_STATE_SECRET,
	OC_DENY_LAW_PROHIBITED,
	OC_DENY_SECURITY_STABILITY,
	OC_DENY_THIRD_PARTY,
	OC_DENY_INTERNAL_AFFAIRS,
	OC_DENY_PROCESS_INFO,
	OC_DENY_ENFORCEMENT_FILE,
	OC_DENY_ADMINISTRATIVE_QUERY,
	OC_UNAVAILABLE_NOT_HELD,
	OC_UNAVAILABLE_NEEDS_CREATION,
	OC_UNAVAILABLE_UNCLEAR,
	OC_NOT_PROCESSED_PETITION,
	OC_NOT_PROCESSED_REPEAT,
	OC_NOT_PROCESSED_PUBLICATION,
	OC_NOT_PROCESSED_EXCESSIVE,
	OC_NOT_PROCESSED_CONFIRMATION,
	OC_OTHER_NO_CORRECTION,
	OC_OTHER_FEE_UNPAID,
	OC_OTHER_OTHER,
	OC__COUNT
};

enum outcome_group {
	OG_GRANT,
	OG_PARTIAL,
	OG_DENY,
	OG_UNAVAILABLE,
	OG_NOT_PROCESSED,
	OG_OTHER,
	OG__COUNT
};

/* What the clock is waiting on while stopped or paused. */
enum wait_kind {
	WAIT_NONE,
	WAIT_CORRECTION,
	WAIT_CONSULTATION,
	WAIT_FEE,
	WAIT__COUNT
};

/* Timer events (SPEC section 4). */
enum timer_kind {
	TK_NONE,
	TK_DUE_SOON,
	TK_OVERDUE,
	TK_LAPSE_CORRECTION,
	TK_LAPSE_CONSULTATION,
	TK_LAPSE_FEE,
	TK__COUNT
};

enum appeal_kind {
	AK_RECONSIDERATION,
	AK_LITIGATION,
	AK_LITIGATION_AFTER,
	AK__COUNT
};
enum appeal_result { AR_UPHELD, AR_CORRECTED, AR_OTHER, AR_PENDING, AR__COUNT };

#define APP_ID_LEN 12 /* "YYYY-NNNNNN" */

struct app {
	char id[APP_ID_LEN];
	int64_t rowid;
	enum app_state state;
	enum app_column column;
	char *name, *id_number, *phone, *email,
	    *address; /* owned; NULL if absent */
	enum app_channel channel;
	day_t received_on;
	char *description;
	enum app_form form;
	enum app_delivery delivery;
	char *client_ref;
	int64_t created_by;
	char *assignee; /* user name or NULL */
	enum outcome outcome;
	int64_t version;

	/* Clock inputs: the truth from which the deadline follows. */
	int rules;   /* 2007 or 2019 */
	day_t start; /* receipt, or the correction's date of receipt */
	int cycle;   /* increments at each correction (fresh start) */
	int extension_days;
	char *
	    pauses; /* closed pauses of this cycle: "from:to;..." day numbers */
	enum wait_kind wait;
	day_t wait_from; /* notice day (pause start) */
	day_t wait_last_day;
	int wait_days; /* the period's length in working days (0: unknown) */
	enum app_state fee_return; /* state to return to after fee */
	char *proposer;            /* who proposed the outcome (app.review) */
	bool correction_late;
	int64_t fee_fen; /* fee in fen (0.01 yuan) */

	/* Derived caches, rewritten with every change. */
	day_t due_on; /* last computed due date (kept when concluded) */
	int64_t next_event_at; /* unix seconds, 0 if none */
	enum timer_kind next_event;
	day_t due_soon_fired; /* due_on for which it fired, DAY_NONE */
	day_t overdue_fired;
	day_t concluded_on; /* DAY_NONE while open */
	day_t replied_on;
	int64_t created_at, updated_at;
};

const char *app_state_name(enum app_state);
int app_state_from(const char *, enum app_state *);
bool app_state_terminal(enum app_state);
bool app_state_running(enum app_state); /* clock runs */
/* The clock is stopped or paused: correction, consultation, fee. */
bool app_state_stopped(enum app_state);
const char *app_column_name(enum app_column);
int app_column_from(const char *,
                    enum app_column *); /* organization categories */
const char *app_channel_name(enum app_channel);
int app_channel_from(const char *, enum app_channel *);
const char *app_form_name(enum app_form);
int app_form_from(const char *, enum app_form *);
const char *app_delivery_name(enum app_delivery);
int app_delivery_from(const char *, enum app_delivery *);
const char *outcome_name(enum outcome);
int outcome_from(const char *, enum outcome *);
enum outcome_group outcome_group(enum outcome);
const char *outcome_group_name(enum outcome_group);
const char *wait_kind_name(enum wait_kind);
const char *timer_kind_name(enum timer_kind);
const char *appeal_kind_name(enum appeal_kind);
int appeal_kind_from(const char *, enum appeal_kind *);
const char *appeal_result_name(enum appeal_result);
int appeal_result_from(const char *, enum appeal_result *);

void app_init(struct app *);
void app_clear(struct app *); /* frees owned strings */
void app_copy(struct app *dst, const struct app *src);

/* Pauses text: append "from:to"; iterate. */
void app_pause_append(struct app *, day_t from, day_t to);
/* Parse the pauses text into arrays: returns count; from and to are allocated.
 */
size_t app_pauses_parse(const char *, day_t **from, day_t **to);

#endif
