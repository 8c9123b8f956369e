/* The closed sets of SPEC section 2 and their wire strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "xmalloc.h"

static const char *state_names[ST__COUNT] = {
	"received", "correction", "review",  "consultation", "secrecy",
	"fee",      "ready",      "replied", "withdrawn",
};
static const char *column_names[COL__COUNT] = {
	"natural_person", "commercial",    "research",
	"social_welfare", "legal_service", "other",
};
static const char *channel_names[CH__COUNT] = {
	"in_person", "mail", "online", "fax", "other",
};
static const char *form_names[FORM__COUNT] = { "paper", "electronic" };
static const char *delivery_names[DLV__COUNT] = { "pickup", "mail", "email",
	                                          "online" };
static const char *outcome_names[OC__COUNT] = {
	"grant",
	"partial",
	"deny.state_secret",
	"deny.law_prohibited",
	"deny.security_stability",
	"deny.third_party",
	"deny.internal_affairs",
	"deny.process_info",
	"deny.enforcement_file",
	"deny.administrative_query",
	"unavailable.not_held",
	"unavailable.needs_creation",
	"unavailable.unclear",
	"not_processed.petition",
	"not_processed.repeat",
	"not_processed.publication",
	"not_processed.excessive",
	"not_processed.confirmation",
	"other.no_correction",
	"other.fee_unpaid",
	"other.other",
};
static const char *group_names[OG__COUNT] = {
	"grant", "partial", "deny", "unavailable", "not_processed", "other",
};
static const char *wait_names[WAIT__COUNT] = { "none", "correction",
	                                       "consultation", "fee" };
static const char *timer_names[TK__COUNT] = {
	"none", "due_soon", "overdue", "lapsed", "lapsed", "lapsed",
};
static const char *appeal_kind_names[AK__COUNT] = {
	"reconsideration", "litigation", "litigation_after_reconsideration"
};
static const char *appeal_result_names[AR__COUNT] = { "upheld", "corrected",
	                                              "other", "pending" };

static int
lookup(const char *const *names, int n, const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

#define NAME_FN(fn, type, table, count)                                        \
	const char *fn(type v)                                                 \
	{                                                                      \
		if ((int)v < 0 || (int)v >= (count))                           \
			return NULL;                                           \
		return table[v];                                               \
	}
#define FROM_FN(fn, type, table, count)                                        \
	int fn(const char *s, type *out)                                       \
	{                                                                      \
		int i = lookup(table, (count), s);                             \
		if (i < 0)                                                     \
			return -1;                                             \
		*out = (type)i;                                                \
		return 0;                                                      \
	}

NAME_FN(app_state_name, enum app_state, state_names, ST__COUNT)
FROM_FN(app_state_from, enum app_state, state_names, ST__COUNT)
NAME_FN(app_column_name, enum app_column, column_names, COL__COUNT)
NAME_FN(app_channel_name, enum app_channel, channel_names, CH__COUNT)
FROM_FN(app_channel_from, enum app_channel, channel_names, CH__COUNT)
NAME_FN(app_form_name, enum app_form, form_names, FORM__COUNT)
FROM_FN(app_form_from, enum app_form, form_names, FORM__COUNT)
NAME_FN(app_delivery_name, enum app_delivery, delivery_names, DLV__COUNT)
FROM_FN(app_delivery_from, enum app_delivery, delivery_names, DLV__COUNT)
NAME_FN(outcome_name, enum outcome, outcome_names, OC__COUNT)
FROM_FN(outcome_from, enum outcome, outcome_names, OC__COUNT)
NAME_FN(outcome_group_name, enum outcome_group, group_names, OG__COUNT)
NAME_FN(wait_kind_name, enum wait_kind, wait_names, WAIT__COUNT)
NAME_FN(timer_kind_name, enum timer_kind, timer_names, TK__COUNT)
NAME_FN(appeal_kind_name, enum appeal_kind, appeal_kind_names, AK__COUNT)
FROM_FN(appeal_kind_from, enum appeal_kind, appeal_kind_names, AK__COUNT)
NAME_FN(appeal_result_name, enum appeal_result, appeal_result_names, AR__COUNT)
FROM_FN(appeal_result_from, enum appeal_result, appeal_result_names, AR__COUNT)

/* Organization categories only: "natural_person" is a kind, not a category. */
int
app_column_from(const char *s, enum app_column *out)
{
	int i = lookup(column_names, COL__COUNT, s);

	if (i <= 0)
		return -1;
	*out = (enum app_column)i;
	return 0;
}

bool
app_state_terminal(enum app_state s)
{
	return s == ST_REPLIED || s == ST_WITHDRAWN;
}

bool
app_state_running(enum app_state s)
{
	return s == ST_RECEIVED || s == ST_REVIEW || s == ST_SECRECY ||
	       s == ST_READY;
}

bool
app_state_stopped(enum app_state s)
{
	return s == ST_CORRECTION || s == ST_CONSULTATION || s == ST_FEE;
}

enum outcome_group
outcome_group(enum outcome o)
{
	if (o == OC_GRANT)
		return OG_GRANT;
	if (o == OC_PARTIAL)
		return OG_PARTIAL;
	if (o <= OC_DENY_ADMINISTRATIVE_QUERY)
		return OG_DENY;
	if (o <= OC_UNAVAILABLE_UNCLEAR)
		return OG_UNAVAILABLE;
	if (o <= OC_NOT_PROCESSED_CONFIRMATION)
		return OG_NOT_PROCESSED;
	return OG_OTHER;
}

void
app_init(struct app *a)
{
	memset(a, 0, sizeof(*a));
	a->outcome = OC_NONE;
	a->form = FORM_NONE;
	a->delivery = DLV_NONE;
	a->rules = 2019;
	a->wait_from = a->wait_last_day = DAY_NONE;
	a->due_on = DAY_NONE;
	a->due_soon_fired = a->overdue_fired = DAY_NONE;
	a->concluded_on = a->replied_on = DAY_NONE;
	a->fee_return = ST_REVIEW;
}

void
app_clear(struct app *a)
{
	free(a->name);
	free(a->id_number);
	free(a->phone);
	free(a->email);
	free(a->address);
	free(a->description);
	free(a->client_ref);
	free(a->assignee);
	free(a->pauses);
	free(a->proposer);
	app_init(a);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
app_copy(struct app *dst, const struct app *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->id_number = dup_or_null(src->id_number);
	dst->phone = dup_or_null(src->phone);
	dst->email = dup_or_null(src->email);
	dst->address = dup_or_null(src->address);
	dst->description = dup_or_null(src->description);
	dst->client_ref = dup_or_null(src->client_ref);
	dst->assignee = dup_or_null(src->assignee);
	dst->pauses = dup_or_null(src->pauses);
	dst->proposer = dup_or_null(src->proposer);
}

void
app_pause_append(struct app *a, day_t from, day_t to)
{
	char *s;

	if (a->pauses == NULL || a->pauses[0] == '\0')
		s = xasprintf("%d:%d", (int)from, (int)to);
	else
		s = xasprintf("%s;%d:%d", a->pauses, (int)from, (int)to);
	free(a->pauses);
	a->pauses = s;
}

size_t
app_pauses_parse(const char *s, day_t **from, day_t **to)
{
	size_t n = 0, cap = 0;
	const char *p = s;
	long f, t;
	char *end;

	*from = *to = NULL;
	if (s == NULL)
		return 0;
	while (*p != '\0') {
		f = strtol(p, &end, 10);
		if (*end != ':')
			break;
		t = strtol(end + 1, &end, 10);
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			*from = xreallocarray(*from, cap, sizeof(**from));
			*to = xreallocarray(*to, cap, sizeof(**to));
		}
		(*from)[n] = (day_t)f;
		(*to)[n] = (day_t)t;
		n++;
		if (*end != ';')
			break;
		p = end + 1;
	}
	return n;
}
