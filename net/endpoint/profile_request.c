/*
 * profile_request.c - the endpoint's handler of ProfileRequest (theseusctl
 * profile): start or stop the kernel's sampling profiler, and one page of
 * its report (summary, per-CPU totals, (function, module) entries ranked
 * by samples).
 *
 * Mutating (the routing table wants the key).  start and stop together are
 * refused before anything changes.  The report is recomputed by the kernel
 * for a page at offset 0 and for start/stop (ops->profile_control's
 * refresh), and read from the kernel's last one for later pages, so one
 * report is aggregated once however many pages it takes.  Entries are
 * added while the packed reply stays under the datagram limit, so a page
 * always fits; the client asks again from offset + len(entries) until
 * entries_total (proto/theseus.proto, ProfileRequest).
 */
#include "endpoint_impl.h"

#define PROFILE_PAGE_MAX 64   /* entries per page at most, whatever fits */

static int cpus_msg(struct endpoint *ep, struct endpoint_profile *p, Theseus__ProfileReply *pr)
{
	uint32_t nc = p->n_cpus < ENDPOINT_PROFILE_CPUS ? p->n_cpus : ENDPOINT_PROFILE_CPUS;
	pr->cpus = ep_arena_alloc(&ep->arena, (nc ? nc : 1) * sizeof *pr->cpus);
	if (!pr->cpus)
		return TH_ENOMEM;
	for (uint32_t i = 0; i < nc; i++) {
		Theseus__ProfileCpu *c = ep_arena_alloc(&ep->arena, sizeof *c);
		if (!c)
			return TH_ENOMEM;
		theseus__profile_cpu__init(c);
		c->cpu = p->cpus[i].cpu;
		c->samples = p->cpus[i].samples;
		c->idle = p->cpus[i].idle;
		pr->cpus[pr->n_cpus++] = c;
	}
	return TH_OK;
}

int ep_handle_profile(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		      size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__ProfileRequest *q = req->profile;
	if (q->start && q->stop)
		return th_errf(eb, TH_EINVAL, "profile: start and stop in one request; send "
			       "start, then stop (nothing was changed)");
	if (!ep->ops.profile_control || !ep->ops.profile_entry)
		return ep_not_supported("profile", eb);
	Theseus__ProfileReply *pr = ep_arena_alloc(&ep->arena, sizeof *pr);
	struct endpoint_profile *p = ep_arena_alloc(&ep->arena, sizeof *p);
	struct endpoint_profile_entry *x = ep_arena_alloc(&ep->arena, sizeof *x);
	if (!pr || !p || !x)
		return ep_no_memory(eb);
	theseus__profile_reply__init(pr);
	enum endpoint_profile_action action = q->start ? ENDPOINT_PROFILE_START
					      : q->stop ? ENDPOINT_PROFILE_STOP
							: ENDPOINT_PROFILE_REPORT;
	bool refresh = q->start || q->stop || q->offset == 0;
	int err = ep->ops.profile_control(ep->ops.ctx, action, refresh, p, eb);
	if (err) {
		if (!eb->msg[0])
			th_errf(eb, err, "profile: %s", th_strerror(err));
		return err;
	}
	pr->running = p->running;
	pr->elapsed_ms = p->elapsed_ms;
	pr->hz = p->hz;
	pr->samples = p->samples;
	pr->lost = p->lost;
	pr->offset = q->offset;
	pr->entries_total = p->entries_total;
	if (cpus_msg(ep, p, pr))
		return ep_no_memory(eb);
	rep->payload_case = THESEUS__REPLY__PAYLOAD_PROFILE;
	rep->profile = pr;
	if (q->offset > p->entries_total)
		return th_errf(eb, TH_ERANGE, "profile: offset %u is beyond the %u entries of the "
			       "report", q->offset, p->entries_total);
	uint32_t left = p->entries_total - q->offset;
	uint32_t room = left < PROFILE_PAGE_MAX ? left : PROFILE_PAGE_MAX;
	pr->entries = ep_arena_alloc(&ep->arena, (room ? room : 1) * sizeof *pr->entries);
	if (!pr->entries)
		return ep_no_memory(eb);
	size_t limit = ep_page_limit(reply_cap);
	for (uint32_t i = 0; i < room; i++) {
		memset(x, 0, sizeof *x);
		err = ep->ops.profile_entry(ep->ops.ctx, q->offset + i, x);
		if (err == TH_ENOENT)
			break;
		if (err)
			return th_errf(eb, err, "profile: entry %u: %s", q->offset + i,
				       th_strerror(err));
		x->function[sizeof x->function - 1] = 0;
		x->module[sizeof x->module - 1] = 0;
		Theseus__ProfileEntry *e = ep_arena_alloc(&ep->arena, sizeof *e);
		if (!e)
			return ep_no_memory(eb);
		theseus__profile_entry__init(e);
		e->function = ep_arena_strdup(&ep->arena, x->function);
		e->module = ep_arena_strdup(&ep->arena, x->module);
		if ((!e->function[0] && x->function[0]) || (!e->module[0] && x->module[0]))
			return ep_no_memory(eb);
		e->samples = x->samples;
		e->idle = x->idle;
		pr->entries[pr->n_entries++] = e;
		if (theseus__reply__get_packed_size(rep) > limit) {
			pr->n_entries--;   /* first on the next page */
			if (pr->n_entries == 0)   /* none would ever fit: say so, never loop */
				return th_errf(eb, TH_EOVERFLOW,
					       "profile: entry %u does not fit a reply", q->offset);
			break;
		}
	}
	return TH_OK;
}
