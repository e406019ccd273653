/*
 * handlers.c - the endpoint's handlers of the simple request kinds: ping,
 * info, list_modules (paged to fit one datagram), push_chunk and
 * object_status.  Swap and rollback are in swap_request.c, invoke in
 * invoke_request.c, the read-only inspections in inspect.c.  Each handler validates
 * every field first, then acts, and fills the reply payload from the arena.
 */
#include "endpoint_impl.h"

#define ALLOC(ep, T) ((T *)ep_arena_alloc(&(ep)->arena, sizeof(T)))

int ep_handle_ping(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__Ping *p = req->ping;
	if (p->payload.len > PROTO_PING_MAX)
		return th_errf(eb, TH_ETOOBIG, "ping: payload of %zu bytes exceeds %u",
			       p->payload.len, PROTO_PING_MAX);
	Theseus__Pong *pong = ALLOC(ep, Theseus__Pong);
	if (!pong)
		return ep_no_memory(eb);
	theseus__pong__init(pong);
	pong->payload = p->payload;  /* lives in the arena too */
	rep->payload_case = THESEUS__REPLY__PAYLOAD_PONG;
	rep->pong = pong;
	return TH_OK;
}

/* The NIC's counters as their message (absent from InfoReply without a NIC). */
static void nic_counters_msg(Theseus__NicCounters *nc, const struct endpoint_nic_counters *k)
{
	theseus__nic_counters__init(nc);
	nc->rx_packets = k->rx_packets;
	nc->rx_bytes = k->rx_bytes;
	nc->rx_drops = k->rx_drops;
	nc->rx_errors = k->rx_errors;
	nc->tx_packets = k->tx_packets;
	nc->tx_bytes = k->tx_bytes;
	nc->tx_drops = k->tx_drops;
	nc->tx_errors = k->tx_errors;
	nc->irqs = k->irqs;
}

int ep_handle_info(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb)
{
	Theseus__InfoReply *in = ALLOC(ep, Theseus__InfoReply);
	Theseus__EndpointCounters *c = ALLOC(ep, Theseus__EndpointCounters);
	struct endpoint_info *ki = ep_arena_alloc(&ep->arena, sizeof *ki);
	if (!in || !c || !ki)
		return ep_no_memory(eb);
	theseus__info_reply__init(in);
	theseus__endpoint_counters__init(c);
	if (ep->ops.info) {
		int err = ep->ops.info(ep->ops.ctx, ki);
		if (err)
			return th_errf(eb, err, "info: kernel could not report: %s", th_strerror(err));
		ki->kernel_version[sizeof ki->kernel_version - 1] = 0;
		ki->address[sizeof ki->address - 1] = 0;
		ki->nic_pci_id[sizeof ki->nic_pci_id - 1] = 0;
		ki->nic_model[sizeof ki->nic_model - 1] = 0;
		ki->nic_driver[sizeof ki->nic_driver - 1] = 0;
		ki->nic_driver_version[sizeof ki->nic_driver_version - 1] = 0;
	}
	in->kernel_version = ep_arena_strdup(&ep->arena, ki->kernel_version);
	in->address = ep_arena_strdup(&ep->arena, ki->address);
	in->uptime_ms = ki->uptime_ms;
	in->mem_total = ki->mem_total;
	in->mem_used = ki->mem_used;
	in->cpus = ki->cpus;
	in->nic_pci_id = ep_arena_strdup(&ep->arena, ki->nic_pci_id);
	in->nic_model = ep_arena_strdup(&ep->arena, ki->nic_model);
	in->nic_driver = ep_arena_strdup(&ep->arena, ki->nic_driver);
	in->nic_driver_version = ep_arena_strdup(&ep->arena, ki->nic_driver_version);
	in->proto_version = PROTO_VERSION;
	in->key_configured = ep->has_key;
	in->staging_objects = staging_count(&ep->staging);
	in->staging_bytes = ep->staging.used_bytes;
	in->staging_max_objects = ep->staging.max_objects;
	in->staging_max_bytes = ep->staging.max_bytes;
	in->modules = ep->ops.module_count ? ep->ops.module_count(ep->ops.ctx) : 0;
	c->requests = ep->counters.requests;
	c->replies = ep->counters.replies;
	c->auth_failures = ep->counters.auth_failures;
	c->replays = ep->counters.replays;
	c->malformed = ep->counters.malformed;
	c->bad_version = ep->counters.bad_version;
	c->chunks = ep->counters.chunks;
	c->swaps = ep->counters.swaps;
	c->rollbacks = ep->counters.rollbacks;
	c->invokes = ep->counters.invokes;
	c->stale = ep->counters.stale;
	c->epoch_changes = ep->counters.epoch_changes;
	c->unanswered = ep->counters.unanswered;
	c->unauth_replies = ep->counters.unauth_replies;
	c->rate_limited = ep->counters.rate_limited;
	in->counters = c;
	if (ki->has_nic_counters) {
		Theseus__NicCounters *nc = ALLOC(ep, Theseus__NicCounters);
		if (!nc)
			return ep_no_memory(eb);
		nic_counters_msg(nc, &ki->nic_counters);
		in->nic_counters = nc;
	}
	if (ki->has_usage) {
		Theseus__Usage *u = ALLOC(ep, Theseus__Usage);
		if (!u)
			return ep_no_memory(eb);
		theseus__usage__init(u);
		u->statedb_entries = ki->usage.statedb_entries;
		u->statedb_entries_max = ki->usage.statedb_entries_max;
		u->statedb_bytes = ki->usage.statedb_bytes;
		u->statedb_bytes_max = ki->usage.statedb_bytes_max;
		u->statedb_largest_free = ki->usage.statedb_largest_free;
		u->tasks = ki->usage.tasks;
		u->tasks_max = ki->usage.tasks_max;
		in->usage = u;
	}
	rep->payload_case = THESEUS__REPLY__PAYLOAD_INFO;
	rep->info = in;
	return TH_OK;
}

/* Converts a module description into its message (strings copied to the arena). */
static Theseus__ModuleInfo *module_msg(struct endpoint *ep, struct endpoint_module *m)
{
	Theseus__ModuleInfo *mi = ALLOC(ep, Theseus__ModuleInfo);
	uint8_t *sha = ep_arena_alloc(&ep->arena, PROTO_SHA256_LEN);
	uint32_t nd = m->n_deps < ENDPOINT_MAX_DEPS ? m->n_deps : ENDPOINT_MAX_DEPS;
	char **deps = ep_arena_alloc(&ep->arena, (nd ? nd : 1) * sizeof *deps);
	if (!mi || !sha || !deps)
		return NULL;
	theseus__module_info__init(mi);
	m->name[PROTO_NAME_MAX - 1] = 0;
	m->version[PROTO_VERSION_MAX - 1] = 0;
	mi->name = ep_arena_strdup(&ep->arena, m->name);
	mi->version = ep_arena_strdup(&ep->arena, m->version);
	memcpy(sha, m->sha256, PROTO_SHA256_LEN);
	mi->sha256.data = sha;
	mi->sha256.len = PROTO_SHA256_LEN;
	mi->size = m->size;
	mi->load_address = m->load_address;
	for (uint32_t i = 0; i < nd; i++) {
		m->deps[i][PROTO_NAME_MAX - 1] = 0;
		deps[i] = ep_arena_strdup(&ep->arena, m->deps[i]);
	}
	mi->n_deps = nd;
	mi->deps = deps;
	return mi;
}

int ep_handle_list(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		   size_t reply_cap, struct th_errbuf *eb)
{
	Theseus__ListModulesReply *lr = ALLOC(ep, Theseus__ListModulesReply);
	if (!lr)
		return ep_no_memory(eb);
	theseus__list_modules_reply__init(lr);
	uint32_t total = ep->ops.module_count ? ep->ops.module_count(ep->ops.ctx) : 0;
	uint32_t start = req->list_modules->start;
	lr->total = total;
	lr->start = start;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_MODULES;
	rep->modules = lr;
	if (start > total)
		return th_errf(eb, TH_ERANGE, "ls: start %u is beyond the %u modules loaded",
			       start, total);
	uint32_t room = total - start;
	if (room > 64)
		room = 64;
	lr->modules = ep_arena_alloc(&ep->arena, (room ? room : 1) * sizeof *lr->modules);
	if (!lr->modules)
		return ep_no_memory(eb);
	/* Add modules while the reply fits. */
	size_t limit = ep_page_limit(reply_cap);
	for (uint32_t i = 0; i < room && ep->ops.module_get; i++) {
		struct endpoint_module *m = &ep->mod_scratch;
		memset(m, 0, sizeof *m);
		int err = ep->ops.module_get(ep->ops.ctx, start + i, m);
		if (err == TH_ENOENT)
			break;
		if (err)
			return th_errf(eb, err, "ls: module %u: %s", start + i, th_strerror(err));
		Theseus__ModuleInfo *mi = module_msg(ep, m);
		if (!mi)
			return ep_no_memory(eb);
		lr->modules[lr->n_modules++] = mi;
		if (theseus__reply__get_packed_size(rep) > limit) {
			lr->n_modules--;
			break;
		}
	}
	return TH_OK;
}

static int check_sha(const ProtobufCBinaryData *b, const char *what, struct th_errbuf *eb)
{
	if (b->len != PROTO_SHA256_LEN)
		return th_errf(eb, TH_EINVAL, "%s: object_sha256 has %zu bytes, must have %u",
			       what, b->len, PROTO_SHA256_LEN);
	return TH_OK;
}

int ep_handle_chunk(struct endpoint *ep, const Theseus__Request *req, Theseus__Reply *rep,
		    size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__PushChunk *pc = req->push_chunk;
	int err = check_sha(&pc->object_sha256, "push_chunk", eb);
	if (err)
		return err;
	struct staging_obj *o;
	err = staging_put(&ep->staging, ep->ops.now_ms(ep->ops.ctx), pc->object_sha256.data,
			  pc->total_size, pc->chunk_size, pc->offset, pc->data.data, pc->data.len,
			  &o, eb);
	if (err)
		return err;
	ep->counters.chunks++;
	if (pc->quiet && !o->complete) {
		ep->quiet = true;   /* stored; the next answered chunk's bitmap says so */
		return TH_OK;
	}
	Theseus__ChunkAck *ack = ALLOC(ep, Theseus__ChunkAck);
	if (!ack)
		return ep_no_memory(eb);
	theseus__chunk_ack__init(ack);
	ack->offset = pc->offset;
	ack->chunks_have = o->chunks_have;
	ack->chunks_total = o->chunks_total;
	ack->complete = o->complete;
	if (!o->complete) {
		/* Presence of the chunks up to this one, from a byte boundary at
		 * most PROTO_ACK_BITMAP_CHUNKS back: acknowledges quiet chunks. */
		uint32_t idx = (uint32_t)(pc->offset / o->chunk_size);
		uint32_t from = idx + 1 > PROTO_ACK_BITMAP_CHUNKS
					? (idx + 1 - PROTO_ACK_BITMAP_CHUNKS) / 8 : 0;
		size_t blen = idx / 8 + 1 - from;
		uint8_t *bm = ep_arena_alloc(&ep->arena, blen);
		if (!bm)
			return ep_no_memory(eb);
		memcpy(bm, o->bitmap + from, blen);
		ack->bitmap_from = from * 8;
		ack->bitmap.data = bm;
		ack->bitmap.len = blen;
	}
	rep->payload_case = THESEUS__REPLY__PAYLOAD_CHUNK;
	rep->chunk = ack;
	return TH_OK;
}

_Static_assert(PROTO_BITMAP_PAGE + 256 <= PROTO_MAX_DATAGRAM - PROTO_REPLY_SEAL_LEN,
	       "a bitmap page and the rest of an ObjectStatusReply fit one sealed reply");

int ep_handle_object_status(struct endpoint *ep, const Theseus__Request *req,
			    Theseus__Reply *rep, size_t reply_cap, struct th_errbuf *eb)
{
	const Theseus__ObjectStatusRequest *os = req->object_status;
	int err = check_sha(&os->object_sha256, "object_status", eb);
	if (err)
		return err;
	Theseus__ObjectStatusReply *r = ALLOC(ep, Theseus__ObjectStatusReply);
	if (!r)
		return ep_no_memory(eb);
	theseus__object_status_reply__init(r);
	r->chunk_size = PROTO_CHUNK_SIZE_MAX;   /* a new object's; a known one's below */
	r->max_object_size = ep->staging.max_bytes < PROTO_MAX_OBJECT ? ep->staging.max_bytes
								       : PROTO_MAX_OBJECT;
	rep->payload_case = THESEUS__REPLY__PAYLOAD_OBJECT;
	rep->object = r;
	struct staging_obj *o = staging_find(&ep->staging, os->object_sha256.data);
	if (!o)
		return TH_OK;
	r->known = true;
	r->total_size = o->total;
	r->chunks_have = o->chunks_have;
	r->chunks_total = o->chunks_total;
	r->chunk_size = o->chunk_size;
	r->complete = o->complete;
	/* One page of the bitmap, from the byte holding chunk bitmap_from. */
	size_t all = (o->chunks_total + 7) / 8, from = os->bitmap_from / 8;
	if (from > all)
		from = all;
	size_t blen = all - from < PROTO_BITMAP_PAGE ? all - from : PROTO_BITMAP_PAGE;
	r->bitmap_from = (uint32_t)(from * 8);
	if (!blen)
		return TH_OK;
	uint8_t *bm = ep_arena_alloc(&ep->arena, blen);
	if (!bm)
		return ep_no_memory(eb);
	memcpy(bm, o->bitmap + from, blen);
	r->bitmap.data = bm;
	r->bitmap.len = blen;
	return TH_OK;
}
