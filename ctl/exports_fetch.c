/*
 * exports_fetch.c - the running kernel's export list over the network
 * (ExportsRequest, paged): what `theseusctl exports` prints and what
 * `theseusctl lint --target HOST` resolves imports against.  The kernel's
 * own exports become owner "the kernel", the exports of loaded modules owner
 * = their module (weak ones not strong), and the list's module API is kept,
 * exactly as an exports.txt plus --with objects would give them.
 *
 * Pages are asked from start = symbols received until total.  A list that
 * changes while it is read (a module loaded or swapped between two pages:
 * another generation or total) is read again from the start, a few times
 * at most.
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

#define FETCH_ATTEMPTS 3

/* One page's symbols into t; TH_EPROTO naming what is wrong in a reply. */
static int take_page(struct ctl_lint_syms *t, const Theseus__ExportsReply *x, uint32_t start,
		     struct th_errbuf *eb)
{
	if (x->start != start)
		return th_errf(eb, TH_EPROTO, "exports: asked from %u, got a page from %u", start,
			       x->start);
	if (x->n_symbols > x->total - start)
		return th_errf(eb, TH_EPROTO, "exports: %zu symbols from %u overrun the total %u",
			       x->n_symbols, start, x->total);
	for (size_t i = 0; i < x->n_symbols; i++) {
		const Theseus__ExportedSymbol *s = x->symbols[i];
		if (!s->name || !s->name[0] || !s->module)
			return th_errf(eb, TH_EPROTO, "exports: symbol %zu has no name",
				       (size_t)start + i);
		const char *owner = s->module[0] ? s->module : "the kernel";
		if (ctl_lint_add_sym(t, s->name, owner, !s->weak) != TH_OK)
			return th_errf(eb, TH_ENOMEM, "no memory");
	}
	return TH_OK;
}

int ctl_exports_fetch(struct ctl_ctx *ctx, struct ctl_lint_syms *t)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ExportsRequest xq = THESEUS__EXPORTS_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_EXPORTS;
	req.exports = &xq;
	for (int attempt = 0; attempt < FETCH_ATTEMPTS; attempt++) {
		uint32_t total = 0;
		uint64_t generation = 0;
		bool changed = false;
		ctl_lint_free(t);
		xq.start = 0;
		for (;;) {
			Theseus__Reply *rep = NULL;
			struct th_errbuf eb = { "" };
			int err = ctl_call_expect(ctx, "exports", &req, THESEUS__REPLY__PAYLOAD_EXPORTS,
						  &rep);
			if (err)
				return ctl_exit_status(ctx, err);
			const Theseus__ExportsReply *x = rep->exports;
			if (xq.start == 0) {
				total = x->total;
				generation = x->generation;
				t->api = x->module_api;
			}
			if (x->generation != generation || x->total != total ||
			    x->module_api != t->api) {
				changed = true;
			} else if ((err = take_page(t, x, xq.start, &eb)) != TH_OK) {
				theseus__reply__free_unpacked(rep, NULL);
				ctl_fail(ctx, err, "%s", eb.msg);
				return ctl_exit_status(ctx, err);
			} else if (x->n_symbols == 0 && xq.start < total) {
				changed = true;  /* the list shrank under us */
			}
			xq.start += (uint32_t)x->n_symbols;
			theseus__reply__free_unpacked(rep, NULL);
			if (changed || xq.start >= total)
				break;
		}
		if (!changed) {
			t->generation = generation;
			if (!t->api) {
				ctl_fail(ctx, TH_EPROTO, "exports: the kernel names no module API "
					 "version: not an export list");
				return CTL_EXIT_REMOTE;
			}
			return CTL_EXIT_OK;
		}
	}
	ctl_fail(ctx, TH_EBUSY, "exports: the export list changed while it was read, %d times "
		 "(modules being loaded or swapped): try again", FETCH_ATTEMPTS);
	return CTL_EXIT_REMOTE;
}
