/*
 * Server push: events queued during the group transaction, pushed to the
 * subscribed connections once it commits (never for a rolled-back write).
 */
#include <string.h>

#include "../lib/log.h"
#include "../lib/tz.h"
#include "../lib/xmalloc.h"
#include "events.h"
#include "ogid.h"

static const char *names[EV__COUNT] = {
	"submitted", "state", "due_soon", "overdue", "lapsed", "extended",
};

static json_t *queue;            /* array of notifications, owned */
static unsigned nsub[EV__COUNT]; /* sessions subscribed to each type */
/*
 * The subscribed sessions, in no order (a session knows its slot): an
 * event goes through them, not through every connection, which at 5,000
 * idle connections cut submits by two thirds.
 */
static struct session **subs;
static size_t nsubs, capsubs;
static size_t sp_mark; /* queue length at the current savepoint */
static bool auth_changed, sp_auth_changed;
uint64_t events_auth_gen = 1;

const char *
event_type_name(enum event_type t)
{
	return (int)t >= 0 && t < EV__COUNT ? names[t] : NULL;
}

int
event_type_from(const char *s, enum event_type *out)
{
	int i;

	for (i = 0; i < EV__COUNT; i++)
		if (strcmp(names[i], s) == 0) {
			*out = (enum event_type)i;
			return 0;
		}
	return -1;
}

/*
 * Every change of a session's subscription goes through here, so that an
 * event nobody asked for is not even made (a submit's notification cost
 * more than its counter).
 */
void
events_subscribe(struct session *s, unsigned mask)
{
	struct session *last;
	int i;

	for (i = 0; i < EV__COUNT; i++) {
		if (s->subscribed && (s->event_mask & (1u << i)))
			nsub[i]--;
		if (mask & (1u << i))
			nsub[i]++;
	}
	if (mask != 0 && s->sub_slot == 0) {
		if (nsubs == capsubs) {
			capsubs = capsubs ? capsubs * 2 : 16;
			subs = xreallocarray(subs, capsubs, sizeof(*subs));
		}
		subs[nsubs++] = s;
		s->sub_slot = nsubs;
	} else if (mask == 0 && s->sub_slot != 0) {
		/* The last one takes its place. */
		last = subs[--nsubs];
		subs[s->sub_slot - 1] = last;
		last->sub_slot = s->sub_slot;
		s->sub_slot = 0;
	}
	s->subscribed = mask != 0;
	s->event_mask = mask;
}

bool
events_wanted(enum event_type t)
{
	return nsub[t] != 0;
}

void
events_queue(enum event_type t, const char *id, int64_t at, json_t *extra)
{
	json_t *params;
	char buf[40];

	if (nsub[t] == 0) {
		json_decref(extra);
		return;
	}
	params = extra ? extra : json_object();
	if (queue == NULL)
		queue = json_array();
	json_object_set_new(params, "type", json_string(names[t]));
	json_object_set_new(params, "id", json_string(id));
	json_object_set_new(params, "at",
	                    json_string(tz_format(at, buf, sizeof(buf))));
	json_array_append_new(queue,
	                      json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0",
	                                "method", "event", "params", params));
}

void
events_auth_changed(void)
{
	auth_changed = true;
}

void
events_savepoint(void)
{
	sp_mark = queue ? json_array_size(queue) : 0;
	sp_auth_changed = auth_changed;
}

void
events_rollback_savepoint(void)
{
	while (queue && json_array_size(queue) > sp_mark)
		json_array_remove(queue, json_array_size(queue) - 1);
	auth_changed = sp_auth_changed;
}

/*
 * One notification, serialised once, to every session subscribed to its
 * type. Backwards: a push that drops its connection (over the output
 * budget) unsubscribes it, and the last session, already pushed to, takes
 * its slot.
 */
static void
push(const char *line, size_t len, unsigned bit)
{
	struct session *s;
	size_t i;

	for (i = nsubs; i-- > 0;) {
		if (i >= nsubs)
			continue;
		s = subs[i];
		if (!s->authed || !(s->event_mask & bit))
			continue;
		/* A disabled or rotated user's connection: no more events
		 * (SPEC section 5; conn_deauthed drops its subscription). */
		if (methods_session_valid(s))
			conn_push(s->conn, line, len);
	}
}

void
events_flush(void)
{
	size_t i, len;
	json_t *note;
	enum event_type t;
	char *text;

	if (auth_changed) {
		events_auth_gen++;
		auth_changed = false;
	}
	if (queue == NULL)
		return;
	json_array_foreach(queue, i, note)
	{
		const char *type = json_string_value(
		    json_object_get(json_object_get(note, "params"), "type"));

		if (type == NULL || event_type_from(type, &t) == -1)
			continue;
		if ((text = json_dumps(note, JSON_COMPACT)) == NULL) {
			log_warnx("event=push_failed type=%s", type);
			continue;
		}
		len = strlen(text);
		text[len] = '\n'; /* over the NUL: the line is text[0..len] */
		push(text, len + 1, 1u << t);
		free(text);
	}
	json_array_clear(queue);
	sp_mark = 0;
}

void
events_discard(void)
{
	if (queue != NULL)
		json_array_clear(queue);
	sp_mark = 0;
	auth_changed = sp_auth_changed = false;
}

void
events_free(void)
{
	free(subs);
	subs = NULL;
	nsubs = capsubs = 0;
	json_decref(queue);
	queue = NULL;
}
