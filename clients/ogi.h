/*
 * ogi, the client: shared declarations grouped by file. JSON-RPC over one
 * TCP connection (rpcclient.c), text output (output.c), the commands
 * (commands.c, report.c) and main with the command table (ogi.c).
 */
#ifndef OGI_CLIENT_H
#define OGI_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#define OGI_CLIENT_VERSION "0.1.0"
#define OGI_DEFAULT_ADDR "127.0.0.1:7420"

/* Exit status (SPEC section 9). */
enum ogi_exit {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1, /* the server answered with an error */
	EXIT_USAGE = 2,   /* usage or connection error */
};

/* rpcclient.c */
struct rpc;

enum rpc_status {
	RPC_OK,      /* *result set */
	RPC_REFUSED, /* *error set: the server's error object */
	RPC_FAILED,  /* connection or protocol failure; message in err */
};

/* TLS settings of a connection. */
struct rpc_tls {
	bool on;
	const char *cafile; /* NULL: the system's CA certificates */
	const char *cert;   /* client certificate (PEM chain) or NULL */
	const char *key;    /* its key; NULL: in cert */
};

/*
 * Connects to HOST:PORT, [V6]:PORT or HOST. NULL with err on failure. With
 * TLS, the server's certificate must chain to the CA file and name HOST;
 * a client certificate is presented when given.
 */
struct rpc *rpc_connect(const char *addr, const struct rpc_tls *, char *err,
                        size_t errlen);
void rpc_close(struct rpc *);
/* The token goes in a batch [auth, call] in front of the first call. */
void rpc_set_token(struct rpc *, const char *token);
/*
 * Seconds to wait for an answer; 0 waits for ever; -1 for ever but wakes
 * every second, returning as on a signal, so that a flag set by a signal
 * handler is seen.
 */
void rpc_set_timeout(struct rpc *, int seconds);
/*
 * One call. params is borrowed (NULL for none). On RPC_OK *result is a new
 * reference; on RPC_REFUSED *error is. Pushed events read meanwhile are
 * queued for rpc_next_event.
 */
enum rpc_status rpc_call(struct rpc *, const char *method, json_t *params,
                         json_t **result, json_t **error, char *err,
                         size_t errlen);
/*
 * The next pushed event's params (new reference). Returns RPC_OK, or
 * RPC_FAILED with err ("" when interrupted by a signal).
 */
enum rpc_status rpc_next_event(struct rpc *, json_t **params, char *err,
                               size_t errlen);

/* output.c */
/* Display columns of UTF-8 text: East Asian wide and fullwidth count 2. */
int out_width(const char *s);
/*
 * Print s (cleaned) wrapped to avail columns, at spaces and between wide
 * characters; a newline in s, or a wrap, starts a line indent columns in.
 */
void out_wrap(FILE *fp, const char *s, int indent, int avail);
bool out_valid_utf8(const char *s);
/* A copy with control characters made spaces (newlines kept if asked). */
char *out_clean(const char *s, bool keep_newlines);
/*
 * The server's strings in v cleaned as out_clean(s, true) does, in place:
 * what the readable output prints of them cannot move the terminal.
 */
void out_clean_tree(json_t *v);
/* A clean one-line copy cut to at most cols columns, "…" marking a cut. */
char *out_cut(const char *s, int cols);
/* s padded with spaces to cols columns, on the left if right-aligned. */
void out_pad(FILE *, const char *s, int cols, bool right);
/* One CSV field, quoted when it needs to be. */
void out_csv_field(FILE *, const char *s);

struct table;
struct table *table_new(int ncols);
/* A table whose header row names its columns: table_with("ID", ..., NULL). */
struct table *table_with(const char *, ...) __attribute__((sentinel));
void table_free(struct table *);
/* Right-align a column (numbers). */
void table_align_right(struct table *, int col);
/* Append one cell to the current row; a full row starts the next one. */
void table_add(struct table *, const char *cell);
void table_addf(struct table *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int table_rows(const struct table *);
/* Columns of column col: the widest cell. */
int table_col_width(const struct table *, int col);
/* Row 0 is the header. indent spaces before each line. */
void table_print(const struct table *, FILE *, int indent);
/* The rows after the header, aligned as if the header were printed. */
void table_print_body(const struct table *, FILE *, int indent);
void table_print_csv(const struct table *, FILE *);

/* JSON helpers: a string member or NULL, and the like. */
const char *js(const json_t *obj, const char *key);
/* The first present string of several keys (a NULL-ended list). */
const char *js_any(const json_t *obj, ...);
/* A member as display text: strings as they are, numbers, true/false. */
char *jtext(const json_t *v); /* newly allocated; "" for null */
json_int_t jint(const json_t *obj, const char *key, json_int_t def);
bool jbool(const json_t *obj, const char *key);

/* commands.c and report.c */
struct args;
struct ctx;
int cmd_submit(struct ctx *, struct args *);
int cmd_show(struct ctx *, struct args *);
int cmd_receipt(struct ctx *, struct args *);
int cmd_list(struct ctx *, struct args *);
int cmd_overdue(struct ctx *, struct args *);
int cmd_due_soon(struct ctx *, struct args *);
int cmd_assign(struct ctx *, struct args *);
int cmd_review(struct ctx *, struct args *);
int cmd_secrecy(struct ctx *, struct args *);
int cmd_transition(struct ctx *, struct args *);
int cmd_extend(struct ctx *, struct args *);
int cmd_appeal(struct ctx *, struct args *);
int cmd_appeal_decided(struct ctx *, struct args *);
int cmd_watch(struct ctx *, struct args *);
int cmd_user(struct ctx *, struct args *);
int cmd_calendar(struct ctx *, struct args *);
int cmd_workdays(struct ctx *, struct args *);
int cmd_call(struct ctx *, struct args *);
int cmd_report(struct ctx *, struct args *);

/* An outcome code in Chinese, "不予公开：属于国家秘密"; allocated or NULL. */
char *report_outcome_text(const char *code);

/* ogi.c: what commands get from main. */
struct ctx {
	const char *addr;
	const char *token;
	bool json;       /* --json: raw results */
	bool raw;        /* call: results printed as sent, not cleaned */
	struct rpc *rpc; /* connected on first call */
	const struct command *cmd;
	bool tls;           /* --tls, OGI_TLS, tls = yes, or a CA file */
	const char *cafile; /* --cafile, OGI_CAFILE, cafile = */
	const char *cert;   /* --cert, OGI_CERT, cert = */
	const char *key;    /* --key, OGI_KEY, key = */
};

/*
 * One call over the context's connection. On success returns 0 with
 * *result (new reference); otherwise prints the reason on stderr and
 * returns the exit status (1 refused, 2 connection). params is stolen.
 */
int ctx_call(struct ctx *, const char *method, json_t *params, json_t **result);
/* Print a usage error for the current command; returns EXIT_USAGE. */
int ctx_usage(struct ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print a result as JSON on stdout (for --json and `call`). */
void ctx_print_json(const json_t *);

/* Parsed arguments of a command. */
#define ARGS_MAX 64
struct args {
	int npos;
	const char *pos[ARGS_MAX];
	const struct command *cmd;
	const char *val[ARGS_MAX]; /* by option index; flags give "" */
};

/* Option types for the command table. */
enum opt_type {
	OPT_FLAG,   /* no value */
	OPT_STRING, /* any text */
	OPT_INT,    /* a decimal integer */
	OPT_DATE,   /* YYYY-MM-DD */
	OPT_NUMBER, /* decimal number, e.g. yuan */
};

struct optspec {
	const char *name; /* without "--" */
	enum opt_type type;
	bool required;
	const char *metavar;
	const char *help;
	const char *param; /* cmd_transition: the method's parameter, or NULL */
};

struct command {
	const char *name;
	int (*fn)(struct ctx *, struct args *);
	int min_pos, max_pos; /* max_pos -1: any number */
	const char *synopsis; /* after the name */
	const char *help;
	const struct optspec *opts; /* ends with a NULL name; may be NULL */
	const char *method; /* cmd_transition: the transition it calls */
};

/* An option's value, or NULL when not given. */
const char *arg_opt(const struct args *, const char *name);
bool arg_flag(const struct args *, const char *name);
/* Parse a positional or option value as an integer; usage error if not. */
int arg_int(struct ctx *, const char *s, const char *what, long long *out);
/* Add option `name` to params under `key`, typed as declared. */
int arg_put(struct ctx *, const struct args *, json_t *params, const char *name,
            const char *key);
int arg_check_date(struct ctx *, const char *s, const char *what);

#endif
