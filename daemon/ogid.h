/*
 * ogid: shared declarations of the daemon, grouped by file (as tmux.h).
 * JSON lives only in rpc.c, methods*.c, events.c and timers.c.
 */
#ifndef OGI_OGID_H
#define OGI_OGID_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "../lib/calendar.h"
#include "../lib/config.h"

#define OGI_VERSION "0.1.0"

/* Roles of SPEC section 1, as a bit mask. */
enum role {
	ROLE_CLERK = 1 << 0,
	ROLE_REVIEWER = 1 << 1,
	ROLE_SECRECY = 1 << 2,
	ROLE_SUPERVISOR = 1 << 3,
	ROLE_ADMIN = 1 << 4,
};
#define ROLE_ALL                                                               \
	(ROLE_CLERK | ROLE_REVIEWER | ROLE_SECRECY | ROLE_SUPERVISOR |         \
	 ROLE_ADMIN)

/* Error codes of SPEC section 5. */
enum rpc_code {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL = -32603,
	RPC_UNAUTHENTICATED = -32001,
	RPC_FORBIDDEN = -32002,
	RPC_NOT_FOUND = -32003,
	RPC_CONFLICT = -32004,
	RPC_BUSY = -32005,
};

/* An error being returned: message is static or owned here; data owned. */
struct rpc_error {
	int code;
	char message[256];
	json_t *data; /* owned reference or NULL */
};

/* Per-connection state the methods see. Owned by conn.c. */
struct session {
	uint64_t conn_id;
	char peer[64];
	unsigned char addr_key[16]; /* peers_key of the client's address */
	bool loopback;              /* peer is 127/8, ::1 or a unix socket */
	bool authed;
	int auth_failures;
	int64_t user_id;
	char user[64];
	unsigned roles;
	uint64_t token_epoch; /* user's token generation when authed */
	uint64_t auth_gen;    /* events_auth_gen when last validated */
	bool subscribed;
	size_t sub_slot; /* its place in events.c's subscribers + 1; 0: none */
	unsigned event_mask; /* bit per event type, see events.c */
	struct conn *conn;
};

/* daemon.c: the process-wide state. */
struct daemon {
	struct event_base *base;
	struct ogi_config cfg;
	struct store *store;  /* writer: group transactions */
	struct store *rstore; /* reader: committed data only */
	struct cal *cal;
	bool fake_clock;
	int64_t fake_now;       /* unix seconds, when fake_clock */
	int64_t fake_committed; /* fake_now at the last commit (commit.c) */
	int due_soon_committed; /* cfg.due_soon_days the timers follow */
	bool shutting_down;
	unsigned nconns;
	const char *db_path;
};
extern struct daemon *ogid;
int64_t daemon_now(void); /* unix seconds (fake clock honoured) */
day_t daemon_today(void); /* local date in the configured zone */

/* rpc.c: errors */
void rpc_error_set(struct rpc_error *, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* -32602 with data {field, reason}. */
void rpc_error_param(struct rpc_error *, const char *field, const char *reason);
/* -32002 with data {required: [roles...]}. */
void rpc_error_forbidden(struct rpc_error *, unsigned required_roles,
                         const char *why);
void rpc_error_clear(struct rpc_error *);
json_t *roles_to_json(unsigned roles); /* new reference */
/* A result already rendered as JSON text, spliced as it is (new ref). */
json_t *rpc_raw_result(const char *text, size_t len);
int roles_from_name(const char *name, unsigned *role);

/*
 * methods.c: one table from method name to handler.
 *
 * methods_call runs one call. On success it sets *result (new reference)
 * and returns 0; on failure fills err and returns -1. If the call wrote to
 * the store, *wrote is set: the write sits in the open group transaction
 * (commit.c), and the response must not reach the client before
 * commit_done() reports the commit.
 */
int methods_call(struct session *, const char *method, json_t *params,
                 json_t **result, struct rpc_error *err, bool *wrote);
/* True if the method exists (for -32601 vs. -32001 ordering). */
bool methods_exists(const char *method);
/*
 * app.submit read without a tree (submit_fast.h), against its own tables;
 * NULL if the reader is not sure. methods_submit_fast names the request
 * whose call runs next (NULL after it): m_app_submit takes its fields
 * from it (rpc.c then passes no params).
 */
struct submit_fast;
struct submit_fast *methods_submit_read(const char *buf, size_t len);
void methods_submit_fast(const struct submit_fast *);
/* Is call (a batch's first element) an auth: 1 valid, -1 not, 0 no auth */
int methods_auth_head(struct session *, json_t *call);
/* The session's user still enabled, with the same token (else the session
 * is made unauthenticated). */
bool methods_session_valid(struct session *);

/*
 * commit.c: group commit. A write handler calls commit_begin() before its
 * first statement (opens BEGIN IMMEDIATE lazily and a SAVEPOINT for this
 * call) and commit_end(ok) after (RELEASE or ROLLBACK TO). The transaction
 * is committed once the loop has drained what is readable; then every
 * waiter gets conn_commit_done().
 */
int commit_begin(void);
void commit_end(bool ok);
int commit_begin_whole(void);
void commit_end_whole(bool ok);
void commit_wait(struct conn *);   /* conn waits for the open transaction */
void commit_forget(struct conn *); /* conn is being freed */
int commit_now(void); /* commit synchronously (start-up, shutdown) */
void commit_init(struct event_base *);
void commit_free(void);
void commit_stats(unsigned long long *commits, unsigned long long *writes);
/* Commits failed in a row since the last that succeeded; *why, the first's
 * reason (NULL when none failed). */
unsigned long long commit_failing(const char **why);

/* conn.c */
void conn_commit_done(struct conn *, bool ok, const char *why);
/* One notification line (its "\n" included) to a subscriber's output. */
void conn_push(struct conn *, const char *line, size_t len);
struct session *conn_session(struct conn *);
/*
 * The session's user was disabled or its token rotated (found when it
 * calls or an event would be pushed): no more events, and the time to
 * authenticate again counts from now. NULL is ignored.
 */
void conn_deauthed(struct conn *);

/* ---- added by the conn/server/rpc helper ---- */

/* server.c */
/* Listen on cfg.listen, or on the socket systemd passed; print
 * "ogid: listening on ADDR:PORT". Returns 0, or -1 (logged). */
int server_open(bool loopback_only); /* bind or inherit; -2: not loopback */
int server_listen(void);             /* accept on it; print the ready line */
bool server_loopback(const struct sockaddr *); /* 127/8, ::1, unix */
void server_stop_accepting(void);              /* close the listening socket */

/* conn.c (continued) */
struct sockaddr;
struct peer;
void conn_accept(evutil_socket_t, struct sockaddr *, int socklen,
                 struct peer *);
unsigned conn_count(void);
/* Close the oldest connection that has not authenticated; false if none. */
bool conn_evict_unauthenticated(void);
/*
 * SIGTERM: stop reading every connection; the line each one is running
 * finishes (writes included), complete lines already received get -32005,
 * then each closes once its output is flushed. done() is called once from
 * the loop when no connection is left (at most 5 s later: the rest are
 * then closed).
 */
void conn_shutdown(void (*done)(void));
/* Close and free every connection now; outside callbacks, at exit. */
void conn_close_all(void);

/* tls.c: TLS on the listening socket (tls_cert, tls_key, tls_ca). */
struct ssl_st;
/* Make the SSL_CTX if tls_cert is set: 0, or -1 (logged). */
int tls_init(const struct ogi_config *);
void tls_free(void);
bool tls_enabled(void);
struct ssl_st *tls_ssl_new(void); /* NULL (logged) on failure */
/* "version=... cipher=... [client=\"subject\"]" for the log. */
void tls_describe(struct ssl_st *, char *buf, size_t size);
/* Send close_notify if the handshake is done and it was not sent. */
void tls_close_notify(struct ssl_st *);
/* An OpenSSL error code as text; NULL if e is not one. */
const char *tls_error_text(unsigned long e);

#endif
