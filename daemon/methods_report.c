/* report.annual and report.summary (SPEC section 7). */
#include "methods.h"

int
m_report_annual(struct session *s, json_t *params, json_t **result,
		struct rpc_error *err, bool *wrote)
{
	rpc_error_set(err, RPC_INTERNAL, "report.annual is not built yet");
	return -1;
}

int
m_report_summary(struct session *s, json_t *params, json_t **result,
		 struct rpc_error *err, bool *wrote)
{
	rpc_error_set(err, RPC_INTERNAL, "report.summary is not built yet");
	return -1;
}
