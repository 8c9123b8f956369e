/*
 * rpc.c: the JSON-RPC 2.0 envelope, private to conn.c (and fuzzers). No
 * libevent here: a line goes in, response bytes come out through a
 * callback, and the methods run in between.
 *
 * One line is one rpc_work. It is resumable: a call that wrote to the store
 * stops the work (RPC_WAIT) until the group commit reports, so the next call
 * of a batch only runs after the previous write is durable.
 */
#ifndef OGI_RPC_H
#define OGI_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct session;

enum rpc_step {
	RPC_MORE, /* more calls to run: call rpc_work_step again */
	RPC_WAIT, /* a call wrote: wait for rpc_work_commit_done */
	RPC_DONE, /* the whole response line has been emitted */
};

struct rpc_work {
	json_t *root; /* the parsed line (owned), NULL once done */
	size_t next;  /* next call to run */
	size_t n;     /* number of calls (1 unless a batch) */
	bool batch;   /* the line is an array */
	bool opened;  /* batch: "[" emitted */
	bool done;    /* everything emitted */
	bool waiting; /* a write waits for the commit */
	json_t
	    *held;  /* that write's response (owned), NULL for a notification */
	bool close; /* close the connection after this line (auth failures) */
	bool refuse;   /* answer every call -32005: shutting down */
	bool closing;  /* the rest of the batch -32005: auth failures */
	bool overflow; /* a number out of range (overflow.h): none runs */
	bool nul;      /* jansson parsed it: strings may hold "\u0000" */
	struct submit_fast *fast; /* an app.submit read without a tree */
	json_dump_callback_t emit;
	void *arg;
};

/*
 * Parse one line (without its "\n"). A parse error, a duplicate key or an
 * empty batch is answered at once and the work is done.
 */
void rpc_work_start(struct rpc_work *, const char *, size_t, bool refuse,
                    json_dump_callback_t emit, void *arg);
/* Run the next call. */
enum rpc_step rpc_work_step(struct rpc_work *, struct session *);
/*
 * The commit the work waited for is done: emit the held response, or on
 * failure a -32005 error in place of its result. Returns true when the line
 * is then complete.
 */
bool rpc_work_commit_done(struct rpc_work *, bool ok, const char *why);
void rpc_work_free(struct rpc_work *);

/* Free the reusable serialisation buffer (at exit). */
void rpc_free_buffers(void);

/* One error response line with id null, "\n" included. Caller frees. */
char *rpc_error_line(int code, const char *message);

#endif
