/* methods*.c: the handlers, one table from name to handler (methods.c). */
#ifndef OGI_METHODS_H
#define OGI_METHODS_H

#include <stdbool.h>

#include <jansson.h>

#include "ogid.h"

struct app;
struct pspec;
struct store_event;

typedef int (*method_fn)(struct session *, json_t *params, json_t **result,
                         struct rpc_error *, bool *wrote);

/* methods_submit.c */
int m_app_submit(struct session *, json_t *, json_t **, struct rpc_error *,
                 bool *);
/* A P_DATE field that may not lie after today (SPEC section 2). */
int methods_field_not_future(json_t *, const struct pspec *,
                             struct rpc_error *);
/* methods_transition.c */
int m_app_transition(struct session *, const char *method, json_t *, json_t **,
                     struct rpc_error *, bool *);
/* methods_app.c */
/* -32003 for id. */
void methods_not_found(struct rpc_error *, const char *id);
/* id has the shape of an application number (YYYY-NNNNNN). */
int methods_valid_id(const char *id);
/* The application as roles see it, a raw result (view_app_text's bytes). */
json_t *methods_view_result(const struct app *, unsigned roles);
int m_app_get(struct session *, json_t *, json_t **, struct rpc_error *,
              bool *);
int m_app_list(struct session *, json_t *, json_t **, struct rpc_error *,
               bool *);
int m_deadline_overdue(struct session *, json_t *, json_t **,
                       struct rpc_error *, bool *);
int m_deadline_due_soon(struct session *, json_t *, json_t **,
                        struct rpc_error *, bool *);
/* methods_report.c */
int m_report_annual(struct session *, json_t *, json_t **, struct rpc_error *,
                    bool *);
int m_report_summary(struct session *, json_t *, json_t **, struct rpc_error *,
                     bool *);

/* A new token (256 random bits as 64 hex digits) and its hash. */
void methods_token_new(char out[65], uint8_t hash[32]);
/* SHA-256 of a token, as stored. */
void methods_token_hash(const char *token, uint8_t out[32]);
/* History: append one event (canonical JSON) for app id; 0 or -1. */
int history_append(const char *app_id, int64_t at, const char *actor,
                   const char *method, int from_state, int to_state,
                   json_t *params, int64_t version);
/* The same, and on success the event as stored in *out (its content is
 * the caller's to free: store_events_free(out, 1) frees out too, so use
 * free(out->content) for one on the stack). */
int history_append_event(const char *app_id, int64_t at, const char *actor,
                         const char *method, int from_state, int to_state,
                         json_t *params, int64_t version,
                         struct store_event *out);
/* OGID_VIEW_CHECK is set: check fast paths against jansson's (tests). */
bool methods_view_check(void);
/* The same with params given as canonical JSON text (submit_fast.h). */
int history_append_text(const char *app_id, int64_t at, const char *actor,
                        const char *method, int from_state, int to_state,
                        const char *params_text, size_t params_len,
                        int64_t version, struct store_event *out);
/* Store failure as a JSON-RPC error (-32005 if transient, else -32603). */
void store_error_to_rpc(struct rpc_error *, struct store *);

#endif
