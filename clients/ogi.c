/*
 * ogi: the command-line client of ogid (SPEC section 9). main reads the
 * global options, finds the command in one table, parses its arguments
 * against the table's option list, finds the address and token (flag,
 * environment, ~/.config/ogi/config, in that order) and runs it.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../lib/date.h"
#include "../lib/xmalloc.h"
#include "ogi.h"

/* clang-format off */
#define OPT_END { NULL, OPT_FLAG, false, NULL, NULL }
/* Shared by every transition: optimistic concurrency (SPEC section 2). */
#define OPT_IF_VERSION { "if-version", OPT_INT, false, "N", \
	"fail unless the application is at version N" }
/* clang-format on */

/*
 * The tables name only the fields they need: a trailing param or method
 * left out is NULL.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static const struct command commands[] = {
	{ "submit", cmd_submit, 0, 0,
	  "--name NAME [--org CATEGORY] --channel CHANNEL --description TEXT "
	  "[option ...]",
	  "Register a new application (app.submit); prints its id (and, on "
	  "a terminal, its due date).",
	  (const struct optspec[]){
	      { "name", OPT_STRING, true, "NAME", "the applicant's name" },
	      { "org", OPT_STRING, false, "CATEGORY",
	        "the applicant is an organization: commercial, research, "
	        "social_welfare, legal_service or other" },
	      { "id-number", OPT_STRING, false, "X",
	        "identity document number" },
	      { "phone", OPT_STRING, false, "P", "phone number" },
	      { "email", OPT_STRING, false, "E", "e-mail address" },
	      { "address", OPT_STRING, false, "A", "postal address" },
	      { "channel", OPT_STRING, true, "C",
	        "in_person, mail, online, fax or other" },
	      { "received", OPT_DATE, false, "DATE",
	        "date of receipt (default: today)" },
	      { "description", OPT_STRING, true, "TEXT",
	        "the information sought" },
	      { "form", OPT_STRING, false, "F", "paper or electronic" },
	      { "delivery", OPT_STRING, false, "D",
	        "pickup, mail, email or online" },
	      { "ref", OPT_STRING, false, "REF",
	        "idempotency key: a retry returns the first application" },
	      OPT_END } },
	{ "show", cmd_show, 1, 1, "ID",
	  "Show an application: state, assignee, due date explained, history "
	  "(app.get).",
	  NULL },
	{ "receipt", cmd_receipt, 1, 1, "ID",
	  "Print the acknowledgement slip (受理回执) for the applicant.",
	  NULL },
	{ "list", cmd_list, 0, 0,
	  "[--state S] [--assignee U] [--search Q] "
	  "[--from DATE] [--to DATE] [--overdue]",
	  "List applications, all pages (app.list).",
	  (const struct optspec[]){
	      { "state", OPT_STRING, false, "S", "only in this state" },
	      { "assignee", OPT_STRING, false, "U", "only assigned to U" },
	      { "search", OPT_STRING, false, "Q",
	        "id, applicant name or description contains Q" },
	      { "from", OPT_DATE, false, "DATE", "received on or after DATE" },
	      { "to", OPT_DATE, false, "DATE", "received on or before DATE" },
	      { "overdue", OPT_FLAG, false, NULL, "only overdue applications" },
	      OPT_END } },
	{ "assign", cmd_assign, 2, 2, "ID USER",
	  "Assign to a reviewer (app.assign).",
	  (const struct optspec[]){ OPT_IF_VERSION, OPT_END } },
	{ "review", cmd_review, 2, 2, "ID OUTCOME --note TEXT",
	  "Propose the outcome (app.review): grant, partial, deny.*, "
	  "unavailable.*, not_processed.*, other.other.",
	  (const struct optspec[]){
	      { "note", OPT_STRING, true, "TEXT", "the reasons" },
	      OPT_IF_VERSION,
	      OPT_END } },
	{ "secrecy", cmd_secrecy, 2, 2, "ID pass|fail --note TEXT",
	  "Record the secrecy check (app.secrecy).",
	  (const struct optspec[]){ { "note", OPT_STRING, true, "TEXT", NULL },
	                            OPT_IF_VERSION,
	                            OPT_END } },
	{ "correction", cmd_transition, 1, 1, "ID --note TEXT [--within N]",
	  "Send a correction notice, 补正 (app.request_correction).",
	  (const struct optspec[]){
	      { "note", OPT_STRING, true, "TEXT", "what must be corrected",
	        "note" },
	      { "within", OPT_INT, false, "N",
	        "working days the applicant has (default 15)", "within_days" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.request_correction" },
	{ "corrected", cmd_transition, 1, 1,
	  "ID [--received DATE] [--description TEXT]",
	  "Record the applicant's correction; the clock starts afresh "
	  "(app.correct).",
	  (const struct optspec[]){
	      { "received", OPT_DATE, false, "DATE",
	        "date the correction was received (default: today)",
	        "received_on" },
	      { "description", OPT_STRING, false, "TEXT",
	        "the corrected description", "description" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.correct" },
	{ "consult", cmd_transition, 1, 1, "ID --party P --note TEXT",
	  "Consult a third party; the clock pauses (app.consult).",
	  (const struct optspec[]){
	      { "party", OPT_STRING, true, "P", "who is consulted", "party" },
	      { "note", OPT_STRING, true, "TEXT", NULL, "note" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.consult" },
	{ "consulted", cmd_transition, 1, 1, "ID --opinion TEXT",
	  "Record the third party's opinion (app.consulted).",
	  (const struct optspec[]){
	      { "opinion", OPT_STRING, true, "TEXT", NULL, "opinion" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.consulted" },
	{ "fee", cmd_transition, 1, 1, "ID --amount YUAN --note TEXT",
	  "Send a fee notice; the clock pauses (app.fee_notice).",
	  (const struct optspec[]){
	      { "amount", OPT_NUMBER, true, "YUAN", "the fee in yuan",
	        "amount_yuan" },
	      { "note", OPT_STRING, true, "TEXT", NULL, "note" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.fee_notice" },
	{ "paid", cmd_transition, 1, 1, "ID [--on DATE]",
	  "Record the payment of the fee (app.fee_paid).",
	  (const struct optspec[]){ { "on", OPT_DATE, false, "DATE",
	                              "date paid (default: today)", "paid_on" },
	                            OPT_IF_VERSION,
	                            OPT_END },
	  "app.fee_paid" },
	{ "extend", cmd_extend, 2, 2, "ID DAYS --reason TEXT",
	  "Extend the reply deadline by DAYS working days (app.extend).",
	  (const struct optspec[]){
	      { "reason", OPT_STRING, true, "TEXT", NULL },
	      OPT_IF_VERSION,
	      OPT_END } },
	{ "reply", cmd_transition, 1, 1, "ID [--on DATE] --note TEXT",
	  "Record that the reply was issued (app.reply).",
	  (const struct optspec[]){
	      { "on", OPT_DATE, false, "DATE", "date replied (default: today)",
	        "replied_on" },
	      { "note", OPT_STRING, true, "TEXT", NULL, "note" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.reply" },
	{ "withdraw", cmd_transition, 1, 1, "ID --reason TEXT",
	  "Record a withdrawal by the applicant (app.withdraw).",
	  (const struct optspec[]){
	      { "reason", OPT_STRING, true, "TEXT", NULL, "reason" },
	      OPT_IF_VERSION,
	      OPT_END },
	  "app.withdraw" },
	{ "appeal", cmd_appeal, 2, 2, "ID KIND --filed DATE",
	  "Record a reconsideration or lawsuit (app.appeal); KIND is "
	  "reconsideration, litigation or litigation_after_reconsideration.",
	  (const struct optspec[]){
	      { "filed", OPT_DATE, true, "DATE", "date filed" },
	      OPT_IF_VERSION,
	      OPT_END } },
	{ "appeal-decided", cmd_appeal_decided, 3, 3,
	  "ID APPEAL RESULT --on DATE",
	  "Record the decision on appeal number APPEAL (app.appeal_decided); "
	  "RESULT is upheld, corrected or other.",
	  (const struct optspec[]){
	      { "on", OPT_DATE, true, "DATE", "date decided" },
	      OPT_IF_VERSION,
	      OPT_END } },
	{ "overdue", cmd_overdue, 0, 0, "",
	  "List overdue applications, longest overdue first "
	  "(deadline.overdue).",
	  NULL },
	{ "due-soon", cmd_due_soon, 0, 0, "[--within N]",
	  "List applications due soon, earliest first (deadline.due_soon).",
	  (const struct optspec[]){ { "within", OPT_INT, false, "N",
	                              "working days (default: the "
	                              "daemon's due_soon_days)" },
	                            OPT_END } },
	{ "report", cmd_report, 1, 1, "YEAR [--csv]",
	  "Print tables 三 and 四 of the annual report (report.annual).",
	  (const struct optspec[]){
	      { "csv", OPT_FLAG, false, NULL, "print CSV" }, OPT_END } },
	{ "watch", cmd_watch, 0, -1, "[TYPE ...]",
	  "Print events as they happen until interrupted (events.subscribe); "
	  "TYPE is submitted, state, due_soon, overdue, lapsed or extended.",
	  NULL },
	{ "user", cmd_user, 1, -1,
	  "add NAME ROLE... | list | disable NAME | rotate NAME",
	  "Manage users (user.create, user.list, user.disable, user.rotate); "
	  "ROLE is clerk, reviewer, secrecy, supervisor or admin.",
	  NULL },
	{ "calendar", cmd_calendar, 1, 1, "YEAR [--load FILE]",
	  "Show a year's holidays and adjusted working days (calendar.get); "
	  "with --load (admin), replace the year with its lines in FILE, "
	  "written as data/holidays-cn.txt (calendar.set).",
	  (const struct optspec[]){
	      { "load", OPT_STRING, false, "FILE",
	        "\"YYYY-MM-DD off|work name\" lines; - for stdin" },
	      OPT_END } },
	{ "workdays", cmd_workdays, 2, 2, "DATE N",
	  "Print the Nth working day after DATE (calendar.add).", NULL },
	{ "call", cmd_call, 1, 2, "METHOD [JSON]",
	  "Call any method with JSON params (\"-\": read them from stdin); "
	  "prints the raw result.",
	  NULL },
	{ "help", NULL, 0, 1, "[COMMAND]", "Show help.", NULL },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct optspec global_opts[] = {
	{ "addr", OPT_STRING, false, "HOST:PORT",
	  "ogid's address (OGI_ADDR; default " OGI_DEFAULT_ADDR ")" },
	{ "token", OPT_STRING, false, "TOKEN", "your token (OGI_TOKEN)" },
	{ "json", OPT_FLAG, false, NULL, "print raw JSON results" },
	{ "tls", OPT_FLAG, false, NULL,
	  "use TLS and check the server's certificate (OGI_TLS)" },
	{ "cafile", OPT_STRING, false, "FILE",
	  "CAs to trust; implies --tls (OGI_CAFILE)" },
	{ "cert", OPT_STRING, false, "FILE",
	  "client certificate for ogid --tls-ca; implies --tls (OGI_CERT)" },
	{ "key", OPT_STRING, false, "FILE",
	  "its private key, if not in the certificate file (OGI_KEY)" },
	OPT_END,
};

#pragma GCC diagnostic pop

static const char *
progname(void)
{
	return "ogi";
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage_short(FILE *fp)
{
	fprintf(fp,
	        "usage: %s [--addr HOST:PORT] [--token TOKEN] [--json] "
	        "[--tls] [--cafile FILE]\n"
	        "           [--cert FILE [--key FILE]]"
	        "\n"
	        "           COMMAND [ARG ...]\n",
	        progname());
}

static void
help_opts(FILE *fp, const struct optspec *o)
{
	char left[64];

	for (; o != NULL && o->name != NULL; o++) {
		snprintf(left, sizeof left, "--%s%s%s", o->name,
		         o->metavar != NULL ? " " : "",
		         o->metavar != NULL ? o->metavar : "");
		fprintf(fp, "  %-22s %s%s\n", left,
		        o->help != NULL ? o->help : "",
		        o->required
		            ? (o->help != NULL ? " (required)" : "(required)")
		            : "");
	}
}

/* Text wrapped at 76 columns (help strings are ASCII but for a word). */
static void
help_wrap(FILE *fp, const char *text)
{
	const char *p = text, *end;
	int col = 0, len;

	while (*p != '\0') {
		end = p + strcspn(p, " ");
		len = (int)(end - p);
		if (col > 0 && col + 1 + len > 76) {
			fputc('\n', fp);
			col = 0;
		} else if (col > 0) {
			fputc(' ', fp);
			col++;
		}
		fprintf(fp, "%.*s", len, p);
		col += len;
		p = end + strspn(end, " ");
	}
	fputc('\n', fp);
}

static void
help_command(FILE *fp, const struct command *c)
{
	fprintf(fp, "usage: %s %s%s%s\n\n", progname(), c->name,
	        c->synopsis[0] != '\0' ? " " : "", c->synopsis);
	help_wrap(fp, c->help);
	if (c->opts != NULL) {
		fputs("\noptions:\n", fp);
		help_opts(fp, c->opts);
	}
	fputs("\nglobal options:\n", fp);
	help_opts(fp, global_opts);
}

static void
help_all(FILE *fp)
{
	size_t i;
	int w, n;

	usage_short(fp);
	fputs("\nTrack applications for the disclosure of government "
	      "information with ogid.\n\ncommands:\n",
	      fp);
	for (i = 0; i < NCOMMANDS; i++) {
		w = fprintf(fp, "  %s %s", commands[i].name,
		            commands[i].synopsis);
		if (w > 40)
			fprintf(fp, "\n%42s", "");
		else
			fprintf(fp, "%*s", 42 - w, "");
		/* The help up to its first parenthesis or colon. */
		n = (int)strcspn(commands[i].help, "(;:.");
		while (n > 0 && commands[i].help[n - 1] == ' ')
			n--;
		fprintf(fp, "%.*s\n", n, commands[i].help);
	}
	fputs("\nglobal options:\n", fp);
	help_opts(fp, global_opts);
	fprintf(fp,
	        "\nThe address and token may also come from OGI_ADDR and "
	        "OGI_TOKEN, or from\n\"addr =\" and \"token =\" lines in "
	        "~/.config/ogi/config; TLS likewise from\nOGI_TLS and "
	        "OGI_CAFILE, or \"tls = yes\" and \"cafile =\" lines.\n"
	        "'%s COMMAND --help' describes a command; see also ogi(1).\n",
	        progname());
}

int
ctx_usage(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname());
	if (ctx != NULL && ctx->cmd != NULL)
		fprintf(stderr, "%s: ", ctx->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctx != NULL && ctx->cmd != NULL)
		fprintf(stderr, " (see '%s %s --help')\n", progname(),
		        ctx->cmd->name);
	else
		fprintf(stderr, " (see '%s help')\n", progname());
	return EXIT_USAGE;
}

void
ctx_print_json(const json_t *v)
{
	char *s;

	s = json_dumps(v,
	               JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (s != NULL) {
		puts(s);
		free(s);
	}
}

/* The server's refusal on stderr: message, then what data names. */
static void
print_refusal(struct ctx *ctx, const json_t *error)
{
	const json_t *data, *v;
	const char *key, *field, *reason, *msg;
	bool first = true;
	char *s, *t;

	if (ctx->json) {
		s = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
		fprintf(stderr, "%s\n", s != NULL ? s : "");
		free(s);
		return;
	}
	out_clean_tree((json_t *)error);
	msg = js(error, "message");
	s = out_clean(msg != NULL ? msg : "error", false);
	fprintf(stderr, "%s: %s", progname(), s);
	free(s);
	data = json_object_get(error, "data");
	field = js(data, "field");
	reason = js(data, "reason");
	/* Name the field unless the message does already. */
	if (msg != NULL && reason != NULL && strstr(msg, reason) != NULL)
		field = reason = NULL;
	if (field != NULL || reason != NULL) {
		s = out_clean(field != NULL ? field : "", false);
		fprintf(stderr, ": %s", s);
		free(s);
		if (reason != NULL) {
			s = out_clean(reason, false);
			fprintf(stderr, "%s%s", field != NULL ? ": " : "", s);
			free(s);
		}
	} else if (json_is_object(data) && js(data, "field") == NULL) {
		json_object_foreach((json_t *)data, key, v)
		{
			if (json_is_array(v)) {
				size_t i;
				json_t *e;

				fprintf(stderr, "%s%s: ", first ? " (" : ", ",
				        key);
				json_array_foreach(v, i, e)
				{
					s = jtext(e);
					t = out_cut(s, 80);
					fprintf(stderr, "%s%s",
					        i > 0 ? ", " : "", t);
					free(t);
					free(s);
				}
			} else {
				s = jtext(v);
				t = out_cut(s, 80);
				fprintf(stderr, "%s%s: %s", first ? " (" : ", ",
				        key, t);
				free(t);
				free(s);
			}
			first = false;
		}
		if (!first)
			fputc(')', stderr);
	}
	fputc('\n', stderr);
}

int
ctx_call(struct ctx *ctx, const char *method, json_t *params, json_t **result)
{
	enum rpc_status st;
	json_t *error;
	char err[512];

	*result = NULL;
	if (ctx->rpc == NULL) {
		struct rpc_tls tls = { ctx->tls, ctx->cafile, ctx->cert,
			               ctx->key };

		ctx->rpc = rpc_connect(ctx->addr, &tls, err, sizeof err);
		if (ctx->rpc == NULL) {
			json_decref(params);
			fprintf(stderr, "%s: %s\n", progname(), err);
			return EXIT_USAGE;
		}
		rpc_set_token(ctx->rpc, ctx->token);
	}
	st =
	    rpc_call(ctx->rpc, method, params, result, &error, err, sizeof err);
	json_decref(params);
	switch (st) {
	case RPC_OK:
		if (!ctx->json && !ctx->raw)
			out_clean_tree(*result);
		return EXIT_DONE;
	case RPC_REFUSED:
		print_refusal(ctx, error);
		json_decref(error);
		return EXIT_REFUSED;
	case RPC_FAILED:
		break;
	}
	fprintf(stderr, "%s: %s: %s\n", progname(), ctx->addr, err);
	return EXIT_USAGE;
}

const char *
arg_opt(const struct args *a, const char *name)
{
	const struct optspec *o;
	int i;

	if (a->cmd->opts == NULL)
		return NULL;
	for (o = a->cmd->opts, i = 0; o->name != NULL; o++, i++)
		if (strcmp(o->name, name) == 0)
			return a->val[i];
	return NULL;
}

bool
arg_flag(const struct args *a, const char *name)
{
	return arg_opt(a, name) != NULL;
}

int
arg_int(struct ctx *ctx, const char *s, const char *what, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 ||
	    strspn(s, "-0123456789") != strlen(s))
		return ctx_usage(ctx, "%s: not a whole number: %s", what, s);
	return 0;
}

int
arg_check_date(struct ctx *ctx, const char *s, const char *what)
{
	day_t d;

	if (date_parse(s, &d) == -1)
		return ctx_usage(ctx, "%s: not a date YYYY-MM-DD: %s", what, s);
	return 0;
}

/* A decimal number of yuan: integer if it has no fraction. */
static json_t *
arg_number(const char *s)
{
	char *end;
	double d;
	long long n;

	if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s))
		return NULL;
	if (strchr(s, '.') == NULL) {
		errno = 0;
		n = strtoll(s, &end, 10);
		return errno == 0 && *end == '\0' ? json_integer(n) : NULL;
	}
	d = strtod(s, &end);
	return *end == '\0' ? json_real(d) : NULL;
}

int
arg_put(struct ctx *ctx, const struct args *a, json_t *params, const char *name,
        const char *key)
{
	const struct optspec *o;
	const char *v;
	long long n;
	json_t *j;

	if ((v = arg_opt(a, name)) == NULL)
		return 0;
	for (o = a->cmd->opts; strcmp(o->name, name) != 0; o++)
		;
	switch (o->type) {
	case OPT_FLAG:
		j = json_true();
		break;
	case OPT_INT: {
		char what[64];

		snprintf(what, sizeof what, "--%s", name);
		if (arg_int(ctx, v, what, &n) != 0)
			return EXIT_USAGE;
		j = json_integer(n);
		break;
	}
	case OPT_NUMBER:
		if ((j = arg_number(v)) == NULL)
			return ctx_usage(ctx, "--%s: not an amount: %s", name,
			                 v);
		break;
	case OPT_DATE:
	case OPT_STRING:
	default:
		j = json_string(v);
		if (j == NULL)
			return ctx_usage(ctx, "--%s: not valid UTF-8", name);
		break;
	}
	json_object_set_new(params, key, j);
	return 0;
}

/* "--name" or "--name=value": the option's index, or -1. */
static int
opt_lookup(const struct optspec *opts, const char *arg, const char **inline_val)
{
	size_t len;
	int i;

	*inline_val = NULL;
	if (opts == NULL || strncmp(arg, "--", 2) != 0)
		return -1;
	arg += 2;
	len = strcspn(arg, "=");
	for (i = 0; opts[i].name != NULL; i++) {
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, arg, len) == 0) {
			if (arg[len] == '=')
				*inline_val = arg + len + 1;
			return i;
		}
	}
	return -1;
}

/*
 * The value of --token, copied out of argv; the bytes in argv are zeroed,
 * so that ps(1) and /proc/PID/cmdline show "--token" with no token a
 * moment after ogi starts (OGI_TOKEN and the config file never show it).
 * Freed at the end of main.
 */
static char *argv_token;

static void
argv_token_free(void)
{
	if (argv_token != NULL)
		explicit_bzero(argv_token, strlen(argv_token));
	free(argv_token);
	argv_token = NULL;
}

static const char *
token_from_argv(char *val)
{
	argv_token_free();
	argv_token = xstrdup(val);
	explicit_bzero(val, strlen(val));
	return argv_token;
}

/*
 * Take the option at argv[*i] from opts into vals. Returns 1 if taken, 0
 * if not an option of opts, or EXIT_USAGE (printed).
 */
static int
opt_take(struct ctx *ctx, const struct optspec *opts, const char **vals,
         int argc, char **argv, int *i)
{
	const char *inline_val;
	int k;

	if ((k = opt_lookup(opts, argv[*i], &inline_val)) == -1)
		return 0;
	if (vals[k] != NULL)
		return ctx_usage(ctx, "--%s given twice", opts[k].name);
	if (opts[k].type == OPT_FLAG) {
		if (inline_val != NULL)
			return ctx_usage(ctx, "--%s takes no value",
			                 opts[k].name);
		vals[k] = "";
		return 1;
	}
	if (inline_val == NULL) {
		if (*i + 1 >= argc)
			return ctx_usage(ctx, "--%s needs a value",
			                 opts[k].name);
		inline_val = argv[++*i];
	}
	if (!out_valid_utf8(inline_val))
		return ctx_usage(ctx, "--%s: not valid UTF-8", opts[k].name);
	if (opts[k].type == OPT_DATE) {
		char what[64];

		snprintf(what, sizeof what, "--%s", opts[k].name);
		if (arg_check_date(ctx, inline_val, what) != 0)
			return EXIT_USAGE;
	}
	if (opts == global_opts && strcmp(opts[k].name, "addr") == 0 &&
	    inline_val[0] == '\0')
		return ctx_usage(ctx, "--addr: empty (give HOST:PORT)");
	if (opts == global_opts && strcmp(opts[k].name, "token") == 0)
		inline_val = token_from_argv((char *)inline_val);
	vals[k] = inline_val;
	return 1;
}

/*
 * Parse a command's arguments; global options may come anywhere before
 * "--". Returns 0, 1 when --help was asked, or EXIT_USAGE (printed).
 */
static int
parse_args(struct ctx *ctx, const char **gvals, int argc, char **argv,
           struct args *a)
{
	const struct command *c = ctx->cmd;
	const struct optspec *o;
	bool dashdash = false;
	int i, r, k;

	for (i = 0; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = true;
			continue;
		}
		if (!dashdash && (strcmp(argv[i], "--help") == 0 ||
		                  strcmp(argv[i], "-h") == 0))
			return 1;
		if (!dashdash && argv[i][0] == '-' && argv[i][1] != '\0' &&
		    !(argv[i][1] >= '0' && argv[i][1] <= '9')) {
			if ((r = opt_take(ctx, c->opts, a->val, argc, argv,
			                  &i)) == 1)
				continue;
			if (r != 0)
				return r;
			if ((r = opt_take(ctx, global_opts, gvals, argc, argv,
			                  &i)) == 1)
				continue;
			if (r != 0)
				return r;
			return ctx_usage(ctx, "unknown option %s", argv[i]);
		}
		if (!out_valid_utf8(argv[i]))
			return ctx_usage(ctx, "%s: not valid UTF-8", argv[i]);
		if (a->npos == ARGS_MAX)
			return ctx_usage(ctx, "too many arguments");
		a->pos[a->npos++] = argv[i];
	}
	if (a->npos < c->min_pos)
		return ctx_usage(ctx, "missing arguments; expected: %s %s",
		                 c->name, c->synopsis);
	if (c->max_pos >= 0 && a->npos > c->max_pos)
		return ctx_usage(ctx, "unexpected argument: %s",
		                 a->pos[c->max_pos]);
	for (o = c->opts, k = 0; o != NULL && o->name != NULL; o++, k++)
		if (o->required && a->val[k] == NULL)
			return ctx_usage(ctx, "missing --%s", o->name);
	return 0;
}

/* Is the file readable or writable by group or others? Say so. */
static void
config_check_mode(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		fprintf(stderr,
		        "%s: warning: %s is accessible by group or "
		        "others (mode %03o); it may hold a token: chmod "
		        "600 it\n",
		        progname(), path, (unsigned)(st.st_mode & 0777));
}

/* The keys of ~/.config/ogi/config, in the order of config_read's vals. */
static const char *const config_keys[] = { "addr",   "token", "tls",
	                                   "cafile", "cert",  "key" };
#define NCONFIG_KEYS (sizeof config_keys / sizeof config_keys[0])

/* Read ~/.config/ogi/config into vals by config_keys; values allocated. */
static void
config_read(char **vals)
{
	size_t k;
	const char *home = getenv("HOME");
	char *path, *line = NULL, *key, *val, *end;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;
	FILE *fp;

	if (home == NULL || home[0] == '\0')
		return;
	path = xasprintf("%s/.config/ogi/config", home);
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			fprintf(stderr, "%s: warning: %s: %s\n", progname(),
			        path, strerror(errno));
		free(path);
		return;
	}
	config_check_mode(path, fileno(fp));
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		key = line + strspn(line, " \t");
		if (*key == '#' || *key == '\n' || *key == '\0')
			continue;
		if ((val = strchr(key, '=')) == NULL) {
			fprintf(stderr,
			        "%s: warning: %s:%d: expected key = "
			        "value\n",
			        progname(), path, lineno);
			continue;
		}
		for (end = val; end > key && strchr(" \t=", end[-1]); end--)
			;
		*end = '\0';
		val += 1 + strspn(val + 1, " \t");
		end = val + strlen(val);
		while (end > val && strchr(" \t\r\n", end[-1]) != NULL)
			*--end = '\0';
		for (k = 0; k < NCONFIG_KEYS; k++) {
			if (strcmp(key, config_keys[k]) == 0) {
				free(vals[k]);
				vals[k] = xstrdup(val);
				break;
			}
		}
		if (k == NCONFIG_KEYS)
			fprintf(stderr, "%s: warning: %s:%d: unknown key %s\n",
			        progname(), path, lineno, key);
	}
	free(line);
	fclose(fp);
	free(path);
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* "yes" or "no" (or true, false, 1, 0, on, off) into *on; -1 if neither. */
static int
yes_no(const char *v, bool *on)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*on = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

static int
ogi_main(int argc, char **argv)
{
	const char *gvals[8] = {
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
	};
	struct args a;
	struct ctx ctx;
	char *cfg[NCONFIG_KEYS] = { NULL, NULL, NULL, NULL, NULL, NULL };
	const char *tls;
	size_t k;
	int i, r;

	memset(&ctx, 0, sizeof ctx);
	memset(&a, 0, sizeof a);

	/* Global options before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			help_all(stdout);
			return EXIT_DONE;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("ogi %s\n", OGI_CLIENT_VERSION);
			return EXIT_DONE;
		}
		if ((r = opt_take(&ctx, global_opts, gvals, argc, argv, &i)) ==
		    1)
			continue;
		if (r != 0)
			return r;
		return ctx_usage(NULL, "unknown option %s", argv[i]);
	}
	if (i == argc) {
		usage_short(stderr);
		fprintf(stderr, "'%s help' lists the commands.\n", progname());
		return EXIT_USAGE;
	}
	if ((ctx.cmd = command_find(argv[i])) == NULL)
		return ctx_usage(NULL, "unknown command %s", argv[i]);
	a.cmd = ctx.cmd;
	r = parse_args(&ctx, gvals, argc - i - 1, argv + i + 1, &a);
	if (r == 1 || (r == 0 && ctx.cmd->fn == NULL)) {
		const struct command *c = ctx.cmd;

		if (c->fn == NULL && a.npos == 1 &&
		    (c = command_find(a.pos[0])) == NULL) {
			ctx.cmd = NULL;
			return ctx_usage(NULL, "unknown command %s", a.pos[0]);
		}
		if (c->fn == NULL)
			help_all(stdout);
		else
			help_command(stdout, c);
		return EXIT_DONE;
	}
	if (r != 0)
		return r;

	ctx.json = gvals[2] != NULL;
	ctx.addr = gvals[0] != NULL ? gvals[0] : env_nonempty("OGI_ADDR");
	ctx.token = gvals[1] != NULL ? gvals[1] : env_nonempty("OGI_TOKEN");
	tls = gvals[3] != NULL ? "yes" : env_nonempty("OGI_TLS");
	ctx.cafile = gvals[4] != NULL ? gvals[4] : env_nonempty("OGI_CAFILE");
	ctx.cert = gvals[5] != NULL ? gvals[5] : env_nonempty("OGI_CERT");
	ctx.key = gvals[6] != NULL ? gvals[6] : env_nonempty("OGI_KEY");
	if (ctx.addr == NULL || ctx.token == NULL || tls == NULL ||
	    ctx.cafile == NULL || ctx.cert == NULL || ctx.key == NULL) {
		config_read(cfg);
		if (ctx.addr == NULL)
			ctx.addr = cfg[0];
		if (ctx.token == NULL)
			ctx.token = cfg[1];
		if (tls == NULL)
			tls = cfg[2];
		if (ctx.cafile == NULL)
			ctx.cafile = cfg[3];
		if (ctx.cert == NULL)
			ctx.cert = cfg[4];
		if (ctx.key == NULL)
			ctx.key = cfg[5];
	}
	if (ctx.cert != NULL && ctx.cert[0] == '\0')
		ctx.cert = NULL;
	if (ctx.key != NULL && ctx.key[0] == '\0')
		ctx.key = NULL;
	if (ctx.addr == NULL || ctx.addr[0] == '\0')
		ctx.addr = OGI_DEFAULT_ADDR;
	if (ctx.cafile != NULL && ctx.cafile[0] == '\0')
		ctx.cafile = NULL;
	if (tls != NULL && tls[0] != '\0' && yes_no(tls, &ctx.tls) == -1) {
		fprintf(stderr, "%s: tls: expected yes or no, not %s\n",
		        progname(), tls);
		r = EXIT_USAGE;
	} else if (ctx.token == NULL || ctx.token[0] == '\0') {
		fprintf(stderr,
		        "%s: no token: give --token, set OGI_TOKEN or "
		        "put \"token = ...\" in ~/.config/ogi/config\n",
		        progname());
		r = EXIT_USAGE;
	} else if (!out_valid_utf8(ctx.token)) {
		/* --token is checked as it is read; OGI_TOKEN and the file
		 * here. */
		fprintf(stderr, "%s: token: not valid UTF-8\n", progname());
		r = EXIT_USAGE;
	} else {
		/* A CA file means TLS: no token in the clear by mistake. */
		ctx.tls = ctx.tls || ctx.cafile != NULL || ctx.cert != NULL;
		r = ctx.cmd->fn(&ctx, &a);
	}
	rpc_close(ctx.rpc);
	for (k = 0; k < NCONFIG_KEYS; k++)
		free(cfg[k]);
	argv_token_free();
	return r;
}

/*
 * Whatever the command printed must have reached stdout whole: a full
 * disk or a closed pipe after a "successful" command is exit 2, never 0.
 * A failed write leaves the error flag set, even when a later flush finds
 * nothing left to write.
 */
int
main(int argc, char **argv)
{
	int r = ogi_main(argc, argv), failed_flush;

	errno = 0;
	failed_flush = fflush(stdout) == EOF;
	if ((failed_flush || ferror(stdout)) && r == EXIT_DONE) {
		fprintf(stderr, "%s: writing output: %s\n", progname(),
		        failed_flush && errno != 0 ? strerror(errno)
		                                   : "a write failed");
		r = EXIT_USAGE;
	}
	return r;
}
