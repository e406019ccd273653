/*
 * endpoint_request_fuzz.c - libFuzzer target for the endpoint core: every
 * input goes through endpoint_handle() against the fixture backend.
 *
 * Input byte 0 selects the mode: even = the rest is a raw datagram (the
 * unauthenticated attack surface); odd = the rest is a Request body that is
 * wrapped in a correctly MAC'd envelope with a fresh counter, so the request
 * decoder, handlers, staging area and swap are reached too.  In odd mode,
 * bit 1 binds the request to a wrong epoch (ESTALE), bit 2 sends it as one
 * of 64 client ids with a counter near 2^64 (the client table, the floor and
 * epoch changes), bit 7 MACs it with the kind-1 tag (ChaCha20-Poly1305
 * under the session key) instead of HMAC.  One endpoint lives across inputs (state builds up as in a
 * long-running kernel).  Every reply must decode and fit one datagram; a
 * MAC'd request's reply must carry a valid seal for it; a raw datagram's
 * refusal is never longer than the datagram (or absent).  The in-place
 * readers of a push (proto/wire_view.c) are checked against protobuf-c on
 * every input, as an Envelope and as a Request: what they take, protobuf-c
 * decodes too, to the same values.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "endpoint_fixture.h"

static const uint8_t KEY[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
				 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

static struct fx_backend fx;
static struct endpoint *ep;
static uint64_t counter = 1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A Request body holding a PushChunk with quiet set (theseus.proto, 10). */
static bool quiet_chunk(const uint8_t *body, size_t len)
{
	Theseus__Request *req = theseus__request__unpack(NULL, len, body);
	bool q = req && req->kind_case == THESEUS__REQUEST__KIND_PUSH_CHUNK && req->push_chunk->quiet;
	if (req)
		theseus__request__free_unpacked(req, NULL);
	return q;
}

static bool same_bytes(ProtobufCBinaryData a, const uint8_t *b, size_t n)
{
	return a.len == n && (!n || memcmp(a.data, b, n) == 0);
}

/* wire_view.c takes a subset of what protobuf-c takes, with equal values. */
static void check_views(const uint8_t *d, size_t len)
{
	struct proto_envelope_view ev;
	if (proto_envelope_view(d, len, &ev)) {
		Theseus__Envelope *e = theseus__envelope__unpack(NULL, len, d);
		if (!e || e->version != ev.version || e->client_id != ev.client_id ||
		    e->counter != ev.counter || e->epoch != ev.epoch || e->mac_kind != ev.mac_kind ||
		    !same_bytes(e->mac, ev.mac, ev.mac_len) || !same_bytes(e->body, ev.body, ev.body_len))
			abort();
		theseus__envelope__free_unpacked(e, NULL);
	}
	struct proto_chunk_view cv;
	if (proto_chunk_view(d, len, &cv)) {
		Theseus__Request *r = theseus__request__unpack(NULL, len, d);
		const Theseus__PushChunk *c = r ? r->push_chunk : NULL;
		if (!r || r->kind_case != THESEUS__REQUEST__KIND_PUSH_CHUNK || !c ||
		    c->total_size != cv.total_size || c->offset != cv.offset ||
		    c->chunk_size != cv.chunk_size || (bool)c->quiet != cv.quiet ||
		    !same_bytes(c->object_sha256, cv.sha, cv.sha_len) ||
		    !same_bytes(c->data, cv.data, cv.data_len))
			abort();
		theseus__request__free_unpacked(r, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1)
		check_views(data + 1, size - 1);
	if (!ep) {
		struct endpoint_config cfg = { .key = KEY, .staging_max_objects = 3,
					       .staging_max_bytes = 64 * 1024, .stale_ms = 50 };
		fx_backend_init(&fx);
		struct endpoint_ops ops = fx_ops(&fx);
		struct th_errbuf eb;
		if (endpoint_create(&cfg, &ops, &ep, &eb) != TH_OK)
			abort();
	}
	if (size == 0)
		return 0;
	fx.now_ms += 10;
	if (fx.n > 12)
		fx_backend_init(&fx);  /* keep the module table from filling up */

	static uint8_t dgram[4096], reply[PROTO_MAX_DATAGRAM];
	const uint8_t *d = data + 1;
	size_t len = size - 1;
	bool macd = data[0] & 1;
	struct proto_binding b = { .client_id = 99, .counter = ++counter,
				   .epoch = endpoint_epoch(ep) };
	if (macd) {
		if (data[0] & 2)
			b.epoch ^= 1 + (uint64_t)(data[0] >> 3);
		if (data[0] & 4) {
			b.client_id = 1000 + (data[0] >> 2);
			b.counter = UINT64_MAX - 64 * (uint64_t)(data[0] >> 3) - (counter & 63);
		}
		size_t n = 0;
		uint8_t ks[PROTO_SESSION_KEY_LEN];
		uint32_t kind = data[0] & 0x80 ? PROTO_MAC_KIND_POLY : PROTO_MAC_KIND_HMAC;
		proto_session_key(KEY, b.epoch, b.client_id, ks);
		if (proto_envelope_pack_kind(KEY, ks, kind, PROTO_VERSION, &b, data + 1, size - 1,
					     dgram, sizeof dgram, &n) != TH_OK)
			return 0;
		d = dgram;
		len = n;
	}
	size_t rlen = 0;
	if (endpoint_handle(ep, d, len, reply, sizeof reply, &rlen) != TH_OK)
		abort();
	if (rlen > sizeof reply)
		abort();
	if (rlen == 0) {
		if (macd && !quiet_chunk(data + 1, size - 1))
			abort();  /* an authenticated request always gets an answer, */
		return 0;         /* but a quiet chunk that was stored */
	}
	size_t body = 0;
	if (macd && (len <= PROTO_MAX_DATAGRAM) &&
	    proto_reply_open(KEY, &b, reply, rlen, &body) != TH_OK)
		abort();  /* unsealed or wrongly sealed reply to a MAC'd request */
	Theseus__Reply *rep = theseus__reply__unpack(NULL, rlen, reply);
	if (!rep)
		abort();
	if (!macd && rep->status && rlen > len)
		abort();  /* a refusal longer than the unauthenticated datagram */
	theseus__reply__free_unpacked(rep, NULL);
	return 0;
}
