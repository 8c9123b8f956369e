/*
 * view_app as text: the bytes of json_dumps(view_app(...), JSON_COMPACT)
 * written directly, without a json_t tree. Every member mirrors view.c,
 * including its corner cases: a string jansson refuses (NULL or invalid
 * UTF-8) drops its member, and a json_pack that would fail drops its array
 * element. History events are copied from their canonical stored text when
 * re-dumping them would give the same bytes, else they go through jansson.
 *
 * With OGID_VIEW_CHECK set, every call also renders through jansson and
 * aborts on any difference. view.c reads every row from the store, so the
 * check also stands behind what view_submitted_text takes for granted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/calendar.h"
#include "../lib/deadline.h"
#include "../lib/log.h"
#include "../lib/tz.h"
#include "../lib/workflow.h"
#include "../lib/xmalloc.h"
#include "jsonw.h"
#include "ogid.h"
#include "view.h"

#define PERSONAL_ROLES (ROLE_CLERK | ROLE_SUPERVISOR | ROLE_ADMIN)

/* Would json_string(s) succeed? */
static bool
str_ok(const char *s)
{
	return s != NULL && jw_utf8_valid(s, strlen(s));
}

/*
 * jw_key for this file's own keys: short ASCII names that need no
 * escaping, so they are copied in one piece instead of scanned.
 */
static void
key(struct jw *w, const char *k)
{
	char b[48];
	size_t n = strlen(k), i = 0;

	if (n > sizeof(b) - 4) {
		jw_key(w, k);
		return;
	}
	if (w->comma)
		b[i++] = ',';
	b[i++] = '"';
	memcpy(b + i, k, n);
	i += n;
	b[i++] = '"';
	b[i++] = ':';
	jw_raw(w, b, i);
	w->comma = false;
}

/*
 * The application being rendered was made from the request just read
 * (app.submit): its strings are the request's, valid UTF-8 (daemon/jsonr.c
 * checked them), so they are escaped without a second check.
 */
static bool render_fresh;

/* json_object_set_new(o, k, json_string(s)): nothing if s is refused. */
static void
put_str(struct jw *w, const char *k, const char *s)
{
	size_t len = w->len;
	bool comma = w->comma;

	if (s == NULL)
		return;
	key(w, k);
	if (render_fresh) {
		jw_stringn(w, s, strlen(s));
		return;
	}
	/* Checked while escaped, one pass: not valid, and nothing written. */
	if (!jw_string_checked(w, s, strlen(s))) {
		w->len = len;
		w->comma = comma;
	}
}

/* json_str_or_null */
static void
put_str_or_null(struct jw *w, const char *k, const char *s)
{
	if (s == NULL) {
		key(w, k);
		jw_null(w);
	} else
		put_str(w, k, s);
}

static void
put_int(struct jw *w, const char *k, int64_t v)
{
	key(w, k);
	jw_int(w, v);
}

static void
put_bool(struct jw *w, const char *k, bool b)
{
	key(w, k);
	jw_bool(w, b);
}

static void
date_value(struct jw *w, day_t d)
{
	char buf[16];

	if (d == DAY_NONE)
		jw_null(w);
	else
		jw_string(w, date_format(d, buf));
}

static void
put_date(struct jw *w, const char *k, day_t d)
{
	key(w, k);
	date_value(w, d);
}

static void
put_name_or_null(struct jw *w, const char *k, bool none, const char *name)
{
	if (none) {
		key(w, k);
		jw_null(w);
	} else
		put_str(w, k, name);
}

static void
applicant_text(struct jw *w, const struct app *a, unsigned roles)
{
	jw_begin_object(w);
	put_str(w, "kind",
	        a->column == COL_NATURAL_PERSON ? "natural_person"
	                                        : "organization");
	if (a->column != COL_NATURAL_PERSON)
		put_str(w, "category", app_column_name(a->column));
	put_str(w, "name", a->name);
	if (roles & PERSONAL_ROLES) {
		if (a->id_number)
			put_str(w, "id_number", a->id_number);
		if (a->phone)
			put_str(w, "phone", a->phone);
		if (a->email)
			put_str(w, "email", a->email);
		if (a->address)
			put_str(w, "address", a->address);
	}
	jw_end_object(w);
}

static void
put_workdays(struct jw *w, const struct app *a, day_t today)
{
	bool counted = app_state_running(a->state) && a->due_on != DAY_NONE;

	key(w, "remaining_workdays");
	if (counted)
		jw_int(w, dl_remaining_workdays(ogid->cal, a->due_on, today));
	else
		jw_null(w);
	key(w, "overdue_workdays");
	if (counted)
		jw_int(w, dl_overdue_workdays(ogid->cal, a->due_on, today));
	else
		jw_null(w);
}

/*
 * The explanation of a fresh application's deadline (no clock records)
 * depends on these alone, and the applications submitted on a day share
 * them: the last one's text is kept. It was ~9k of the ~20k instructions
 * of app.submit's reply (the dates, the sentence, the skipped days).
 */
static struct {
	bool valid;
	uint64_t cal;
	int rules, cycle, extension_days;
	bool correction;
	day_t received_on, start, due_on;
	char *text;
	size_t len;
} explained;

static bool
explained_same(const struct app *a)
{
	return explained.valid && explained.cal == cal_serial(ogid->cal) &&
	       explained.rules == a->rules && explained.cycle == a->cycle &&
	       explained.extension_days == a->extension_days &&
	       explained.correction == (a->state == ST_CORRECTION) &&
	       explained.received_on == a->received_on &&
	       explained.start == a->start && explained.due_on == a->due_on;
}

static void
explained_keep(const struct app *a, const char *text, size_t len)
{
	explained.valid = true;
	explained.cal = cal_serial(ogid->cal);
	explained.rules = a->rules;
	explained.cycle = a->cycle;
	explained.extension_days = a->extension_days;
	explained.correction = a->state == ST_CORRECTION;
	explained.received_on = a->received_on;
	explained.start = a->start;
	explained.due_on = a->due_on;
	explained.text = xreallocarray(explained.text, len, 1);
	memcpy(explained.text, text, len);
	explained.len = len;
}

/* fresh: submitted in this request, it has no clock records yet. */
static void
explain_text(struct jw *w, struct store *st, const struct app *a, bool fresh)
{
	struct store_clock *cl = NULL;
	size_t ncl = 0, i, nsk, from;
	day_t eff, sk[64];
	int paused_days = 0, days;
	char buf[16], tbuf[40], text[256];

	if (fresh && explained_same(a)) {
		jw_sep(w);
		jw_raw(w, explained.text, explained.len);
		return;
	}
	eff = cal_effective(ogid->cal, a->start);
	from = w->len + (w->comma ? 1 : 0); /* past the "," jw writes */
	jw_begin_object(w);
	put_str(w, "rules",
	        a->rules == 2007 ? "2007 Regulations" : "2019 Regulations");
	put_int(w, "base_days", dl_base_days((enum dl_rules)a->rules));
	put_int(w, "max_extension_days",
	        dl_max_extension((enum dl_rules)a->rules));
	put_date(w, "received_on", a->received_on);
	put_date(w, "start", a->start);
	put_str(w, "start_reason",
	        a->cycle > 0 ? "correction received" : "receipt");
	put_date(w, "effective_start", eff);
	if (!fresh && store_clock_list(st, a->id, &cl, &ncl) == -1)
		log_warnx("view: clock list: %s", store_error(st));
	/* json_pack "{s:i, s:s?, s:s, s:s}" */
	key(w, "extensions");
	jw_begin_array(w);
	for (i = 0; i < ncl; i++) {
		const char *at;

		if (cl[i].cycle != a->cycle ||
		    strcmp(cl[i].kind, "extension") != 0)
			continue;
		at = tz_format(cl[i].at, tbuf, sizeof(tbuf));
		if ((cl[i].reason && !str_ok(cl[i].reason)) ||
		    !str_ok(cl[i].actor) || !str_ok(at))
			continue;
		jw_begin_object(w);
		put_int(w, "days", cl[i].days);
		put_str_or_null(w, "reason", cl[i].reason);
		put_str(w, "by", cl[i].actor);
		put_str(w, "at", at);
		jw_end_object(w);
	}
	jw_end_array(w);
	/* json_pack "{s:s, s:o, s:o, s:i, s:s}" */
	key(w, "pauses");
	jw_begin_array(w);
	for (i = 0; i < ncl; i++) {
		if (cl[i].cycle != a->cycle ||
		    strcmp(cl[i].kind, "extension") == 0 ||
		    strcmp(cl[i].kind, "correction") == 0)
			continue;
		days = view_pause_days(&cl[i]);
		if (str_ok(cl[i].kind) && str_ok(cl[i].actor)) {
			jw_begin_object(w);
			put_str(w, "kind", cl[i].kind);
			put_date(w, "from", cl[i].from);
			put_date(w, "to", cl[i].to);
			put_int(w, "days", days);
			put_str(w, "by", cl[i].actor);
			jw_end_object(w);
		}
		paused_days += days;
	}
	jw_end_array(w);
	store_clocks_free(cl, ncl);
	if (a->due_on != DAY_NONE && a->state != ST_CORRECTION) {
		nsk = dl_skipped_days(ogid->cal, eff, a->due_on, sk, 64);
		if (view_due_explained(text, sizeof(text), a, eff, paused_days,
		                       nsk))
			put_str(w, "text", text);
		key(w, "skipped");
		jw_begin_array(w);
		for (i = 0; i < nsk && i < 64; i++)
			jw_string(w, date_format(sk[i], buf));
		jw_end_array(w);
	} else {
		key(w, "skipped");
		jw_begin_array(w);
		jw_end_array(w);
	}
	jw_end_object(w);
	if (fresh)
		explained_keep(a, w->buf + from, w->len - from);
}

static void
deadline_text(struct jw *w, struct store *st, const struct app *a, day_t today,
              bool fresh)
{
	bool running = app_state_running(a->state);
	bool concluded = app_state_terminal(a->state);
	bool paused = app_state_stopped(a->state);
	int paused_days = wf_paused_days(a, ogid->cal);

	jw_begin_object(w);
	key(w, "due_on");
	if (running || concluded)
		date_value(w, a->due_on);
	else
		jw_null(w);
	put_bool(w, "paused", paused);
	if (paused && a->wait != WAIT_NONE) {
		/* json_pack "{s:s, s:o, s:o}": no member if it fails */
		const char *kind = wait_kind_name(a->wait);

		if (str_ok(kind)) {
			key(w, "waiting");
			jw_begin_object(w);
			put_str(w, "kind", kind);
			put_date(w, "from", a->wait_from);
			put_date(w, "last_day", a->wait_last_day);
			jw_end_object(w);
		}
	} else {
		key(w, "waiting");
		jw_null(w);
	}
	put_int(w, "paused_days", paused_days);
	put_int(w, "extension_days", a->extension_days);
	put_workdays(w, a, today);
	put_bool(w, "overdue", view_is_overdue(a, today));
	put_bool(w, "correction_late", a->correction_late);
	key(w, "explain");
	explain_text(w, st, a, fresh);
	jw_end_object(w);
}

/*
 * History events. The stored content is json_dumps(JSON_SORT_KEYS |
 * JSON_COMPACT) text; view.c loads it, deletes "app" (and the applicant's
 * personal data for other roles), appends "seq" and dumps it again. When
 * the text is exactly what jansson would dump for what it parses to (no
 * whitespace, jansson's escapes, canonical numbers, strictly increasing
 * keys so no duplicates), the same result is a copy with those members
 * cut. Anything else takes the jansson path.
 */
struct scan {
	const char *p, *end;
};

static bool scan_value(struct scan *, int depth);

static bool
scan_string(struct scan *sc)
{
	const unsigned char *p = (const unsigned char *)sc->p;
	const unsigned char *end = (const unsigned char *)sc->end;
	size_t k;

	if (p >= end || *p != '"')
		return false;
	p++;
	while (p < end) {
		unsigned c = *p;

		if (c == '"') {
			sc->p = (const char *)p + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			unsigned v;

			if (end - p < 2)
				return false;
			switch (p[1]) {
			case '"':
			case '\\':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u':
				/* only "\u00XX" (upper case) of a control */
				if (end - p < 6 || p[2] != '0' || p[3] != '0' ||
				    (p[4] != '0' && p[4] != '1'))
					return false;
				if (p[5] >= '0' && p[5] <= '9')
					v = p[5] - '0';
				else if (p[5] >= 'A' && p[5] <= 'F')
					v = p[5] - 'A' + 10;
				else
					return false;
				v += (p[4] - '0') * 16u;
				if (v == 0 || v == '\b' || v == '\t' ||
				    v == '\n' || v == '\f' || v == '\r')
					return false;
				p += 6;
				continue;
			default:
				return false;
			}
		}
		if (c >= 0x80) {
			if ((k = jw_utf8_seq(p, (size_t)(end - p))) == 0)
				return false;
			p += k;
			continue;
		}
		p++;
	}
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
scan_number(struct scan *sc)
{
	const char *s = sc->p, *p = s, *end = sc->end;
	bool real = false;
	char buf[40], out[24];
	size_t len;

	if (p < end && *p == '-')
		p++;
	if (p >= end || !is_digit(*p))
		return false;
	if (*p == '0')
		p++;
	else
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		real = true;
		p++;
		if (p >= end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
	}
	len = (size_t)(p - s);
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	if (!real) {
		if (strcmp(buf, "-0") == 0)
			return false;
		(void)strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			return false;
	} else {
		double d = strtod(buf, NULL);
		int n;

		if (errno == ERANGE)
			return false;
		n = jw_dtostr(out, sizeof(out), d);
		if (n < 0 || (size_t)n != len || memcmp(out, buf, len) != 0)
			return false;
	}
	sc->p = p;
	return true;
}

static bool
scan_literal(struct scan *sc, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0)
		return false;
	sc->p += n;
	return true;
}

/* Raw key spans must strictly increase: no duplicate keys. */
static int
keycmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

static bool
scan_object(struct scan *sc, int depth)
{
	const char *prev = NULL, *ks;
	size_t prevlen = 0;

	sc->p++;
	if (sc->p < sc->end && *sc->p == '}') {
		sc->p++;
		return true;
	}
	for (;;) {
		ks = sc->p;
		if (!scan_string(sc))
			return false;
		if (prev &&
		    keycmp(prev, prevlen, ks, (size_t)(sc->p - ks)) >= 0)
			return false;
		prev = ks;
		prevlen = (size_t)(sc->p - ks);
		if (sc->p >= sc->end || *sc->p != ':')
			return false;
		sc->p++;
		if (!scan_value(sc, depth))
			return false;
		if (sc->p >= sc->end)
			return false;
		if (*sc->p++ == '}')
			return true;
		if (sc->p[-1] != ',')
			return false;
	}
}

static bool
scan_array(struct scan *sc, int depth)
{
	sc->p++;
	if (sc->p < sc->end && *sc->p == ']') {
		sc->p++;
		return true;
	}
	for (;;) {
		if (!scan_value(sc, depth))
			return false;
		if (sc->p >= sc->end)
			return false;
		if (*sc->p++ == ']')
			return true;
		if (sc->p[-1] != ',')
			return false;
	}
}

static bool
scan_value(struct scan *sc, int depth)
{
	if (depth > 256 || sc->p >= sc->end)
		return false;
	switch (*sc->p) {
	case '"':
		return scan_string(sc);
	case '{':
		return scan_object(sc, depth + 1);
	case '[':
		return scan_array(sc, depth + 1);
	case 't':
		return scan_literal(sc, "true");
	case 'f':
		return scan_literal(sc, "false");
	case 'n':
		return scan_literal(sc, "null");
	default:
		return scan_number(sc);
	}
}

static bool
keyis(const char *k, size_t n, const char *name)
{
	size_t l = strlen(name);

	return n == l + 2 && memcmp(k + 1, name, l) == 0;
}

static bool
personal_key(const char *k, size_t n)
{
	return keyis(k, n, "id_number") || keyis(k, n, "phone") ||
	       keyis(k, n, "email") || keyis(k, n, "address");
}

/*
 * Copy the object at sc->p to w, validating it. level 0: the event (cut
 * "app", append "seq"); 1: its params; 2: params.applicant (cut personal
 * data). hide: cut personal data.
 */
static bool
copy_object(struct scan *sc, struct jw *w, int level, bool hide, int64_t seq)
{
	const char *prev = NULL, *ks, *vs;
	size_t prevlen = 0, klen;
	bool first = true;

	sc->p++;
	jw_raw(w, "{", 1);
	if (sc->p < sc->end && *sc->p == '}')
		sc->p++;
	else
		for (;;) {
			bool drop = false;
			int sub = 0;

			ks = sc->p;
			if (!scan_string(sc))
				return false;
			klen = (size_t)(sc->p - ks);
			if (prev && keycmp(prev, prevlen, ks, klen) >= 0)
				return false;
			prev = ks;
			prevlen = klen;
			if (sc->p >= sc->end || *sc->p != ':')
				return false;
			vs = ++sc->p;
			if (vs >= sc->end)
				return false;
			if (level == 0 && keyis(ks, klen, "app"))
				drop = true;
			else if (level == 0 && keyis(ks, klen, "seq"))
				return false;
			else if (level == 0 && hide &&
			         keyis(ks, klen, "params") && *vs == '{')
				sub = 1;
			else if (level == 1 && keyis(ks, klen, "applicant") &&
			         *vs == '{')
				sub = 2;
			else if (level == 2 && personal_key(ks, klen))
				drop = true;
			if (drop) {
				if (!scan_value(sc, level + 1))
					return false;
			} else {
				if (!first)
					jw_raw(w, ",", 1);
				first = false;
				jw_raw(w, ks, (size_t)(vs - ks));
				if (sub) {
					if (!copy_object(sc, w, sub, hide, seq))
						return false;
				} else {
					if (!scan_value(sc, level + 1))
						return false;
					jw_raw(w, vs, (size_t)(sc->p - vs));
				}
			}
			if (sc->p >= sc->end)
				return false;
			if (*sc->p++ == '}')
				break;
			if (sc->p[-1] != ',')
				return false;
		}
	if (level == 0) {
		w->comma = !first;
		key(w, "seq");
		jw_int(w, seq);
	}
	jw_raw(w, "}", 1);
	return true;
}

/* The jansson path of view.c history() for one event. */
static void
event_jansson(struct jw *w, const struct store_event *ev, unsigned roles)
{
	json_t *e = json_loads(ev->content, 0, NULL);
	char *s;

	if (e == NULL)
		return;
	json_object_del(e, "app");
	if (!(roles & PERSONAL_ROLES))
		view_hide_personal(e);
	json_object_set_new(e, "seq", json_integer(ev->seq));
	s = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (s == NULL)
		return;
	jw_sep(w);
	jw_raw(w, s, strlen(s));
	free(s);
}

/*
 * An event ogid has just written (given: app.submit's first), seen by a
 * role that sees personal data: its text is history_text's
 * (daemon/methods.c), {"actor":..,"app":..,"at":.., ..}, so its view is
 * that text without the "app" member and with "seq" last, copied in
 * three pieces instead of scanned member by member (copy_object, ~8k
 * instructions a submit). false, with nothing written, for any other
 * shape.
 */
static bool
fresh_event(struct jw *w, const struct store_event *ev)
{
	static const char actor[] = "{\"actor\":", app[] = ",\"app\":";
	const char *c = ev->content, *end = c + strlen(c), *a, *rest;
	struct scan sc = { c + sizeof(actor) - 1, end };

	if (end - c < 2 || end[-1] != '}' ||
	    strncmp(c, actor, sizeof(actor) - 1) != 0 || !scan_string(&sc))
		return false;
	a = sc.p;
	sc.p = a + sizeof(app) - 1;
	if (strncmp(a, app, sizeof(app) - 1) != 0 || !scan_string(&sc) ||
	    *(rest = sc.p) != ',')
		return false;
	jw_sep(w);
	jw_raw(w, c, (size_t)(a - c));
	jw_raw(w, rest, (size_t)(end - 1 - rest));
	w->comma = true;
	key(w, "seq");
	jw_int(w, ev->seq);
	jw_raw(w, "}", 1);
	return true;
}

/* The history: the events given (all of them), or else those in st. */
static void
history_text(struct jw *w, struct store *st, const struct app *a,
             unsigned roles, const struct store_event *given, size_t ngiven)
{
	struct store_event *read = NULL;
	const struct store_event *ev = given;
	size_t n = ngiven, i;

	jw_begin_array(w);
	if (given == NULL) {
		if (store_event_texts(st, a->id, &read, &n) == -1) {
			log_warnx("view: history: %s", store_error(st));
			jw_end_array(w);
			return;
		}
		ev = read;
	}
	for (i = 0; i < n; i++) {
		struct scan sc;
		size_t mark = w->len;
		bool comma = w->comma;

		if (given != NULL && (roles & PERSONAL_ROLES) &&
		    fresh_event(w, &ev[i]))
			continue;
		sc.p = ev[i].content;
		sc.end = sc.p + strlen(sc.p);
		jw_sep(w);
		if (sc.p < sc.end && *sc.p == '{' &&
		    copy_object(&sc, w, 0, !(roles & PERSONAL_ROLES),
		                ev[i].seq) &&
		    sc.p == sc.end)
			continue;
		w->len = mark;
		w->comma = comma;
		event_jansson(w, &ev[i], roles);
	}
	if (read != NULL)
		store_events_free(read, n);
	jw_end_array(w);
}

static void
appeals_text(struct jw *w, struct store *st, const struct app *a, bool fresh)
{
	struct store_appeal *ap;
	size_t n, i;

	jw_begin_array(w);
	if (fresh || store_appeals_for(st, a->id, &ap, &n) == -1) {
		jw_end_array(w);
		return;
	}
	for (i = 0; i < n; i++) {
		/* json_pack "{s:i, s:s, s:o, s:s, s:o}" */
		const char *kind = appeal_kind_name(ap[i].kind);
		const char *result = appeal_result_name(ap[i].result);

		if (!str_ok(kind) || !str_ok(result))
			continue;
		jw_begin_object(w);
		put_int(w, "appeal", ap[i].n);
		put_str(w, "kind", kind);
		put_date(w, "filed_on", ap[i].filed_on);
		put_str(w, "result", result);
		put_date(w, "decided_on", ap[i].decided_on);
		jw_end_object(w);
	}
	free(ap);
	jw_end_array(w);
}

static void
app_text(struct jw *w, struct store *st, const struct app *a, day_t today,
         unsigned roles, bool fresh, const struct store_event *hist,
         size_t nhist)
{
	char buf[40];

	jw_begin_object(w);
	put_str(w, "id", a->id);
	put_str(w, "state", app_state_name(a->state));
	key(w, "applicant");
	applicant_text(w, a, roles);
	put_str(w, "channel", app_channel_name(a->channel));
	put_date(w, "received_on", a->received_on);
	put_str(w, "description", a->description);
	put_name_or_null(w, "form", a->form == FORM_NONE,
	                 app_form_name(a->form));
	put_name_or_null(w, "delivery", a->delivery == DLV_NONE,
	                 app_delivery_name(a->delivery));
	put_str_or_null(w, "client_ref", a->client_ref);
	put_str_or_null(w, "assignee", a->assignee);
	put_name_or_null(w, "outcome", a->outcome == OC_NONE,
	                 outcome_name(a->outcome));
	put_str_or_null(w, "proposed_by", a->proposer);
	put_int(w, "version", a->version);
	put_int(w, "rules", a->rules);
	put_date(w, "replied_on", a->replied_on);
	put_date(w, "concluded_on", a->concluded_on);
	if (a->fee_fen > 0) {
		char b[24];
		int n = jw_dtostr(b, sizeof(b), (double)a->fee_fen / 100.0);

		if (n >= 0) {
			key(w, "fee_yuan");
			jw_sep(w);
			jw_raw(w, b, (size_t)n);
		}
	}
	put_str(w, "created_at", tz_format(a->created_at, buf, sizeof(buf)));
	put_str(w, "updated_at", tz_format(a->updated_at, buf, sizeof(buf)));
	key(w, "deadline");
	deadline_text(w, st, a, today, fresh);
	key(w, "history");
	history_text(w, st, a, roles, hist, nhist);
	key(w, "appeals");
	appeals_text(w, st, a, fresh);
	jw_end_object(w);
}

/* OGID_VIEW_CHECK: the jansson rendering must be the same bytes. */
static void
view_check(struct store *st, const struct app *a, day_t today, unsigned roles,
           const char *text, size_t len)
{
	json_t *v = view_app(st, a, today, roles);
	char *ref = json_dumps(v, JSON_COMPACT);
	size_t rlen, d, from;

	json_decref(v);
	if (ref == NULL) {
		log_warnx("view check %s: json_dumps failed", a->id);
		abort();
	}
	rlen = strlen(ref);
	if (rlen == len && memcmp(ref, text, len) == 0) {
		free(ref);
		return;
	}
	for (d = 0; d < len && d < rlen && text[d] == ref[d]; d++)
		;
	from = d > 150 ? d - 150 : 0;
	log_warnx("view check %s: differs at byte %zu (text %zu bytes,"
	          " jansson %zu bytes)",
	          a->id, d, len, rlen);
	log_warnx("text:    %.300s", text + from);
	log_warnx("jansson: %.300s", ref + from);
	free(ref);
	abort();
}

/*
 * The text is written into one buffer kept from one rendering to the next:
 * a new one for each grew by realloc from 1 to 2 KiB and, past glibc's
 * small sizes, made it consolidate its free lists every time. One that
 * grew past RENDER_KEEP (a long history) is given back at the next call.
 */
#define RENDER_KEEP (64 * 1024)
static struct jw render_buf;

static const char *
render(struct store *st, const struct app *a, day_t today, unsigned roles,
       bool fresh, const struct store_event *hist, size_t nhist, size_t *len)
{
	static int check = -1;
	const char *text;
	size_t n;

	if (check == -1) {
		const char *e = getenv("OGID_VIEW_CHECK");

		check = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
	}
	if (render_buf.cap > RENDER_KEEP)
		jw_free(&render_buf);
	jw_clear(&render_buf);
	render_fresh = fresh;
	app_text(&render_buf, st, a, today, roles, fresh, hist, nhist);
	render_fresh = false;
	text = jw_contents(&render_buf, &n);
	if (check)
		view_check(st, a, today, roles, text, n);
	if (len)
		*len = n;
	return text;
}

const char *
view_app_text(struct store *st, const struct app *a, day_t today,
              unsigned roles, size_t *len)
{
	return render(st, a, today, roles, false, NULL, 0, len);
}

const char *
view_submitted_text(struct store *st, const struct app *a, day_t today,
                    unsigned roles, const struct store_event *ev, size_t *len)
{
	return render(st, a, today, roles, true, ev, ev != NULL ? 1 : 0, len);
}

void
view_text_free(void)
{
	jw_free(&render_buf);
	free(explained.text);
	memset(&explained, 0, sizeof(explained));
}
