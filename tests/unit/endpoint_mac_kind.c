/*
 * endpoint_mac_kind.c - host unit tests of the endpoint core's kind-1
 * request MAC (net/endpoint/mac_check.c, proto/theseus.proto section 2a),
 * against the in-memory backend of endpoint_fixture.c: a kind-1 ping,
 * push and swap work and their replies are sealed and name the kinds taken;
 * the first request (epoch 0) gets a sealed ESTALE; a tampered body,
 * header or tag, a tag of the wrong length or kind, and a tag under
 * another session's key are refused as unauthenticated, counted, change
 * nothing and never enter the session key cache; replays and resends
 * follow the same rules as with HMAC; kind 0 still works beside kind 1.
 */
#include "check.h"
#include "endpoint_fixture.h"
#include "endpoint_impl.h"

static const uint8_t KEY[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
				 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22 };

struct t {
	struct fx_backend fx;
	struct endpoint *ep;
	struct proto_binding b;   /* of the last request sent */
	uint64_t counter;
	uint8_t dgram[2048];
	size_t dlen;
	uint8_t reply[PROTO_MAX_DATAGRAM];
	size_t rlen;
	Theseus__Reply *rep;
	bool sealed;              /* the reply's seal holds for b */
};

static void t_init(struct t *t)
{
	memset(t, 0, sizeof *t);
	fx_backend_init(&t->fx);
	struct endpoint_ops ops = fx_ops(&t->fx);
	struct endpoint_config cfg = { .key = KEY };
	struct th_errbuf eb = { "" };
	CHECK_EQ(endpoint_create(&cfg, &ops, &t->ep, &eb), TH_OK);
	t->counter = 5000;
	t->b.client_id = 77;
	t->b.epoch = endpoint_epoch(t->ep);
}

static void t_fini(struct t *t)
{
	if (t->rep)
		theseus__reply__free_unpacked(t->rep, NULL);
	endpoint_destroy(t->ep);
}

/* Hands t->dgram to the endpoint; the reply's status (TH_EIO: none). */
static int t_raw(struct t *t)
{
	size_t rlen = 0, body = 0;
	if (t->rep)
		theseus__reply__free_unpacked(t->rep, NULL);
	t->rep = NULL;
	CHECK_EQ(endpoint_handle(t->ep, t->dgram, t->dlen, t->reply, sizeof t->reply, &rlen),
		 TH_OK);
	t->rlen = rlen;
	if (!rlen)
		return TH_EIO;
	t->sealed = proto_reply_open(KEY, &t->b, t->reply, rlen, &body) == TH_OK;
	t->rep = theseus__reply__unpack(NULL, rlen, t->reply);
	CHECK(t->rep != NULL);
	return t->rep ? proto_status_from_wire(t->rep->status) : TH_EIO;
}

/* Packs req with a fresh counter under t->b and a MAC of kind `kind`
 * (tag_len bytes of it; a kind other than 1 gets an HMAC), the body's byte
 * `flip` XOR 1 after MACing when >= 0, and sends it. */
static int t_send_ex(struct t *t, const Theseus__Request *req, uint32_t kind, size_t tag_len,
		     long flip)
{
	uint8_t body[1400], ks[PROTO_SESSION_KEY_LEN], mac[PROTO_MAC_LEN];
	size_t blen = theseus__request__get_packed_size(req);
	CHECK(blen <= sizeof body);
	theseus__request__pack(req, body);
	t->b.counter = ++t->counter;
	memset(mac, 0, sizeof mac);
	if (kind != PROTO_MAC_KIND_POLY) {   /* an unknown kind gets a valid HMAC */
		proto_mac_compute(KEY, PROTO_VERSION, &t->b, body, blen, mac);
	} else {
		proto_session_key(KEY, t->b.epoch, t->b.client_id, ks);
		CHECK_EQ(proto_poly_mac_compute(ks, PROTO_VERSION, &t->b, body, blen, mac), TH_OK);
	}
	if (flip >= 0)
		body[flip] ^= 1;
	Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
	env.version = PROTO_VERSION;
	env.client_id = t->b.client_id;
	env.counter = t->b.counter;
	env.epoch = t->b.epoch;
	env.mac_kind = kind;
	env.mac.data = mac;
	env.mac.len = tag_len;
	env.body.data = body;
	env.body.len = blen;
	t->dlen = theseus__envelope__pack(&env, t->dgram);
	return t_raw(t);
}

static int t_send(struct t *t, const Theseus__Request *req)
{
	return t_send_ex(t, req, PROTO_MAC_KIND_POLY, PROTO_POLY_TAG_LEN, -1);
}

static Theseus__Request *ping_req(Theseus__Request *req, Theseus__Ping *ping)
{
	theseus__request__init(req);
	theseus__ping__init(ping);
	ping->payload.data = (uint8_t *)"mac1";
	ping->payload.len = 4;
	req->kind_case = THESEUS__REQUEST__KIND_PING;
	req->ping = ping;
	return req;
}

struct chunk_req {
	Theseus__Request req;
	Theseus__PushChunk pc;
};

static Theseus__Request *chunk_req(struct chunk_req *c, const uint8_t *sha, uint64_t total,
				   uint64_t off, const uint8_t *data, size_t len)
{
	theseus__request__init(&c->req);
	theseus__push_chunk__init(&c->pc);
	c->pc.object_sha256.data = (uint8_t *)sha;
	c->pc.object_sha256.len = 32;
	c->pc.total_size = total;
	c->pc.offset = off;
	c->pc.data.data = (uint8_t *)data;
	c->pc.data.len = len;
	c->req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	c->req.push_chunk = &c->pc;
	return &c->req;
}

static int t_swap(struct t *t, const char *mod, const char *expect, const uint8_t *sha)
{
	struct fx_swap_req s;
	return t_send(t, fx_swap_request(&s, mod, expect, sha));
}

static size_t cached_keys(const struct t *t)
{
	size_t n = 0;
	for (size_t i = 0; i < EP_SESSION_KEYS; i++)
		n += t->ep->skeys.slot[i].used;
	return n;
}

static void test_ping_and_epoch(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req;
	Theseus__Ping ping;
	uint64_t epoch = t.b.epoch;
	t.b.epoch = 0;   /* a client's first request: epoch unknown */
	CHECK_EQ(t_send(&t, ping_req(&req, &ping)), TH_ESTALE);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->epoch, epoch);
	CHECK_EQ(t.rep->mac_kinds, PROTO_MAC_KINDS);
	t.b.epoch = t.rep->epoch;
	CHECK_EQ(t_send(&t, ping_req(&req, &ping)), TH_OK);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->mac_kinds, 3);
	CHECK(t.rep->pong && t.rep->pong->payload.len == 4);
	CHECK_EQ(cached_keys(&t), 2);   /* epoch 0 and the real one both verified */
	CHECK(endpoint_last_authenticated(t.ep));
	/* kind 0 beside it, same session */
	CHECK_EQ(t_send_ex(&t, ping_req(&req, &ping), PROTO_MAC_KIND_HMAC, PROTO_MAC_LEN, -1),
		 TH_OK);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->mac_kinds, 3);
	t_fini(&t);
}

static void test_push_and_swap(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[3000], sha[32];
	memset(obj, 'x', sizeof obj);
	memcpy(obj, "VERSION=1.7\n", 12);
	proto_sha256(obj, sizeof obj, sha);
	struct chunk_req c;
	for (size_t off = 0; off < sizeof obj; off += PROTO_CHUNK_SIZE) {
		size_t n = sizeof obj - off < PROTO_CHUNK_SIZE ? sizeof obj - off : PROTO_CHUNK_SIZE;
		CHECK_EQ(t_send(&t, chunk_req(&c, sha, sizeof obj, off, obj + off, n)), TH_OK);
		CHECK(t.sealed);
	}
	CHECK(t.rep->chunk && t.rep->chunk->complete);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_OK);
	CHECK(t.sealed);
	CHECK(t.rep->swap && t.rep->swap->n_results == 1 &&
	      strcmp(t.rep->swap->results[0]->new_version, "1.7") == 0);
	/* the same kind-1 datagram again: the kept reply, not a second swap */
	uint8_t first[sizeof t.reply];
	size_t flen = t.rlen;
	memcpy(first, t.reply, flen);
	CHECK_EQ(t_raw(&t), TH_OK);
	CHECK(t.rlen == flen && memcmp(t.reply, first, flen) == 0);
	struct endpoint_counters k;
	endpoint_get_counters(t.ep, &k);
	CHECK_EQ(k.chunks, 3);
	CHECK_EQ(k.swaps, 1);
	CHECK_EQ(k.resent, 1);
	CHECK_EQ(k.auth_failures, 0);
	CHECK_EQ(cached_keys(&t), 1);
	/* a ping resent as the same datagram is a replay */
	Theseus__Request req;
	Theseus__Ping ping;
	CHECK_EQ(t_send(&t, ping_req(&req, &ping)), TH_OK);
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	CHECK(t.sealed);
	t_fini(&t);
}

static void test_tampered_refused(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[1000], sha[32];
	memset(obj, 'y', sizeof obj);
	proto_sha256(obj, sizeof obj, sha);
	struct chunk_req c;
	Theseus__Request *req = chunk_req(&c, sha, sizeof obj, 0, obj, sizeof obj);
	size_t blen = theseus__request__get_packed_size(req);
	const long pos[3] = { 0, (long)blen / 2, (long)blen - 1 };
	int refused = 0;
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(t_send_ex(&t, req, PROTO_MAC_KIND_POLY, PROTO_POLY_TAG_LEN, pos[k]),
			 TH_EAUTH);
		CHECK(!t.sealed);
		CHECK_EQ(t.rep->mac_kinds, 0);
		CHECK(t.rlen <= t.dlen);
		refused++;
	}
	/* the wrong length for its kind, an unknown kind */
	CHECK_EQ(t_send_ex(&t, req, PROTO_MAC_KIND_POLY, PROTO_MAC_LEN, -1), TH_EAUTH);
	CHECK_EQ(t_send_ex(&t, req, PROTO_MAC_KIND_POLY, PROTO_POLY_TAG_LEN - 1, -1), TH_EAUTH);
	CHECK_EQ(t_send_ex(&t, req, PROTO_MAC_KIND_HMAC, PROTO_POLY_TAG_LEN, -1), TH_EAUTH);
	CHECK_EQ(t_send_ex(&t, req, 2, PROTO_POLY_TAG_LEN, -1), TH_EAUTH);
	CHECK_EQ(t_send_ex(&t, req, 2, PROTO_MAC_LEN, -1), TH_EAUTH);
	refused += 5;
	struct endpoint_counters k;
	endpoint_get_counters(t.ep, &k);
	CHECK_EQ(k.auth_failures, (uint64_t)refused);
	CHECK_EQ(k.chunks, 0);
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	CHECK_EQ(cached_keys(&t), 0);   /* nothing that failed was cached */
	CHECK(!endpoint_last_authenticated(t.ep));
	/* the intact request goes through */
	CHECK_EQ(t_send(&t, req), TH_OK);
	CHECK(staging_find(&t.ep->staging, sha) != NULL);
	t_fini(&t);
}

static void test_header_and_key_bound(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req;
	Theseus__Ping ping;
	ping_req(&req, &ping);
	CHECK_EQ(t_send(&t, &req), TH_OK);   /* caches this session's key */
	CHECK_EQ(cached_keys(&t), 1);
	/* A tag made for one session, sent as another: client id, epoch and
	 * counter rewritten in the datagram. */
	uint8_t body[64], ks[PROTO_SESSION_KEY_LEN], tag[PROTO_POLY_TAG_LEN];
	size_t blen = theseus__request__pack(&req, body);
	for (int field = 0; field < 3; field++) {
		struct proto_binding b = { .client_id = 77, .counter = ++t.counter,
					   .epoch = t.b.epoch };
		proto_session_key(KEY, b.epoch, b.client_id, ks);
		CHECK_EQ(proto_poly_mac_compute(ks, PROTO_VERSION, &b, body, blen, tag), TH_OK);
		Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
		env.version = PROTO_VERSION;
		env.client_id = b.client_id + (field == 0);
		env.counter = b.counter + (field == 2);
		env.epoch = b.epoch ^ (field == 1);
		env.mac_kind = PROTO_MAC_KIND_POLY;
		env.mac.data = tag;
		env.mac.len = sizeof tag;
		env.body.data = body;
		env.body.len = blen;
		t.dlen = theseus__envelope__pack(&env, t.dgram);
		CHECK_EQ(t_raw(&t), TH_EAUTH);
	}
	/* A tag under the protocol key itself instead of K_s. */
	struct proto_binding b = { .client_id = 77, .counter = ++t.counter, .epoch = t.b.epoch };
	CHECK_EQ(proto_poly_mac_compute(KEY, PROTO_VERSION, &b, body, blen, tag), TH_OK);
	Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
	env.version = PROTO_VERSION;
	env.client_id = b.client_id;
	env.counter = b.counter;
	env.epoch = b.epoch;
	env.mac_kind = PROTO_MAC_KIND_POLY;
	env.mac.data = tag;
	env.mac.len = sizeof tag;
	env.body.data = body;
	env.body.len = blen;
	t.dlen = theseus__envelope__pack(&env, t.dgram);
	CHECK_EQ(t_raw(&t), TH_EAUTH);
	CHECK_EQ(cached_keys(&t), 1);
	struct endpoint_counters k;
	endpoint_get_counters(t.ep, &k);
	CHECK_EQ(k.auth_failures, 4);
	t_fini(&t);
}

static void test_key_cache_bounded(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req;
	Theseus__Ping ping;
	ping_req(&req, &ping);
	for (uint64_t id = 1; id <= 3 * EP_SESSION_KEYS; id++) {
		t.b.client_id = id;
		CHECK_EQ(t_send(&t, &req), TH_OK);
		CHECK(t.sealed);
	}
	CHECK_EQ(cached_keys(&t), EP_SESSION_KEYS);
	t.b.client_id = 1;   /* evicted long ago: derived again, still verifies */
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK(t.sealed);
	t_fini(&t);
}

static void test_no_key_ignores_kind(void)
{
	struct t t;
	memset(&t, 0, sizeof t);
	fx_backend_init(&t.fx);
	struct endpoint_ops ops = fx_ops(&t.fx);
	struct endpoint_config cfg = { .key = NULL };
	struct th_errbuf eb = { "" };
	CHECK_EQ(endpoint_create(&cfg, &ops, &t.ep, &eb), TH_OK);
	t.counter = 1;
	t.b.client_id = 5;
	Theseus__Request req;
	Theseus__Ping ping;
	CHECK_EQ(t_send(&t, ping_req(&req, &ping)), TH_OK);   /* read-only: served */
	CHECK(!t.sealed);
	CHECK_EQ(t.rep->mac_kinds, 0);
	t_fini(&t);
}

int main(void)
{
	RUN(test_ping_and_epoch);
	RUN(test_push_and_swap);
	RUN(test_tampered_refused);
	RUN(test_header_and_key_bound);
	RUN(test_key_cache_bounded);
	RUN(test_no_key_ignores_kind);
	return check_summary("endpoint_mac_kind");
}
