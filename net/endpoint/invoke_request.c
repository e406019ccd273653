/*
 * invoke_request.c - the endpoint's invoke request: call a module's function
 * by name with bytes in and bytes out (theseusctl invoke).  The names and
 * the input size are checked here; the kernel (ops->invoke) finds the
 * function in the module at every call and runs it.
 */
#include "endpoint_impl.h"

int ep_handle_invoke(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		     size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__InvokeRequest *iv = req->invoke;
	if (!proto_name_ok(iv->module, PROTO_NAME_MAX))
		return th_errf(eb, TH_EINVAL, "invoke: module name must be 1-%u characters "
			       "of [A-Za-z0-9_.-]", PROTO_NAME_MAX - 1);
	if (!proto_name_ok(iv->function, PROTO_NAME_MAX))
		return th_errf(eb, TH_EINVAL, "invoke: function name must be 1-%u characters "
			       "of [A-Za-z0-9_.-]", PROTO_NAME_MAX - 1);
	if (iv->input.len > PROTO_INVOKE_MAX_IN)
		return th_errf(eb, TH_ETOOBIG, "invoke: input of %zu bytes exceeds %u",
			       iv->input.len, PROTO_INVOKE_MAX_IN);
	if (!ep->ops.invoke)
		return ep_not_supported("invoke", eb);
	size_t cap = iv->max_output;
	if (cap == 0 || cap > PROTO_INVOKE_MAX_OUT)
		cap = PROTO_INVOKE_MAX_OUT;
	Theseus__InvokeReply *ir = ep_arena_alloc(&ep->arena, sizeof(Theseus__InvokeReply));
	uint8_t *out = ep_arena_alloc(&ep->arena, cap);
	if (!ir || !out)
		return ep_no_memory(eb);
	theseus__invoke_reply__init(ir);
	size_t out_len = 0;
	int result = 0;
	int err = ep->ops.invoke(ep->ops.ctx, iv->module, iv->function, iv->input.data,
				 iv->input.len, out, cap, &out_len, &result, eb);
	if (err) {
		if (!eb->msg[0])
			th_errf(eb, err, "invoke: %s.%s: %s", iv->module, iv->function,
				th_strerror(err));
		return err;
	}
	ep->counters.invokes++;
	if (out_len > cap)
		return th_errf(eb, TH_EOVERFLOW, "invoke: %s.%s claims %zu output bytes, "
			       "capacity was %zu", iv->module, iv->function, out_len, cap);
	ir->result = result;
	ir->output.data = out;
	ir->output.len = out_len;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_INVOKE;
	rep->invoke = ir;
	if (result > 0)
		result = 0;  /* a positive value is the function's own business */
	if (result && !strcmp(th_err_name(result), "E?")) /* not a TH_E* code: a number */
		th_errf(eb, result, "invoke: %s.%s returned %d", iv->module, iv->function, result);
	else if (result)
		th_errf(eb, result, "invoke: %s.%s returned %s", iv->module, iv->function,
			th_err_name(result));
	return result;
}
