/*
 * endpoint.c - the request pipeline of the control endpoint:
 * size check -> decode Envelope -> version -> MAC -> replay window ->
 * decode Request -> read-only check (no key) -> dispatch -> pack Reply.
 *
 * Decoding uses a per-request bounded arena (arena.c).  Authentication
 * failures leave every state untouched, are counted, and get a reply that
 * says only "unauthenticated".  A request kind is one line in the dispatch
 * table below plus a handler (handlers.c, swap.c, inspect.c) and, if it
 * needs the kernel, a field in endpoint_ops.
 */
#include "endpoint_impl.h"

struct ep_route {
	Theseus__Request__KindCase kind;
	bool read_only;          /* served without a key */
	ep_handler_fn fn;
};

static const struct ep_route routes[] = {
	{ THESEUS__REQUEST__KIND_PING, true, ep_handle_ping },
	{ THESEUS__REQUEST__KIND_INFO, true, ep_handle_info },
	{ THESEUS__REQUEST__KIND_LIST_MODULES, true, ep_handle_list },
	{ THESEUS__REQUEST__KIND_OBJECT_STATUS, true, ep_handle_object_status },
	{ THESEUS__REQUEST__KIND_PUSH_CHUNK, false, ep_handle_chunk },
	{ THESEUS__REQUEST__KIND_SWAP, false, ep_handle_swap },
	{ THESEUS__REQUEST__KIND_ROLLBACK, false, ep_handle_rollback },
	{ THESEUS__REQUEST__KIND_HISTORY, true, ep_handle_history },
	{ THESEUS__REQUEST__KIND_STATE, true, ep_handle_state },
	{ THESEUS__REQUEST__KIND_LOG, true, ep_handle_log },
	{ THESEUS__REQUEST__KIND_INVOKE, false, ep_handle_invoke },
	{ THESEUS__REQUEST__KIND_GRAPH, true, ep_handle_graph },
	{ THESEUS__REQUEST__KIND_TASKS, true, ep_handle_tasks },
};

int endpoint_create(const struct endpoint_config *cfg, const struct endpoint_ops *ops,
		    struct endpoint **out, struct th_errbuf *eb)
{
	*out = NULL;
	if (!cfg || !ops || !ops->now_ms)
		return th_errf(eb, TH_EINVAL, "endpoint: config and ops->now_ms are required");
	struct endpoint *ep = kcalloc(1, sizeof *ep);
	if (!ep)
		return th_errf(eb, TH_ENOMEM, "endpoint: no memory");
	ep->ops = *ops;
	if (cfg->key) {
		memcpy(ep->key, cfg->key, PROTO_KEY_LEN);
		ep->has_key = true;
	}
	ep->replay.floor = cfg->counter_floor;
	uint32_t mo = cfg->staging_max_objects ? cfg->staging_max_objects
					       : ENDPOINT_DEFAULT_STAGING_OBJECTS;
	uint64_t mb = cfg->staging_max_bytes ? cfg->staging_max_bytes
					     : ENDPOINT_DEFAULT_STAGING_BYTES;
	uint64_t stale = cfg->stale_ms ? cfg->stale_ms : ENDPOINT_DEFAULT_STALE_MS;
	int err = ep_arena_init(&ep->arena, EP_ARENA_BYTES);
	if (err) {
		kfree(ep);
		return th_errf(eb, err, "endpoint: no memory for the request arena");
	}
	err = staging_init(&ep->staging, mo, mb, stale);
	if (err) {
		ep_arena_fini(&ep->arena);
		kfree(ep);
		return th_errf(eb, err, "endpoint: staging area of %u objects / %llu bytes: %s",
			       mo, (unsigned long long)mb, th_strerror(err));
	}
	*out = ep;
	return TH_OK;
}

void endpoint_destroy(struct endpoint *ep)
{
	if (!ep)
		return;
	staging_fini(&ep->staging);
	ep_arena_fini(&ep->arena);
	memset(ep->key, 0, sizeof ep->key);
	kfree(ep);
}

void endpoint_get_counters(const struct endpoint *ep, struct endpoint_counters *out)
{
	*out = ep->counters;
}

bool endpoint_has_key(const struct endpoint *ep)
{
	return ep->has_key;
}

static const struct ep_route *route_find(Theseus__Request__KindCase kind)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (routes[i].kind == kind)
			return &routes[i];
	return NULL;
}

static int unauthenticated(struct endpoint *ep, struct th_errbuf *eb)
{
	ep->counters.auth_failures++;
	return th_errf(eb, TH_EAUTH, "unauthenticated");
}

/* Everything up to the handler's status; rep gets counter and payload. */
static int handle_request(struct endpoint *ep, const uint8_t *dgram, size_t len,
			  Theseus__Reply *rep, size_t reply_cap, struct th_errbuf *eb)
{
	if (len > PROTO_MAX_DATAGRAM) {
		ep->counters.malformed++;
		return th_errf(eb, TH_ETOOBIG, "datagram of %zu bytes exceeds the %u-byte limit",
			       len, PROTO_MAX_DATAGRAM);
	}
	Theseus__Envelope *env = theseus__envelope__unpack(&ep->arena.pbc, len, dgram);
	if (!env) {
		ep->counters.malformed++;
		return th_errf(eb, TH_EPROTO, "malformed envelope (not a theseus.Envelope)");
	}
	rep->counter = env->counter;
	if (env->version != PROTO_VERSION) {
		ep->counters.bad_version++;
		return th_errf(eb, TH_EVERSION,
			       "protocol version %u is not supported; this kernel speaks version %u",
			       env->version, PROTO_VERSION);
	}
	if (ep->has_key) {
		uint8_t mac[PROTO_MAC_LEN];
		if (env->mac.len != PROTO_MAC_LEN)
			return unauthenticated(ep, eb);
		proto_mac_compute(ep->key, env->version, env->client_id, env->counter,
				     env->body.data, env->body.len, mac);
		if (!proto_bytes_equal_ct(mac, env->mac.data, PROTO_MAC_LEN))
			return unauthenticated(ep, eb);
		if (ep_replay_check(&ep->replay, env->client_id, env->counter,
				    ep->ops.now_ms(ep->ops.ctx)) != TH_OK) {
			ep->counters.replays++;
			return th_errf(eb, TH_EAUTH, "unauthenticated");
		}
	}
	Theseus__Request *req = theseus__request__unpack(&ep->arena.pbc, env->body.len,
							 env->body.data);
	if (!req) {
		ep->counters.malformed++;
		return th_errf(eb, TH_EPROTO, "malformed request body (not a theseus.Request)");
	}
	const struct ep_route *rt = route_find(req->kind_case);
	if (!rt) {
		ep->counters.malformed++;
		return th_errf(eb, TH_ENOTSUP, "request kind %d is not supported by this kernel",
			       (int)req->kind_case);
	}
	if (!ep->has_key && !rt->read_only) {
		ep->counters.auth_failures++;
		return th_errf(eb, TH_EAUTH,
			       "unauthenticated: no key configured, only read-only requests "
			       "(ping, info, ls, history, state, log, graph, tasks) are served; boot the kernel with key=<64 hex digits>");
	}
	return rt->fn(ep, req, rep, reply_cap, eb);
}

int endpoint_handle(struct endpoint *ep, const uint8_t *dgram, size_t len, uint8_t *reply,
		    size_t reply_cap, size_t *reply_len)
{
	if (reply_len)
		*reply_len = 0;
	if (!ep || !reply || !reply_len || (len && !dgram) || reply_cap < ENDPOINT_MIN_REPLY_CAP)
		return TH_EINVAL;
	ep->counters.requests++;
	ep_arena_reset(&ep->arena);

	struct th_errbuf eb;
	eb.msg[0] = 0;
	Theseus__Reply rep = THESEUS__REPLY__INIT;
	int status = handle_request(ep, dgram, len, &rep, reply_cap, &eb);

	rep.version = PROTO_VERSION;
	rep.status = proto_status_to_wire(status);
	if (!eb.msg[0] && status)
		th_errf(&eb, status, "%s", th_strerror(status));
	rep.message = eb.msg;
	if (status == TH_EAUTH)  /* nothing beyond "unauthenticated" (or the no-key hint) */
		rep.payload_case = THESEUS__REPLY__PAYLOAD__NOT_SET;
	if (theseus__reply__get_packed_size(&rep) > reply_cap) {
		/* Should not happen (handlers size their payloads); say so instead. */
		rep.payload_case = THESEUS__REPLY__PAYLOAD__NOT_SET;
		rep.status = proto_status_to_wire(TH_EOVERFLOW);
		rep.message = (char *)"reply does not fit one datagram";
	}
	*reply_len = theseus__reply__pack(&rep, reply);
	ep->counters.replies++;
	return TH_OK;
}
