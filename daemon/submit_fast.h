/*
 * submit_fast.c: an app.submit request read without a jansson tree.
 *
 * Under a stream of submits, a request's tree (some 45 blocks), its walk
 * by params_check_with, its free, and its params written out again for the
 * history event were ~9% of the loop thread's time (perf). This reader
 * takes one common shape, a line that is exactly
 *
 *   {"jsonrpc":"2.0","id":ID,"method":"app.submit","params":{...}}
 *
 * (members in any order, JSON whitespace between tokens), where ID is a
 * plain integer or a string, and params holds only members of the method's
 * table, each a string or null, but for one member that is an object of
 * the same kind (applicant). Strings must need no unescaping: no
 * backslash, no control character; they must be valid UTF-8. For anything
 * else it is not sure, and the line goes the usual way (jr_loadb, rpc_call,
 * params_check_with), which gives the usual answer, error or result.
 *
 * Such strings are their own JSON text (jw_escaped has nothing to escape
 * in them), so the params' canonical text for the history (sorted keys,
 * no whitespace: what jw_json_valid writes of the tree) is made of the
 * line's own bytes.
 */
#ifndef OGI_SUBMIT_FAST_H
#define OGI_SUBMIT_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "params.h"

#define SF_MAX_FIELDS 16 /* rows a table may have (the caller asserts it) */

enum sf_state { SF_ABSENT, SF_NULL, SF_STRING, SF_OBJECT };

struct sf_field {
	enum sf_state state;
	const char *s; /* SF_STRING: NUL-terminated, in line */
	size_t n;
};

struct submit_fast {
	char *line; /* a copy of the request line, strings cut out of it */
	size_t len; /* the line's length (line has one more byte, a NUL) */
	char *orig; /* the line as it came: for the tree, if it is wanted */
	/* (line and orig live in the request's own block) */
	json_t *id;                     /* the request's id (owned) */
	const struct pspec *spec, *sub; /* the tables (the method's own) */
	struct sf_field f[SF_MAX_FIELDS], g[SF_MAX_FIELDS]; /* by table row */
};

/*
 * Read buf as an app.submit request against spec (one of whose rows is a
 * P_OBJECT with sub as its table). The request (caller frees with
 * submit_fast_free), or NULL: not sure.
 */
struct submit_fast *submit_fast_read(const char *buf, size_t len,
                                     const struct pspec *spec,
                                     const struct pspec *sub);
void submit_fast_free(struct submit_fast *);
/* The whole request as jansson reads it (new reference), or NULL. */
json_t *submit_fast_tree(const struct submit_fast *);
/* The params' canonical text (sorted keys, compact) appended to w. */
struct jw;
void submit_fast_params_text(const struct submit_fast *, struct jw *);

#endif
