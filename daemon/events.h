/*
 * events.c: server push (SPEC section 5). Events made inside the group
 * transaction are queued and pushed to subscribers only after the commit.
 */
#ifndef OGI_EVENTS_H
#define OGI_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

enum event_type {
	EV_SUBMITTED,
	EV_STATE,
	EV_DUE_SOON,
	EV_OVERDUE,
	EV_LAPSED,
	EV_EXTENDED,
	EV__COUNT
};

const char *event_type_name(enum event_type);
int event_type_from(const char *, enum event_type *);
struct session;
/* Set a session's subscription (mask: a bit per type; 0 for none). */
void events_subscribe(struct session *, unsigned mask);
/* Queue {type, id, at, ...extra} if anyone subscribes to the type; steals
 * extra (may be NULL). */
void events_queue(enum event_type, const char *id, int64_t at, json_t *extra);
/* Does anyone subscribe to the type? (Then make its extra.) */
bool events_wanted(enum event_type);
/* Note that users changed (disable/rotate): sessions re-check after commit. */
void events_auth_changed(void);
void events_savepoint(void);
void events_rollback_savepoint(void);
void events_flush(void);
void events_discard(void);
/* Incremented after each committed user change. */
extern uint64_t events_auth_gen;
void events_free(void);

#endif
