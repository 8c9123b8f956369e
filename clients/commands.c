/*
 * The commands of SPEC section 9, one function each: build the params,
 * call, print the result for people (or raw with --json).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "../lib/calendar.h"
#include "../lib/date.h"
#include "../lib/xmalloc.h"
#include "ogi.h"

#define PAGE_LIMIT 500 /* app.list's largest page */
#define LABEL_COLS 18  /* label column of `show` */

static const char *const weekday_names[] = { "",    "Mon", "Tue", "Wed",
	                                     "Thu", "Fri", "Sat", "Sun" };

/* --json, or the readable form. */
static int
done(struct ctx *ctx, json_t *result, void (*print)(const json_t *))
{
	if (ctx->json || print == NULL)
		ctx_print_json(result);
	else
		print(result);
	json_decref(result);
	return EXIT_DONE;
}

/*
 * "label:" padded, then the value; its lines are indented under the first
 * and wrapped to fit 80 columns (at spaces, and anywhere in Chinese).
 */
static void
kv(int indent, const char *label, const char *value)
{
	char *clean;
	int pad;

	clean = out_clean(label, false);
	pad = LABEL_COLS - indent - out_width(clean) - 1;
	printf("%*s%s:%*s ", indent, "", clean, pad > 0 ? pad : 0, "");
	free(clean);
	clean = out_clean(value != NULL ? value : "", true);
	out_wrap(stdout, clean, LABEL_COLS + 1, 80 - LABEL_COLS - 1);
	putchar('\n');
	free(clean);
}

/* An id as positional argument: "2026-000042"; the server judges it. */
static json_t *
params_id(const struct args *a)
{
	return json_pack("{s:s}", "id", a->pos[0]);
}

/* The applicant's name of an application or a summary. */
static const char *
applicant_name(const json_t *app)
{
	const json_t *ap = json_object_get(app, "applicant");
	const char *n;

	if (json_is_string(ap))
		return json_string_value(ap);
	if ((n = js(ap, "name")) != NULL)
		return n;
	return js_any(app, "applicant_name", "name", NULL);
}

/* The deadline object: app.get's "deadline", or the summary itself. */
static const json_t *
deadline_of(const json_t *app)
{
	const json_t *d = json_object_get(app, "deadline");

	return json_is_object(d) ? d : app;
}

static bool
state_concluded(const char *state)
{
	return state != NULL && (strcmp(state, "replied") == 0 ||
	                         strcmp(state, "withdrawn") == 0);
}

/* States in which the answer clock is stopped (SPEC section 2). */
static bool
state_paused(const char *state)
{
	return state != NULL && (strcmp(state, "correction") == 0 ||
	                         strcmp(state, "consultation") == 0 ||
	                         strcmp(state, "fee") == 0);
}

static const char *
wait_kind_text(const char *kind)
{
	if (kind == NULL)
		return "the applicant";
	if (strcmp(kind, "correction") == 0)
		return "the correction";
	if (strcmp(kind, "consultation") == 0)
		return "the third party's opinion";
	if (strcmp(kind, "fee") == 0)
		return "the fee";
	return kind;
}

/* One line on where the answer clock stands; allocated. */
static char *
deadline_summary(const json_t *app)
{
	const json_t *dl = deadline_of(app), *waiting, *rem;
	const char *due, *state = js(app, "state"), *last;
	json_int_t r;

	due = js(dl, "due_on");
	rem = json_object_get(dl, "remaining_workdays");
	if (state_concluded(state))
		return due != NULL ? xasprintf("concluded (was due %s)", due)
		                   : xstrdup("concluded");
	if (jbool(dl, "paused") || (due == NULL && state != NULL)) {
		waiting = json_object_get(dl, "waiting");
		last = js(waiting, "last_day");
		if (last != NULL)
			return xasprintf("clock paused: waiting for %s until "
			                 "%s",
			                 wait_kind_text(js(waiting, "kind")),
			                 last);
		return xstrdup("clock paused");
	}
	if (due == NULL)
		return xstrdup("no due date");
	r = json_is_integer(rem) ? json_integer_value(rem) : 0;
	if (jbool(dl, "overdue") || r < 0) {
		r = json_is_integer(json_object_get(dl, "overdue_workdays"))
		        ? jint(dl, "overdue_workdays", 0)
		        : -r;
		return xasprintf("OVERDUE: was due %s, %" JSON_INTEGER_FORMAT
		                 " working day%s late",
		                 due, r, r == 1 ? "" : "s");
	}
	if (!json_is_integer(rem))
		return xasprintf("due %s", due);
	if (r == 0)
		return xasprintf("due %s, today is the last working day", due);
	return xasprintf("due %s, %" JSON_INTEGER_FORMAT " working day%s left",
	                 due, r, r == 1 ? "" : "s");
}

/* "2026-01-05T09:30:00+08:00" as "2026-01-05 09:30"; allocated. */
static char *
time_text(const json_t *v)
{
	const char *s = json_string_value(v);
	char buf[32];
	time_t t;
	struct tm tm;

	if (json_is_integer(v)) {
		t = (time_t)json_integer_value(v);
		if (localtime_r(&t, &tm) != NULL &&
		    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) > 0)
			return xstrdup(buf);
	}
	if (s != NULL && strlen(s) >= 16 && s[10] == 'T')
		return xasprintf("%.10s %.5s", s, s + 11);
	return jtext(v);
}

/* "effective_start" as "Effective start"; allocated. */
static char *
humanize(const char *key)
{
	static const char *const labels[][2] = {
		{ "text", "Computation" },
		{ "skipped", "Days skipped" },
		{ "max_extension_days", "Max extension" },
		{ "base_days", "Working days" },
	};
	char *s, *p;
	size_t i;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strcmp(key, labels[i][0]) == 0)
			return xstrdup(labels[i][1]);
	s = xstrdup(key);
	for (p = s; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

/* An object on one line: "k: v, k: v" (nested values as JSON). */
static char *
inline_object(const json_t *obj)
{
	const char *key;
	json_t *v;
	char *s = xstrdup(""), *t, *val;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (json_is_null(v))
			val = xstrdup("-");
		else if (json_is_object(v) || json_is_array(v))
			val = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		else
			val = jtext(v);
		t = xasprintf("%s%s%s: %s", s, s[0] != '\0' ? ", " : "", key,
		              val != NULL ? val : "");
		free(val);
		free(s);
		s = t;
	}
	return s;
}

/* Print any JSON value under a label, for `explain` and the like. */
static void
print_value(int indent, const char *key, const json_t *v)
{
	char *label = humanize(key), *s, *t;
	const char *k;
	json_t *e;
	size_t i;
	bool scalars = true;

	if (json_is_object(v)) {
		printf("%*s%s:\n", indent, "", label);
		json_object_foreach((json_t *)v, k, e)
		    print_value(indent + 2, k, e);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (json_is_object(e) || json_is_array(e))
				scalars = false;
		}
		if (json_array_size(v) == 0)
			kv(indent, label, "none");
		else if (scalars) {
			s = xstrdup("");
			json_array_foreach(v, i, e)
			{
				char *et = jtext(e);

				t = xasprintf("%s%s%s", s, i > 0 ? ", " : "",
				              et);
				free(et);
				free(s);
				s = t;
			}
			kv(indent, label, s);
			free(s);
		} else {
			printf("%*s%s:\n", indent, "", label);
			json_array_foreach(v, i, e)
			{
				s = json_is_object(e)
				        ? inline_object(e)
				        : json_dumps(e, JSON_COMPACT |
				                            JSON_ENCODE_ANY);
				t = out_clean(s != NULL ? s : "", false);
				printf("%*s- %s\n", indent + 2, "", t);
				free(t);
				free(s);
			}
		}
	} else {
		s = jtext(v);
		kv(indent, label, s);
		free(s);
	}
	free(label);
}

static void
print_deadline(const json_t *app)
{
	static const char *const shown[] = {
		"due_on",         "paused",
		"waiting",        "remaining_workdays",
		"overdue",        "overdue_workdays",
		"explain",        "paused_days",
		"extension_days", "correction_late",
	};
	const json_t *dl = json_object_get(app, "deadline"), *v;
	const char *key;
	json_t *e;
	char *s;
	size_t i;

	s = deadline_summary(app);
	printf("\n");
	kv(0, "Deadline", s);
	free(s);
	if (!json_is_object(dl))
		return;
	if (json_is_integer(v = json_object_get(dl, "extension_days"))) {
		s = xasprintf("%" JSON_INTEGER_FORMAT " working days",
		              json_integer_value(v));
		kv(2, "Extension", s);
		free(s);
	}
	if (json_is_integer(v = json_object_get(dl, "paused_days"))) {
		s = xasprintf("%" JSON_INTEGER_FORMAT " working days",
		              json_integer_value(v));
		kv(2, "Paused", s);
		free(s);
	}
	json_object_foreach((json_t *)dl, key, v)
	{
		for (i = 0; i < sizeof shown / sizeof shown[0]; i++)
			if (strcmp(key, shown[i]) == 0)
				break;
		if (i == sizeof shown / sizeof shown[0])
			print_value(2, key, v);
	}
	if ((v = json_object_get(dl, "explain")) != NULL) {
		if (json_is_object(v)) {
			json_object_foreach((json_t *)v, key, e)
			    print_value(2, key, e);
		} else
			print_value(2, "explain", v);
	}
}

/* A history event's states before and after (SPEC section 6). */
static const char *
event_from(const json_t *ev)
{
	return js_any(ev, "from", "from_state", "state_before", NULL);
}

static const char *
event_to(const json_t *ev)
{
	return js_any(ev, "to", "to_state", "state_after", NULL);
}

/* One history event's parameters, but the id, on one line. */
static char *
history_detail(const json_t *params)
{
	json_t *copy;
	char *s;

	if (!json_is_object(params))
		return xstrdup("");
	copy = json_deep_copy(params);
	json_object_del(copy, "id");
	json_object_del(copy, "version");
	s = inline_object(copy);
	json_decref(copy);
	return s;
}

static void
print_history(const json_t *history)
{
	struct table *t;
	const char *from, *to;
	json_t *ev;
	char *s;
	size_t i;

	if (!json_is_array(history) || json_array_size(history) == 0)
		return;
	printf("\nHistory:\n");
	t = table_with("TIME", "ACTOR", "METHOD", "CHANGE", "DETAIL", NULL);
	json_array_foreach(history, i, ev)
	{
		s = time_text(json_object_get(ev, "at") != NULL
		                  ? json_object_get(ev, "at")
		                  : json_object_get(ev, "time"));
		table_add(t, s);
		free(s);
		table_add(t, js_any(ev, "actor", "user", NULL));
		table_add(t, js_any(ev, "method", "event", "type", NULL));
		from = event_from(ev);
		to = event_to(ev);
		if (from != NULL && to != NULL && strcmp(from, to) != 0)
			table_addf(t, "%s→%s", from, to);
		else if (from == NULL && to != NULL)
			table_addf(t, "→%s", to);
		else
			table_add(t, to != NULL ? to : "");
		s = history_detail(json_object_get(ev, "params"));
		{
			char *cut = out_cut(s, 60);

			table_add(t, cut);
			free(cut);
		}
		free(s);
	}
	table_print(t, stdout, 2);
	table_free(t);
}

static void
print_appeals(const json_t *appeals)
{
	struct table *t;
	json_t *ap;
	size_t i;

	if (!json_is_array(appeals) || json_array_size(appeals) == 0)
		return;
	printf("\nAppeals:\n");
	t = table_with("N", "KIND", "FILED", "RESULT", "DECIDED", NULL);
	json_array_foreach(appeals, i, ap)
	{
		char *n = jtext(json_object_get(ap, "appeal"));

		table_add(t, n);
		free(n);
		table_add(t, js(ap, "kind"));
		table_add(t, js(ap, "filed_on"));
		table_add(t, js(ap, "result"));
		table_add(t, js(ap, "decided_on"));
	}
	table_print(t, stdout, 2);
	table_free(t);
}

static const char *
kind_text(const json_t *ap)
{
	const char *kind = js(ap, "kind");

	if (kind != NULL && strcmp(kind, "natural_person") == 0)
		return "natural person";
	return kind;
}

static void
print_app(const json_t *app)
{
	const json_t *ap = json_object_get(app, "applicant");
	const char *s, *cat, *outcome;
	char *line, *zh;

	printf("%s  %s", js(app, "id") != NULL ? js(app, "id") : "?",
	       js(app, "state") != NULL ? js(app, "state") : "?");
	if (json_is_integer(json_object_get(app, "version")))
		printf("  (version %" JSON_INTEGER_FORMAT ")",
		       jint(app, "version", 0));
	printf("\n\n");
	cat = js(ap, "category");
	line = xasprintf("%s (%s%s%s)",
	                 applicant_name(app) != NULL ? applicant_name(app) : "",
	                 kind_text(ap) != NULL ? kind_text(ap) : "?",
	                 cat != NULL ? ", " : "", cat != NULL ? cat : "");
	kv(0, "Applicant", line);
	free(line);
	if ((s = js(ap, "id_number")) != NULL)
		kv(2, "ID number", s);
	if ((s = js(ap, "phone")) != NULL)
		kv(2, "Phone", s);
	if ((s = js(ap, "email")) != NULL)
		kv(2, "E-mail", s);
	if ((s = js(ap, "address")) != NULL)
		kv(2, "Address", s);
	kv(0, "Received", js(app, "received_on"));
	kv(0, "Channel", js(app, "channel"));
	if ((s = js(app, "form")) != NULL)
		kv(0, "Form", s);
	if ((s = js(app, "delivery")) != NULL)
		kv(0, "Delivery", s);
	if ((s = js(app, "client_ref")) != NULL)
		kv(0, "Client ref", s);
	s = js(app, "assignee");
	kv(0, "Assignee", s != NULL ? s : "(not assigned)");
	if ((outcome = js(app, "outcome")) != NULL) {
		zh = report_outcome_text(outcome);
		line = zh != NULL ? xasprintf("%s  %s", outcome, zh)
		                  : xstrdup(outcome);
		kv(0, "Outcome", line);
		free(line);
		free(zh);
		if ((s = js(app, "proposed_by")) != NULL)
			kv(2, "Proposed by", s);
	}
	if ((s = js(app, "replied_on")) != NULL)
		kv(0, "Replied", s);
	if (json_is_number(json_object_get(app, "fee_yuan"))) {
		line = xasprintf("%.2f yuan", json_number_value(json_object_get(
		                                  app, "fee_yuan")));
		kv(0, "Fee", line);
		free(line);
	}
	if ((s = js(app, "concluded_on")) != NULL)
		kv(0, "Concluded", s);
	if (jbool(app, "correction_late") ||
	    jbool(json_object_get(app, "deadline"), "correction_late"))
		kv(0, "Correction",
		   "notice sent late (Art. 30: 7 working days)");
	kv(0, "Description", js(app, "description"));
	print_deadline(app);
	print_appeals(json_object_get(app, "appeals"));
	print_history(json_object_get(app, "history"));
}

/* After a transition: "ID: from→to; due ..." */
static void
print_transition(const json_t *app)
{
	const json_t *hist = json_object_get(app, "history"), *last;
	const char *from = NULL, *to, *state = js(app, "state");
	char *dl;

	last = json_array_get(hist, json_array_size(hist) - 1);
	to = event_to(last);
	if (to != NULL && state != NULL && strcmp(to, state) == 0)
		from = event_from(last);
	printf("%s: ", js(app, "id") != NULL ? js(app, "id") : "?");
	if (from != NULL && strcmp(from, state) != 0)
		printf("%s → %s", from, state);
	else
		printf("%s", state != NULL ? state : "?");
	if (js(app, "assignee") != NULL)
		printf(" (assignee %s)", js(app, "assignee"));
	dl = deadline_summary(app);
	printf("; %s\n", dl);
	free(dl);
}

/* Run a transition: add --if-version, call, print the application. */
static int
transition(struct ctx *ctx, const struct args *a, const char *method,
           json_t *params)
{
	json_t *result;
	int r;

	if (arg_opt(a, "if-version") != NULL &&
	    arg_put(ctx, a, params, "if-version", "version") != 0) {
		json_decref(params);
		return EXIT_USAGE;
	}
	if ((r = ctx_call(ctx, method, params, &result)) != 0)
		return r;
	if (!json_is_object(result) || js(result, "id") == NULL)
		return done(ctx, result, NULL);
	return done(ctx, result, print_transition);
}

/* Add options to params; on a usage error free params. */
static int
put_opts(struct ctx *ctx, const struct args *a, json_t *params,
         const char *const *pairs)
{
	for (; pairs[0] != NULL; pairs += 2) {
		if (arg_put(ctx, a, params, pairs[0], pairs[1]) != 0) {
			json_decref(params);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* A positional string into params; usage error if not UTF-8. */
static int
put_pos(struct ctx *ctx, json_t *params, const char *key, const char *v)
{
	json_t *j = json_string(v);

	if (j == NULL) {
		json_decref(params);
		return ctx_usage(ctx, "%s: not valid UTF-8", key);
	}
	json_object_set_new(params, key, j);
	return 0;
}

/*
 * A transition whose parameters are the id and the command's options, each
 * under the name its optspec gives (param).
 */
int
cmd_transition(struct ctx *ctx, struct args *a)
{
	const struct optspec *o;
	json_t *params = params_id(a);

	for (o = ctx->cmd->opts; o != NULL && o->name != NULL; o++) {
		if (o->param != NULL &&
		    arg_put(ctx, a, params, o->name, o->param) != 0) {
			json_decref(params);
			return EXIT_USAGE;
		}
	}
	return transition(ctx, a, ctx->cmd->method, params);
}

int
cmd_submit(struct ctx *ctx, struct args *a)
{
	static const char *const top[] = {
		"channel",     "channel",     "received", "received_on",
		"description", "description", "form",     "form",
		"delivery",    "delivery",    "ref",      "client_ref",
		NULL
	};
	static const char *const who[] = { "name",     "name",      "org",
		                           "category", "id-number", "id_number",
		                           "phone",    "phone",     "email",
		                           "email",    "address",   "address",
		                           NULL };
	json_t *params, *applicant, *result;
	const char *due;
	int r;

	applicant = json_pack("{s:s}", "kind",
	                      arg_opt(a, "org") != NULL ? "organization"
	                                                : "natural_person");
	if ((r = put_opts(ctx, a, applicant, who)) != 0)
		return r;
	params = json_pack("{s:o}", "applicant", applicant);
	if ((r = put_opts(ctx, a, params, top)) != 0)
		return r;
	if ((r = ctx_call(ctx, "app.submit", params, &result)) != 0)
		return r;
	if (ctx->json)
		return done(ctx, result, NULL);
	/* The new id, alone when captured (ID=$(ogi submit ...)); on a
	 * terminal its due date follows. */
	printf("%s\n", js(result, "id") != NULL ? js(result, "id") : "?");
	due = js(deadline_of(result), "due_on");
	if (due != NULL && isatty(STDOUT_FILENO))
		printf("due %s\n", due);
	json_decref(result);
	return EXIT_DONE;
}

int
cmd_show(struct ctx *ctx, struct args *a)
{
	json_t *result;
	int r;

	if ((r = ctx_call(ctx, "app.get", params_id(a), &result)) != 0)
		return r;
	return done(ctx, result, print_app);
}

static const char *
channel_zh(const char *channel)
{
	static const char *const names[][2] = {
		{ "in_person", "当面提交" }, { "mail", "邮寄" },
		{ "online", "网络" },        { "fax", "传真" },
		{ "other", "其他" },
	};
	size_t i;

	for (i = 0; channel != NULL && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i][0], channel) == 0)
			return names[i][1];
	return channel != NULL ? channel : "";
}

static const char *
wait_kind_zh(const char *kind)
{
	if (kind != NULL && strcmp(kind, "correction") == 0)
		return "等待申请人补正";
	if (kind != NULL && strcmp(kind, "consultation") == 0)
		return "征求第三方意见";
	if (kind != NULL && strcmp(kind, "fee") == 0)
		return "等待缴纳信息处理费";
	return "暂停";
}

/* 受理回执: what the applicant takes home. */
static void
print_receipt(const json_t *app)
{
	const json_t *dl = deadline_of(app), *explain;
	const char *recv = js(app, "received_on"), *due = js(dl, "due_on");
	const char *start, *eff, *name = applicant_name(app);
	day_t d;
	bool old_rules = false;
	char *desc, *p, *nl;

	if (recv != NULL && date_parse(recv, &d) == 0)
		old_rules = d < date_from_ymd(2019, 5, 15);
	explain = json_object_get(dl, "explain");
	start = js(explain, "start");
	eff = js(explain, "effective_start");

	printf("政府信息公开申请受理回执\n\n");
	printf("申请编号：%s\n", js(app, "id") != NULL ? js(app, "id") : "");
	desc = out_clean(name != NULL ? name : "", false);
	printf("申 请 人：%s\n", desc);
	free(desc);
	printf("收到日期：%s（%s）\n", recv != NULL ? recv : "",
	       channel_zh(js(app, "channel")));
	if (start != NULL && recv != NULL && strcmp(start, recv) != 0) {
		printf("补正日期：%s，答复期限自该日重新计算\n", start);
		recv = start;
	}
	if (eff != NULL && recv != NULL && strcmp(eff, recv) != 0)
		printf("          %s 为非工作日，自 %s 起算\n", recv, eff);
	desc = out_clean(
	    js(app, "description") != NULL ? js(app, "description") : "", true);
	printf("申请内容：");
	for (p = desc; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		printf("%.*s\n          ", (int)(nl - p), p);
	printf("%s\n", p);
	free(desc);
	if (due != NULL)
		printf("答复期限：%s（含当日）\n", due);
	else
		printf(
		    "答复期限：暂停计算（%s）\n",
		    wait_kind_zh(js(json_object_get(dl, "waiting"), "kind")));
	printf("\n");
	if (old_rules)
		printf(
		    "依据《中华人民共和国政府信息公开条例》（2007年）第二十四"
		    "条，\n本机关自收到申请之日起15个工作日内予以答复；"
		    "如需延长答复期限，\n将告知申请人，延长答复的期限最长不"
		    "超过15个工作日。\n");
	else
		printf("依据《中华人民共和国政府信息公开条例》第三十三条，\n"
		       "本机关自收到申请之日起20个工作日内予以答复；如需延长答"
		       "复期限，\n将告知申请人，延长的期限最长不得超过20个工作"
		       "日。\n");
	printf("征求第三方和其他机关意见所需时间不计算在上述期限内。\n\n");
	printf("受理机关（盖章）：\n经办人：\n");
}

int
cmd_receipt(struct ctx *ctx, struct args *a)
{
	json_t *result;
	int r;

	if ((r = ctx_call(ctx, "app.get", params_id(a), &result)) != 0)
		return r;
	return done(ctx, result, print_receipt);
}

/*
 * Call a paged method until `next` is null; *items gets every item (new
 * reference). params is stolen.
 */
static int
fetch_all(struct ctx *ctx, const char *method, json_t *params, json_t **items)
{
	json_t *result, *next, *page, *prev = NULL;
	int r;

	*items = json_array();
	for (;;) {
		json_object_set_new(params, "limit", json_integer(PAGE_LIMIT));
		if ((r = ctx_call(ctx, method, json_incref(params), &result)) !=
		    0)
			break;
		page = json_object_get(result, "items");
		if (!json_is_array(page)) {
			fprintf(stderr, "ogi: %s: the answer has no items\n",
			        method);
			json_decref(result);
			r = EXIT_USAGE;
			break;
		}
		json_array_extend(*items, page);
		next = json_object_get(result, "next");
		if (next == NULL || json_is_null(next) ||
		    json_array_size(page) == 0) {
			json_decref(result);
			break;
		}
		if (prev != NULL && json_equal(prev, next)) {
			fprintf(stderr,
			        "ogi: %s: the server repeated a "
			        "cursor; stopping\n",
			        method);
			json_decref(result);
			break;
		}
		json_decref(prev);
		prev = json_incref(next);
		json_object_set(params, "after", next);
		json_decref(result);
	}
	json_decref(prev);
	json_decref(params);
	if (r != 0) {
		json_decref(*items);
		*items = NULL;
	}
	return r;
}

/* {items, next: null}: every page as one result for --json. */
static int
print_items_json(json_t *items)
{
	json_t *all = json_pack("{s:o, s:n}", "items", items, "next");

	ctx_print_json(all);
	json_decref(all);
	return EXIT_DONE;
}

static void
add_due_cell(struct table *t, const json_t *item)
{
	const json_t *dl = deadline_of(item);
	const char *due = js(dl, "due_on");

	if (due == NULL &&
	    (jbool(dl, "paused") || state_paused(js(item, "state"))))
		table_add(t, "paused");
	else if (due == NULL)
		table_add(t, "-");
	else if (jbool(dl, "overdue") && !state_concluded(js(item, "state")))
		table_addf(t, "%s overdue", due);
	else
		table_add(t, due);
}

static void
add_text_cell(struct table *t, const char *s, int cols)
{
	char *cut = out_cut(s != NULL ? s : "", cols);

	table_add(t, cut);
	free(cut);
}

/* Remaining or overdue working days of an item, as text. */
static void
add_int_cell(struct table *t, const json_t *item, const char *key)
{
	const json_t *v = json_object_get(item, key);

	if (v == NULL)
		v = json_object_get(deadline_of(item), key);
	if (json_is_integer(v))
		table_addf(t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		table_add(t, "");
}

static void
print_count(size_t n)
{
	printf("%zu application%s\n", n, n == 1 ? "" : "s");
}

int
cmd_list(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = {
		"state",  "state",       "assignee", "assignee",
		"search", "q",           "from",     "received_from",
		"to",     "received_to", "overdue",  "overdue",
		NULL
	};
	struct table *t;
	json_t *params = json_object(), *items, *it;
	size_t i;
	int r;

	if ((r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	if ((r = fetch_all(ctx, "app.list", params, &items)) != 0)
		return r;
	if (ctx->json)
		return print_items_json(items);
	if (json_array_size(items) == 0) {
		printf("no applications\n");
		json_decref(items);
		return EXIT_DONE;
	}
	t = table_with("ID", "RECEIVED", "STATE", "DUE", "ASSIGNEE",
	               "APPLICANT", "DESCRIPTION", NULL);
	json_array_foreach(items, i, it)
	{
		table_add(t, js(it, "id"));
		table_add(t, js(it, "received_on"));
		table_add(t, js(it, "state"));
		add_due_cell(t, it);
		table_add(t, js(it, "assignee") != NULL ? js(it, "assignee")
		                                        : "-");
		add_text_cell(t, applicant_name(it), 20);
		add_text_cell(t, js(it, "description"), 30);
	}
	table_print(t, stdout, 0);
	table_free(t);
	print_count(json_array_size(items));
	json_decref(items);
	return EXIT_DONE;
}

/* overdue and due-soon: the same table but one column. */
static int
deadline_list(struct ctx *ctx, const char *method, json_t *params,
              const char *col, const char *key, const char *none)
{
	struct table *t;
	json_t *items, *it;
	size_t i;
	int r;

	if ((r = fetch_all(ctx, method, params, &items)) != 0)
		return r;
	if (ctx->json)
		return print_items_json(items);
	if (json_array_size(items) == 0) {
		printf("%s\n", none);
		json_decref(items);
		return EXIT_DONE;
	}
	t = table_with("ID", "DUE", col, "STATE", "ASSIGNEE", "APPLICANT",
	               NULL);
	table_align_right(t, 2);
	json_array_foreach(items, i, it)
	{
		table_add(t, js(it, "id"));
		table_add(t, js(deadline_of(it), "due_on"));
		add_int_cell(t, it, key);
		table_add(t, js(it, "state"));
		table_add(t, js(it, "assignee") != NULL ? js(it, "assignee")
		                                        : "-");
		add_text_cell(t, applicant_name(it), 24);
	}
	table_print(t, stdout, 0);
	table_free(t);
	print_count(json_array_size(items));
	json_decref(items);
	return EXIT_DONE;
}

int
cmd_overdue(struct ctx *ctx, struct args *a)
{
	return deadline_list(ctx, "deadline.overdue", json_object(), "LATE",
	                     "overdue_workdays", "nothing is overdue");
}

int
cmd_due_soon(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = { "within", "within_days", NULL };
	json_t *params = json_object();
	int r;

	if ((r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	return deadline_list(ctx, "deadline.due_soon", params, "LEFT",
	                     "remaining_workdays", "nothing is due soon");
}

int
cmd_assign(struct ctx *ctx, struct args *a)
{
	json_t *params = params_id(a);
	int r;

	if ((r = put_pos(ctx, params, "reviewer", a->pos[1])) != 0)
		return r;
	return transition(ctx, a, "app.assign", params);
}

int
cmd_review(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = { "note", "note", NULL };
	json_t *params = params_id(a);
	int r;

	if ((r = put_pos(ctx, params, "outcome", a->pos[1])) != 0 ||
	    (r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	return transition(ctx, a, "app.review", params);
}

int
cmd_secrecy(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = { "note", "note", NULL };
	json_t *params = params_id(a);
	int r;

	if (strcmp(a->pos[1], "pass") != 0 && strcmp(a->pos[1], "fail") != 0) {
		json_decref(params);
		return ctx_usage(ctx, "expected pass or fail, not %s",
		                 a->pos[1]);
	}
	if ((r = put_pos(ctx, params, "result", a->pos[1])) != 0 ||
	    (r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	return transition(ctx, a, "app.secrecy", params);
}

int
cmd_extend(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = { "reason", "reason", NULL };
	json_t *params;
	long long days;
	int r;

	if (arg_int(ctx, a->pos[1], "DAYS", &days) != 0)
		return EXIT_USAGE;
	params = params_id(a);
	json_object_set_new(params, "days", json_integer(days));
	if ((r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	return transition(ctx, a, "app.extend", params);
}

int
cmd_appeal(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = { "filed", "filed_on", NULL };
	json_t *params = params_id(a), *result;
	json_int_t n;
	int r;

	if ((r = put_pos(ctx, params, "kind", a->pos[1])) != 0 ||
	    (r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	if (arg_opt(a, "if-version") != NULL &&
	    (r = arg_put(ctx, a, params, "if-version", "version")) != 0) {
		json_decref(params);
		return r;
	}
	if ((r = ctx_call(ctx, "app.appeal", params, &result)) != 0)
		return r;
	if (ctx->json || !json_is_integer(json_object_get(result, "appeal")))
		return done(ctx, result, NULL);
	n = jint(result, "appeal", 0);
	printf("%s: appeal %" JSON_INTEGER_FORMAT " (%s) recorded\n", a->pos[0],
	       n, a->pos[1]);
	json_decref(result);
	return EXIT_DONE;
}

int
cmd_appeal_decided(struct ctx *ctx, struct args *a)
{
	static const char *const opts[] = { "on", "decided_on", NULL };
	json_t *params, *result;
	long long n;
	int r;

	if (arg_int(ctx, a->pos[1], "APPEAL", &n) != 0)
		return EXIT_USAGE;
	params = params_id(a);
	json_object_set_new(params, "appeal", json_integer(n));
	if ((r = put_pos(ctx, params, "result", a->pos[2])) != 0 ||
	    (r = put_opts(ctx, a, params, opts)) != 0)
		return r;
	if (arg_opt(a, "if-version") != NULL &&
	    (r = arg_put(ctx, a, params, "if-version", "version")) != 0) {
		json_decref(params);
		return r;
	}
	if ((r = ctx_call(ctx, "app.appeal_decided", params, &result)) != 0)
		return r;
	if (ctx->json)
		return done(ctx, result, NULL);
	printf("%s: appeal %lld decided: %s\n", a->pos[0], n, a->pos[2]);
	json_decref(result);
	return EXIT_DONE;
}

static volatile sig_atomic_t watch_stop;

static void
watch_signal(int sig)
{
	watch_stop = 1;
}

/* One event on one line: time, type, id, from→to, the rest as k=v. */
static void
print_event(const json_t *ev)
{
	const char *key, *from, *to;
	json_t *v;
	char *s, *cut;

	s = jtext(json_object_get(ev, "at"));
	cut = out_cut(s, 40);
	printf("%s %s %s", cut, js(ev, "type") != NULL ? js(ev, "type") : "?",
	       js(ev, "id") != NULL ? js(ev, "id") : "-");
	free(cut);
	free(s);
	from = js(ev, "from");
	to = js(ev, "to");
	if (from != NULL && to != NULL)
		printf(" %s→%s", from, to);
	json_object_foreach((json_t *)ev, key, v)
	{
		if (strcmp(key, "at") == 0 || strcmp(key, "type") == 0 ||
		    strcmp(key, "id") == 0 ||
		    ((strcmp(key, "from") == 0 || strcmp(key, "to") == 0) &&
		     from != NULL && to != NULL) ||
		    json_is_null(v))
			continue; /* null: nothing to say (a lapse's outcome) */
		s = json_is_object(v) || json_is_array(v)
		        ? json_dumps(v, JSON_COMPACT)
		        : jtext(v);
		cut = out_cut(s != NULL ? s : "", 60);
		printf(" %s=%s", key, cut);
		free(cut);
		free(s);
	}
	printf("\n");
}

int
cmd_watch(struct ctx *ctx, struct args *a)
{
	struct sigaction sa;
	json_t *params = json_object(), *types, *result, *ev;
	char err[256], *s;
	int i, r;

	if (a->npos > 0) {
		types = json_array();
		for (i = 0; i < a->npos; i++)
			json_array_append_new(types, json_string(a->pos[i]));
		json_object_set_new(params, "types", types);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = watch_signal; /* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((r = ctx_call(ctx, "events.subscribe", params, &result)) != 0)
		return watch_stop ? EXIT_DONE : r;
	json_decref(result);
	fprintf(stderr, "ogi: watching events from %s; interrupt to stop\n",
	        ctx->addr);
	rpc_set_timeout(ctx->rpc, -1);
	while (!watch_stop) {
		if (rpc_next_event(ctx->rpc, &ev, err, sizeof err) != RPC_OK) {
			if (watch_stop || err[0] == '\0')
				continue; /* a signal */
			fprintf(stderr, "ogi: %s: %s\n", ctx->addr, err);
			return EXIT_USAGE;
		}
		if (ctx->json) {
			s = json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY);
			printf("%s\n", s != NULL ? s : "null");
			free(s);
		} else {
			out_clean_tree(ev);
			print_event(ev);
		}
		json_decref(ev);
		if (fflush(stdout) == EOF)
			return EXIT_USAGE;
	}
	return EXIT_DONE;
}

static void
print_roles(struct table *t, const json_t *roles)
{
	json_t *r;
	size_t i;
	char *s = xstrdup(""), *n;

	if (json_is_string(roles)) {
		table_add(t, json_string_value(roles));
		free(s);
		return;
	}
	json_array_foreach(roles, i, r)
	{
		n = xasprintf(
		    "%s%s%s", s, i > 0 ? "," : "",
		    json_string_value(r) != NULL ? json_string_value(r) : "?");
		free(s);
		s = n;
	}
	table_add(t, s);
	free(s);
}

static void
print_users(const json_t *result)
{
	const json_t *users = result, *u;
	struct table *t;
	size_t i;

	if (!json_is_array(users))
		users = json_object_get(result, "users");
	if (!json_is_array(users))
		users = json_object_get(result, "items");
	if (!json_is_array(users)) {
		ctx_print_json(result);
		return;
	}
	t = table_with("NAME", "ROLES", "STATUS", NULL);
	json_array_foreach(users, i, u)
	{
		table_add(t, js(u, "name"));
		print_roles(t, json_object_get(u, "roles"));
		if (jbool(u, "disabled") ||
		    (js(u, "status") != NULL &&
		     strcmp(js(u, "status"), "disabled") == 0))
			table_add(t, "disabled");
		else
			table_add(t, "active");
	}
	table_print(t, stdout, 0);
	table_free(t);
}

/* The token of user.create or user.rotate, shown this once. */
static void
print_token(const json_t *result)
{
	const char *token = js(result, "token");
	struct table *t;

	if (token == NULL) {
		ctx_print_json(result);
		return;
	}
	t = table_new(2);
	table_add(t, js(result, "name"));
	print_roles(t, json_object_get(result, "roles"));
	table_print(t, stdout, 0);
	table_free(t);
	printf("token: %s\n", token);
	fprintf(stderr, "ogi: the token is shown only this once\n");
}

int
cmd_user(struct ctx *ctx, struct args *a)
{
	const char *sub = a->pos[0];
	json_t *params, *roles, *result;
	int i, r;

	if (strcmp(sub, "add") == 0 || strcmp(sub, "create") == 0) {
		if (a->npos < 3)
			return ctx_usage(ctx, "usage: user add NAME ROLE...");
		roles = json_array();
		for (i = 2; i < a->npos; i++)
			json_array_append_new(roles, json_string(a->pos[i]));
		params =
		    json_pack("{s:s, s:o}", "name", a->pos[1], "roles", roles);
		if (params == NULL)
			return ctx_usage(ctx, "not valid UTF-8");
		if ((r = ctx_call(ctx, "user.create", params, &result)) != 0)
			return r;
		return done(ctx, result, print_token);
	}
	if (strcmp(sub, "list") == 0) {
		if (a->npos != 1)
			return ctx_usage(ctx, "usage: user list");
		if ((r = ctx_call(ctx, "user.list", json_object(), &result)) !=
		    0)
			return r;
		return done(ctx, result, print_users);
	}
	if (strcmp(sub, "disable") == 0 || strcmp(sub, "rotate") == 0) {
		if (a->npos != 2)
			return ctx_usage(ctx, "usage: user %s NAME", sub);
		params = json_pack("{s:s}", "name", a->pos[1]);
		if (params == NULL)
			return ctx_usage(ctx, "not valid UTF-8");
		if ((r = ctx_call(
		         ctx, sub[0] == 'd' ? "user.disable" : "user.rotate",
		         params, &result)) != 0)
			return r;
		if (ctx->json)
			return done(ctx, result, NULL);
		if (sub[0] == 'd') {
			printf("%s: disabled\n", a->pos[1]);
			json_decref(result);
			return EXIT_DONE;
		}
		if (js(result, "name") == NULL && json_is_object(result))
			json_object_set_new(result, "name",
			                    json_string(a->pos[1]));
		return done(ctx, result, print_token);
	}
	return ctx_usage(ctx,
	                 "unknown subcommand %s: add, list, disable or "
	                 "rotate",
	                 sub);
}

/* Print dates as runs of consecutive days, with their weekdays. */
static void
print_days(const char *title, const json_t *days)
{
	day_t d, first = DAY_NONE, prev = DAY_NONE;
	char a[11], b[11];
	const json_t *v;
	size_t i, n = json_array_size(days);

	printf("%s (%zu):\n", title, n);
	for (i = 0; i <= n; i++) {
		v = json_array_get(days, i);
		if (i < n && (json_string_value(v) == NULL ||
		              date_parse(json_string_value(v), &d) == -1)) {
			char *s = jtext(v);

			printf("  %s\n", s);
			free(s);
			continue;
		}
		if (i < n && prev != DAY_NONE && d == prev + 1) {
			prev = d;
			continue;
		}
		if (first != DAY_NONE) {
			if (first == prev)
				printf("  %s %s\n", date_format(first, a),
				       weekday_names[date_weekday(first)]);
			else
				printf("  %s %s .. %s %s  (%d days)\n",
				       date_format(first, a),
				       weekday_names[date_weekday(first)],
				       date_format(prev, b),
				       weekday_names[date_weekday(prev)],
				       (int)(prev - first + 1));
		}
		if (i < n)
			first = prev = d;
	}
}

static void
print_calendar(const json_t *cal)
{
	char *year = jtext(json_object_get(cal, "year"));

	printf("Calendar %s%s\n", year,
	       json_is_false(json_object_get(cal, "known"))
	           ? " (none loaded: only weekends are days off)"
	           : "");
	free(year);
	print_days("Days off", json_object_get(cal, "holidays"));
	print_days("Weekend days worked, 调休",
	           json_object_get(cal, "workdays"));
}

/* A file's text whole (path "-": stdin), at most 1 MiB; NULL if not. */
static char *
read_text(const char *path, const char **why)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t n = 0, cap = 1 << 20;
	char *buf;

	*why = NULL;
	if (fp == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	buf = xmalloc(cap + 1);
	n = fread(buf, 1, cap + 1, fp);
	if (ferror(fp))
		*why = strerror(errno);
	else if (n > cap)
		*why = "larger than 1 MiB";
	else if (memchr(buf, '\0', n) != NULL)
		*why = "not a text file";
	if (fp != stdin)
		fclose(fp);
	if (*why != NULL) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static json_t *
days_json(const day_t *d, size_t n)
{
	json_t *arr = json_array();
	char buf[11];
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(date_format(d[i], buf)));
	return arr;
}

/*
 * --load FILE: YEAR's lines of a file in the shipped calendar's format
 * (data/holidays-cn.txt: "YYYY-MM-DD off|work name", '#' comments),
 * checked here as ogid checks its own, sent as calendar.set: the whole
 * year is replaced. Lines of other years are left (one file may hold
 * every year, as the shipped one does).
 */
static int
calendar_load(struct ctx *ctx, int year, const char *path)
{
	struct cal *cal = cal_new();
	const char *why;
	char *text;
	day_t *hol, *wd;
	size_t nh, nw;
	json_t *params, *result;
	int line, r;

	if ((text = read_text(path, &why)) == NULL) {
		cal_free(cal);
		return ctx_usage(ctx, "--load %s: %s", path, why);
	}
	r = cal_load_text(cal, text, &why, &line);
	free(text);
	if (r == -1) {
		cal_free(cal);
		return ctx_usage(ctx, "--load %s: line %d: %s", path, line,
		                 why);
	}
	if (!cal_year_known(cal, year)) {
		cal_free(cal);
		return ctx_usage(ctx, "--load %s: no dates of %d in it", path,
		                 year);
	}
	cal_get_year(cal, year, &hol, &nh, &wd, &nw);
	cal_free(cal);
	params = json_pack("{s:i, s:o, s:o}", "year", year, "holidays",
	                   days_json(hol, nh), "workdays", days_json(wd, nw));
	free(hol);
	free(wd);
	if ((r = ctx_call(ctx, "calendar.set", params, &result)) != 0)
		return r;
	return done(ctx, result, print_calendar);
}

int
cmd_calendar(struct ctx *ctx, struct args *a)
{
	json_t *result;
	const char *load = arg_opt(a, "load");
	long long year;
	int r;

	if (arg_int(ctx, a->pos[0], "YEAR", &year) != 0)
		return EXIT_USAGE;
	if (load != NULL) {
		if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR)
			return ctx_usage(ctx, "YEAR: %lld is out of range",
			                 year);
		return calendar_load(ctx, (int)year, load);
	}
	if ((r = ctx_call(ctx, "calendar.get",
	                  json_pack("{s:I}", "year", (json_int_t)year),
	                  &result)) != 0)
		return r;
	return done(ctx, result, print_calendar);
}

static void
print_workday(const json_t *result)
{
	const char *d = json_string_value(result);

	if (d == NULL)
		d = js_any(result, "date", "result", NULL);
	if (d != NULL)
		printf("%s\n", d);
	else
		ctx_print_json(result);
}

int
cmd_workdays(struct ctx *ctx, struct args *a)
{
	json_t *result;
	long long n;
	int r;

	if (arg_check_date(ctx, a->pos[0], "DATE") != 0 ||
	    arg_int(ctx, a->pos[1], "N", &n) != 0)
		return EXIT_USAGE;
	if ((r = ctx_call(ctx, "calendar.add",
	                  json_pack("{s:s, s:I}", "date", a->pos[0], "days",
	                            (json_int_t)n),
	                  &result)) != 0)
		return r;
	return done(ctx, result, print_workday);
}

int
cmd_call(struct ctx *ctx, struct args *a)
{
	json_error_t jerr;
	json_t *params = NULL, *result;
	int r;

	if (a->npos == 2) {
		if (strcmp(a->pos[1], "-") == 0)
			params = json_loadf(stdin, JSON_DECODE_ANY, &jerr);
		else
			params = json_loads(a->pos[1], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return ctx_usage(ctx, "params: invalid JSON: %s",
			                 jerr.text);
	}
	ctx->raw = true; /* the server's text as it was sent */
	if ((r = ctx_call(ctx, a->pos[0], params, &result)) != 0)
		return r;
	ctx_print_json(result);
	json_decref(result);
	return EXIT_DONE;
}
