/* view.c: applications as the JSON of SPEC sections 2, 4 and 6. */
#ifndef OGI_VIEW_H
#define OGI_VIEW_H

#include <jansson.h>

#include "../lib/app.h"
#include "../lib/store.h"

/* New references. roles decide whether personal data is shown. */
json_t *view_summary(const struct app *, day_t today, unsigned roles);
/* The whole application with deadline, history and appeals, read from st. */
json_t *view_app(struct store *st, const struct app *, day_t today,
                 unsigned roles);
/*
 * The same application as compact JSON text: exactly the bytes of
 * json_dumps(view_app(...), JSON_COMPACT), without the tree. The text is
 * in a buffer of view_text.c's, valid until the next view_*_text call;
 * *len (if not NULL) gets the length.
 */
const char *view_app_text(struct store *st, const struct app *, day_t today,
                          unsigned roles, size_t *len);
/*
 * The same for an application submitted in this request: it has no clock
 * records or appeals yet, and its history is the one event ev (as stored;
 * read from st if NULL). OGID_VIEW_CHECK compares it with view_app, which
 * reads everything.
 */
const char *view_submitted_text(struct store *st, const struct app *,
                                day_t today, unsigned roles,
                                const struct store_event *ev, size_t *len);
/* Free view_text.c's buffer (at exit). */
void view_text_free(void);
json_t *view_deadline(struct store *st, const struct app *, day_t today);
json_t *json_date(day_t); /* "YYYY-MM-DD" or null */
/* Running and past its due date. */
bool view_is_overdue(const struct app *, day_t today);
struct store_clock;
/*
 * The working days a pause of the clock adds, counted with today's
 * calendar (as the due date is), not the days stored when it closed: a
 * calendar.set since then moves both. 0 while open.
 */
int view_pause_days(const struct store_clock *);
/* deadline.explain.text: how due_on follows from the effective start eff;
 * false if it does not fit buf. */
bool view_due_explained(char *buf, size_t size, const struct app *, day_t eff,
                        int paused_days, size_t skipped);
/* Drop the applicant's personal data from a history event's params. */
void view_hide_personal(json_t *event);

#endif
