/*
 * exports_request.c - the endpoint's handler of ExportsRequest: one page of
 * the running kernel's export list (the kernel's exports, then every loaded
 * module's, each named with its module) and the loader's module API
 * version, for `theseusctl exports` and `theseusctl lint --target`.
 *
 * Read-only (served without a key, like ls).  Asks the kernel through the
 * optional ops->export_count / export_get (NULL: ENOTSUP); symbols are
 * added while the packed reply stays under the datagram limit, so a page
 * always fits; the client asks again from start + len(symbols) until total.
 */
#include "endpoint_impl.h"

#define EXPORTS_PAGE_MAX 128   /* symbols per page at most, whatever fits */

int ep_handle_exports(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		      size_t reply_cap, struct th_errbuf *eb)
{
	if (!ep->ops.export_count || !ep->ops.export_get)
		return ep_not_supported("exports", eb);
	Theseus__ExportsReply *xr = ep_arena_alloc(&ep->arena, sizeof *xr);
	struct endpoint_export *x = ep_arena_alloc(&ep->arena, sizeof *x);
	if (!xr || !x)
		return ep_no_memory(eb);
	theseus__exports_reply__init(xr);
	uint32_t api = 0;
	uint64_t generation = 0;
	uint32_t total = ep->ops.export_count(ep->ops.ctx, &api, &generation);
	uint32_t start = req->exports->start;
	xr->module_api = api;
	xr->generation = generation;
	xr->total = total;
	xr->start = start;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_EXPORTS;
	rep->exports = xr;
	if (start > total)
		return th_errf(eb, TH_ERANGE, "exports: start %u is beyond the %u symbols exported",
			       start, total);
	uint32_t room = total - start < EXPORTS_PAGE_MAX ? total - start : EXPORTS_PAGE_MAX;
	xr->symbols = ep_arena_alloc(&ep->arena, (room ? room : 1) * sizeof *xr->symbols);
	if (!xr->symbols)
		return ep_no_memory(eb);
	size_t limit = ep_page_limit(reply_cap);
	for (uint32_t i = 0; i < room; i++) {
		memset(x, 0, sizeof *x);
		int err = ep->ops.export_get(ep->ops.ctx, start + i, x);
		if (err == TH_ENOENT)
			break;  /* the list shrank since export_count: total says so next time */
		if (err)
			return th_errf(eb, err, "exports: symbol %u: %s", start + i, th_strerror(err));
		x->name[sizeof x->name - 1] = 0;
		x->module[sizeof x->module - 1] = 0;
		Theseus__ExportedSymbol *s = ep_arena_alloc(&ep->arena, sizeof *s);
		if (!s)
			return ep_no_memory(eb);
		theseus__exported_symbol__init(s);
		s->name = ep_arena_strdup(&ep->arena, x->name);
		s->module = ep_arena_strdup(&ep->arena, x->module);
		s->weak = x->weak;
		if (!s->name[0] && x->name[0])
			return ep_no_memory(eb);
		xr->symbols[xr->n_symbols++] = s;
		if (theseus__reply__get_packed_size(rep) > limit) {
			xr->n_symbols--;  /* served first on the next page */
			if (xr->n_symbols == 0)  /* none would ever fit: say so, never loop */
				return th_errf(eb, TH_EOVERFLOW,
					       "exports: symbol %u does not fit a reply", start);
			break;
		}
	}
	return TH_OK;
}
