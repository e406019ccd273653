/*
 * endpoint.c - the request pipeline of the control endpoint:
 * decode Envelope -> version -> MAC (HMAC or kind 1, mac_check.c) -> size
 * check -> epoch -> reply cache (a resent swap/rollback/invoke gets its
 * kept reply, reply_cache.c) -> replay window -> decode Request ->
 * read-only check (no key) -> dispatch -> pack Reply -> seal it (MAC bound
 * to the request) when the request's MAC was valid (and keep it when the
 * request must not run twice); no reply at all to a quiet chunk that was
 * stored (theseus.proto, 10).
 * Nothing but the envelope is decoded before the MAC is checked.  Epochs:
 * a random number per boot, renewed when the replay table asks for it
 * (auth.c); requests carry it under their MAC, so nothing recorded in
 * another epoch is accepted.
 *
 * Decoding uses a per-request bounded arena (arena.c).  Authentication
 * failures leave every state untouched, are counted, and get a reply that
 * says only "unauthenticated", at most EP_UNAUTH_REPLIES_PER_S a second
 * (unauth_limit.c; the rest are left unanswered).  A request kind is one
 * line in the dispatch table below plus a handler (handlers.c, swap_request.c, inspect.c,
 * exports_request.c, profile_request.c, ...) and, if it
 * needs the kernel, a field in endpoint_ops.
 */
#include "endpoint_impl.h"

struct ep_route {
	Theseus__Request__KindCase kind;
	bool read_only;          /* served without a key */
	ep_handler_fn fn;
	bool once;               /* must not run twice: replies kept (reply_cache.c) */
};

static const struct ep_route routes[] = {
	{ THESEUS__REQUEST__KIND_PING, true, ep_handle_ping, false },
	{ THESEUS__REQUEST__KIND_INFO, true, ep_handle_info, false },
	{ THESEUS__REQUEST__KIND_LIST_MODULES, true, ep_handle_list, false },
	{ THESEUS__REQUEST__KIND_OBJECT_STATUS, true, ep_handle_object_status, false },
	{ THESEUS__REQUEST__KIND_PUSH_CHUNK, false, ep_handle_chunk, false },
	{ THESEUS__REQUEST__KIND_SWAP, false, ep_handle_swap, true },
	{ THESEUS__REQUEST__KIND_ROLLBACK, false, ep_handle_rollback, true },
	{ THESEUS__REQUEST__KIND_ROLLBACK_SET, false, ep_handle_rollback_set, true },
	{ THESEUS__REQUEST__KIND_HISTORY, true, ep_handle_history, false },
	{ THESEUS__REQUEST__KIND_STATE, true, ep_handle_state, false },
	{ THESEUS__REQUEST__KIND_LOG, true, ep_handle_log, false },
	{ THESEUS__REQUEST__KIND_INVOKE, false, ep_handle_invoke, true },
	{ THESEUS__REQUEST__KIND_GRAPH, true, ep_handle_graph, false },
	{ THESEUS__REQUEST__KIND_TASKS, true, ep_handle_tasks, false },
	{ THESEUS__REQUEST__KIND_EXPORTS, true, ep_handle_exports, false },
	{ THESEUS__REQUEST__KIND_PROFILE, false, ep_handle_profile, false },
};

/* A fresh random epoch (never 0, never the current one) with an empty
 * replay table and floor 0. */
static void ep_new_epoch(struct endpoint *ep)
{
	uint64_t e;
	do
		e = ep->ops.random_u64(ep->ops.ctx);
	while (e == 0 || e == ep->epoch);
	ep->epoch = e;
	memset(&ep->replay, 0, sizeof ep->replay);
	ep_reply_cache_clear(&ep->replies);
	ep_session_keys_clear(&ep->skeys);
	ep->counters.epoch_changes++;
}

uint64_t endpoint_epoch(const struct endpoint *ep)
{
	return ep->epoch;
}

int endpoint_create(const struct endpoint_config *cfg, const struct endpoint_ops *ops,
		    struct endpoint **out, struct th_errbuf *eb)
{
	*out = NULL;
	if (!cfg || !ops || !ops->now_ms || !ops->random_u64)
		return th_errf(eb, TH_EINVAL,
			       "endpoint: config, ops->now_ms and ops->random_u64 are required");
	struct endpoint *ep = kcalloc(1, sizeof *ep);
	if (!ep)
		return th_errf(eb, TH_ENOMEM, "endpoint: no memory");
	ep->ops = *ops;
	if (cfg->key) {
		memcpy(ep->key, cfg->key, PROTO_KEY_LEN);
		proto_mac_key_init(&ep->mac_key, ep->key);
		ep->has_key = true;
	}
	ep_new_epoch(ep);
	ep->counters.epoch_changes = 0;
	ep_limit_init(&ep->unauth_limit, EP_UNAUTH_REPLIES_PER_S, EP_UNAUTH_REPLY_BURST);
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
	err = ep_reply_cache_init(&ep->replies);
	if (err) {
		ep_arena_fini(&ep->arena);
		kfree(ep);
		return th_errf(eb, err, "endpoint: no memory for the reply cache");
	}
	err = staging_init(&ep->staging, mo, mb, stale);
	if (err) {
		ep_reply_cache_fini(&ep->replies);
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
	ep_reply_cache_fini(&ep->replies);
	ep_arena_fini(&ep->arena);
	memset(ep->key, 0, sizeof ep->key);
	memset(&ep->mac_key, 0, sizeof ep->mac_key);
	ep_session_keys_clear(&ep->skeys);
	kfree(ep);
}

bool endpoint_background(struct endpoint *ep)
{
	return ep && staging_hash_step(&ep->staging, EP_BACKGROUND_HASH_CHUNKS);
}

void endpoint_get_counters(const struct endpoint *ep, struct endpoint_counters *out)
{
	*out = ep->counters;
}

bool endpoint_has_key(const struct endpoint *ep)
{
	return ep->has_key;
}

bool endpoint_last_authenticated(const struct endpoint *ep)
{
	return ep && ep->last_authenticated;
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

/* The field number of the first field of a packed Request (its kind, as
 * sent), 0 when there is none: for naming an unknown kind. */
static uint32_t body_kind_number(const uint8_t *p, size_t len)
{
	uint64_t key = 0;
	size_t i = 0;
	if (!p || !proto_varint(p, len, &i, &key, NULL))
		return 0;
	return key >> 3 > 0xffffffffu ? 0 : (uint32_t)(key >> 3);
}

/* A Request that is one PushChunk in canonical form, read in place (its
 * data stays in the datagram); NULL for any other body. */
static Theseus__Request *chunk_in_place(struct endpoint *ep, const uint8_t *body, size_t len)
{
	struct proto_chunk_view cv;
	if (!proto_chunk_view(body, len, &cv))
		return NULL;
	Theseus__Request *req = ep_arena_alloc(&ep->arena, sizeof *req);
	Theseus__PushChunk *pc = ep_arena_alloc(&ep->arena, sizeof *pc);
	if (!req || !pc)
		return NULL;
	theseus__request__init(req);
	theseus__push_chunk__init(pc);
	pc->object_sha256 = (ProtobufCBinaryData){ cv.sha_len, (uint8_t *)(uintptr_t)cv.sha };
	pc->total_size = cv.total_size;
	pc->offset = cv.offset;
	pc->data = (ProtobufCBinaryData){ cv.data_len, (uint8_t *)(uintptr_t)cv.data };
	pc->chunk_size = cv.chunk_size;
	pc->quiet = cv.quiet;
	req->kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req->push_chunk = pc;
	return req;
}

/* Per-request facts handle_request hands back to endpoint_handle. */
struct ep_req_state {
	bool authenticated;        /* MAC valid: the reply is sealed */
	struct proto_binding bind; /* the request's client id, counter, epoch */
	uint8_t mac[PROTO_MAC_LEN];/* its MAC (authenticated only) */
	bool keep;                 /* a request that must not run twice ran: keep the reply */
	const struct ep_cached_reply *resent;  /* a resend of one: answer with this */
};

/* Everything up to the handler's status; rep gets ids, counter and payload. */
static int handle_request(struct endpoint *ep, const uint8_t *dgram, size_t len,
			  Theseus__Reply *rep, size_t reply_cap, struct ep_req_state *rs,
			  struct th_errbuf *eb)
{
	/* Chunks (most of a push) are read in place; the rest, and anything
	 * not in canonical form, through protobuf-c (wire_view.c). */
	struct proto_envelope_view ev;
	Theseus__Envelope *env = NULL;
	if (proto_envelope_view(dgram, len, &ev) && (env = ep_arena_alloc(&ep->arena, sizeof *env))) {
		theseus__envelope__init(env);
		env->version = ev.version;
		env->client_id = ev.client_id;
		env->counter = ev.counter;
		env->epoch = ev.epoch;
		env->mac_kind = ev.mac_kind;
		env->mac = (ProtobufCBinaryData){ ev.mac_len, (uint8_t *)(uintptr_t)ev.mac };
		env->body = (ProtobufCBinaryData){ ev.body_len, (uint8_t *)(uintptr_t)ev.body };
	} else {
		env = theseus__envelope__unpack(&ep->arena.pbc, len, dgram);
	}
	if (!env) {
		ep->counters.malformed++;
		if (len > PROTO_MAX_DATAGRAM)
			return th_errf(eb, TH_ETOOBIG,
				       "datagram of %zu bytes exceeds the %u-byte limit", len,
				       PROTO_MAX_DATAGRAM);
		return th_errf(eb, TH_EPROTO, "malformed envelope (not a theseus.Envelope)");
	}
	rep->counter = env->counter;
	rep->client_id = env->client_id;
	if (env->version != PROTO_VERSION) {
		ep->counters.bad_version++;
		return th_errf(eb, TH_EVERSION,
			       "protocol version %u is not supported; this kernel speaks version %u",
			       env->version, PROTO_VERSION);
	}
	rs->bind.client_id = env->client_id;
	rs->bind.counter = env->counter;
	rs->bind.epoch = env->epoch;
	if (ep->has_key) {
		/* HMAC or the kind-1 tag (mac_check.c) */
		if (ep_mac_check(ep, env, &rs->bind, rs->mac) != TH_OK)
			return unauthenticated(ep, eb);
		rs->authenticated = true;
	}
	if (len > PROTO_MAX_DATAGRAM) {
		ep->counters.malformed++;
		return th_errf(eb, TH_ETOOBIG, "datagram of %zu bytes exceeds the %u-byte limit",
			       len, PROTO_MAX_DATAGRAM);
	}
	if (ep->has_key) {
		if (env->epoch != ep->epoch) {
			ep->counters.stale++;
			return th_errf(eb, TH_ESTALE,
				       "epoch %llx is not this kernel's; use epoch %llx (the kernel "
				       "rebooted, or it is the first request of this client)",
				       (unsigned long long)env->epoch,
				       (unsigned long long)ep->epoch);
		}
		/* A resend (same datagram) of a swap, rollback or invoke that ran:
		 * its reply again, not a second run (reply_cache.c). */
		rs->resent = ep_reply_cache_find(&ep->replies, &rs->bind, rs->mac);
		if (rs->resent && rs->resent->len <= reply_cap + PROTO_REPLY_SEAL_LEN)
			return TH_OK;
		rs->resent = NULL;
		int err = ep_replay_check(&ep->replay, env->client_id, env->counter,
					  ep->ops.now_ms(ep->ops.ctx));
		if (err == TH_ESTALE) {
			ep_new_epoch(ep);
			ep->counters.stale++;
			return th_errf(eb, TH_ESTALE,
				       "too many client sessions: epoch %llx started; use it",
				       (unsigned long long)ep->epoch);
		}
		if (err == TH_ERANGE) {
			ep->counters.stale++;
			ep->counters.replays++;
			rep->counter_floor = ep->replay.floor;
			return th_errf(eb, TH_ESTALE,
				       "counter %llu of a new client session is not above the floor "
				       "%llu: start the session above it",
				       (unsigned long long)env->counter,
				       (unsigned long long)ep->replay.floor);
		}
		if (err != TH_OK) {
			ep->counters.stale++;
			ep->counters.replays++;
			return th_errf(eb, TH_ESTALE,
				       "counter %llu of client %llx was seen before or is too old: "
				       "start a new client session",
				       (unsigned long long)env->counter,
				       (unsigned long long)env->client_id);
		}
	}
	ep->session = ep->has_key ? ep_replay_session(&ep->replay, env->client_id) : NULL;
	Theseus__Request *req = chunk_in_place(ep, env->body.data, env->body.len);
	struct th_errbuf sb = { "" };
	if (!req && proto_strings_check(&theseus__request__descriptor, env->body.data,
					env->body.len, &sb) != TH_OK) {
		ep->counters.malformed++;   /* "hello\0zzz" would arrive as "hello" */
		return th_errf(eb, TH_EPROTO, "malformed request body: %s", sb.msg);
	}
	if (!req)
		req = theseus__request__unpack(&ep->arena.pbc, env->body.len, env->body.data);
	if (!req) {
		ep->counters.malformed++;
		return th_errf(eb, TH_EPROTO, "malformed request body (not a theseus.Request)");
	}
	const struct ep_route *rt = route_find(req->kind_case);
	if (!rt) {
		ep->counters.malformed++;
		uint32_t k = body_kind_number(env->body.data, env->body.len);
		if (!k)
			return th_errf(eb, TH_EPROTO, "empty request: no request kind set");
		return th_errf(eb, TH_ENOTSUP, "request kind %u is not supported by this kernel", k);
	}
	if (!ep->has_key && !rt->read_only) {
		/* Short: an unauthenticated refusal is cut to the datagram's size. */
		ep->counters.auth_failures++;
		return th_errf(eb, TH_EAUTH, "no key configured");
	}
	rs->keep = rt->once && rs->authenticated;
	return rt->fn(ep, req, rep, reply_cap, eb);
}

int endpoint_handle(struct endpoint *ep, const uint8_t *dgram, size_t len, uint8_t *reply,
		    size_t reply_cap, size_t *reply_len)
{
	if (reply_len)
		*reply_len = 0;
	if (ep)
		ep->last_authenticated = false;
	if (!ep || !reply || !reply_len || (len && !dgram) || reply_cap < ENDPOINT_MIN_REPLY_CAP)
		return TH_EINVAL;
	ep->counters.requests++;
	ep_arena_reset(&ep->arena);

	struct th_errbuf eb;
	eb.msg[0] = 0;
	Theseus__Reply rep = THESEUS__REPLY__INIT;
	struct ep_req_state rs = { .authenticated = false };
	ep->session = NULL;
	size_t cap = reply_cap - PROTO_REPLY_SEAL_LEN;  /* room for the seal */
	ep->quiet = false;
	int status = handle_request(ep, dgram, len, &rep, cap, &rs, &eb);
	ep->last_authenticated = rs.authenticated;
	if (rs.resent) {
		memcpy(reply, rs.resent->reply, rs.resent->len);  /* <= reply_cap: it was sent */
		*reply_len = rs.resent->len;
		ep->counters.resent++;
		ep->counters.replies++;
		return TH_OK;
	}
	if (status == TH_OK && ep->quiet)
		return TH_OK;   /* a quiet chunk stored: no answer (theseus.proto, 10) */
	if (!rs.authenticated &&
	    !ep_limit_take(&ep->unauth_limit, ep->ops.now_ms(ep->ops.ctx))) {
		/* Replies to unauthenticated datagrams (refusals; without a key,
		 * every reply) are rate-limited (unauth_limit.c): a flood gets no
		 * flood back, and a forged sender address no stream of answers. */
		ep->counters.rate_limited++;
		return TH_OK;
	}

	rep.version = PROTO_VERSION;
	rep.epoch = ep->epoch;
	if (rs.authenticated)
		rep.mac_kinds = PROTO_MAC_KINDS;  /* the MACs a client may use (theseus.proto, 2a) */
	rep.status = proto_status_to_wire(status);
	if (!eb.msg[0] && status)
		th_errf(&eb, status, "%s", th_strerror(status));
	rep.message = eb.msg;
	if (status == TH_EAUTH || status == TH_ESTALE)  /* no payload with a refusal */
		rep.payload_case = THESEUS__REPLY__PAYLOAD__NOT_SET;
	if (theseus__reply__get_packed_size(&rep) > cap) {
		/* Should not happen (handlers size their payloads); say so instead. */
		rep.payload_case = THESEUS__REPLY__PAYLOAD__NOT_SET;
		rep.status = proto_status_to_wire(TH_EOVERFLOW);
		rep.message = (char *)"reply does not fit one datagram";
	}
	size_t n = theseus__reply__pack(&rep, reply);
	if (rs.authenticated) {
		if (proto_reply_seal_k(&ep->mac_key, &rs.bind, reply, &n, reply_cap) != TH_OK)
			return TH_EOVERFLOW;  /* cannot happen: cap kept room */
		if (rs.keep)
			ep_reply_cache_put(&ep->replies, &rs.bind, rs.mac, reply, n);
	} else if ((ep->has_key || status != TH_OK) && n > len) {
		/* An unauthenticated sender never gets a refusal longer than what
		 * it sent (with a key every reply to one is a refusal; without,
		 * the read-only answers are served whole): the reply loses its
		 * message, then the epoch, then the client id, and if even that
		 * is too long there is no answer. */
		rep.message = (char *)"";
		if (theseus__reply__get_packed_size(&rep) > len)
			rep.epoch = 0;
		if (theseus__reply__get_packed_size(&rep) > len)
			rep.client_id = 0;
		n = theseus__reply__get_packed_size(&rep);
		if (n > len) {
			ep->counters.unanswered++;
			return TH_OK;
		}
		n = theseus__reply__pack(&rep, reply);
	}
	if (!rs.authenticated)
		ep->counters.unauth_replies++;
	*reply_len = n;
	ep->counters.replies++;
	return TH_OK;
}
