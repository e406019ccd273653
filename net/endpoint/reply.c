/*
 * reply.c - what every handler uses to build its reply: the two common
 * refusals (the request arena is exhausted; the kernel lacks an operation)
 * and the stage times of a swap engine transaction as messages (the swap,
 * rollback and history replies carry them).
 */
#include "endpoint_impl.h"

size_t ep_page_limit(size_t reply_cap)
{
	return (reply_cap < PROTO_MAX_DATAGRAM ? reply_cap : PROTO_MAX_DATAGRAM) - 256;
}

int ep_no_memory(struct th_errbuf *eb)
{
	return th_errf(eb, TH_ENOMEM, "endpoint: request arena exhausted building the reply");
}

int ep_not_supported(const char *what, struct th_errbuf *eb)
{
	return th_errf(eb, TH_ENOTSUP, "%s: not supported by this kernel", what);
}

int ep_stages_msg(struct endpoint *ep, struct endpoint_stage_time *stages, uint32_t n_stages,
		  Theseus__StageTime ***out, size_t *n)
{
	uint32_t ns = n_stages < ENDPOINT_MAX_STAGES ? n_stages : ENDPOINT_MAX_STAGES;
	*n = 0;
	*out = ep_arena_alloc(&ep->arena, (ns ? ns : 1) * sizeof **out);
	if (!*out)
		return TH_ENOMEM;
	for (uint32_t s = 0; s < ns; s++) {
		Theseus__StageTime *st = ep_arena_alloc(&ep->arena, sizeof *st);
		if (!st)
			return TH_ENOMEM;
		theseus__stage_time__init(st);
		stages[s].stage[sizeof stages[s].stage - 1] = 0;
		st->stage = ep_arena_strdup(&ep->arena, stages[s].stage);
		st->ns = stages[s].ns;
		(*out)[(*n)++] = st;
	}
	return TH_OK;
}
