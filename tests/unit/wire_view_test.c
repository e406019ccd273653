/*
 * wire_view_test.c - host test of the in-place readers of a push
 * (proto/wire_view.c): envelopes and chunk requests packed by protobuf-c
 * are read to the same values, pointing into the buffer; every departure
 * from the canonical form (a field twice, an unknown field, a wrong wire
 * type, a value too large for its field, a bool other than 0/1, another
 * request kind, a truncation inside a field) is declined, never misread.
 */
#include <string.h>

#include "check.h"
#include "theseus.pb-c.h"
#include "wire.h"

static size_t pack_chunk(uint8_t *out, uint64_t total, uint64_t off, uint32_t csize, bool quiet)
{
	static uint8_t sha[32] = { 1, 2, 3 }, data[1000];
	memset(data, 0x5a, sizeof data);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256 = (ProtobufCBinaryData){ 32, sha };
	pc.total_size = total;
	pc.offset = off;
	pc.data = (ProtobufCBinaryData){ sizeof data, data };
	pc.chunk_size = csize;
	pc.quiet = quiet;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	return theseus__request__pack(&req, out);
}

static void test_chunk_read_in_place(void)
{
	uint8_t buf[1200];
	size_t n = pack_chunk(buf, 5000000000ull, 4096, 1248, true);
	struct proto_chunk_view c;
	CHECK(proto_chunk_view(buf, n, &c));
	CHECK(c.total_size == 5000000000ull && c.offset == 4096 && c.chunk_size == 1248 && c.quiet);
	CHECK(c.sha_len == 32 && c.sha[0] == 1 && c.sha[2] == 3);
	CHECK(c.data_len == 1000 && c.data > buf && c.data + 1000 <= buf + n && c.data[999] == 0x5a);
	n = pack_chunk(buf, 0, 0, 0, false);   /* zeros are left out by the encoder */
	CHECK(proto_chunk_view(buf, n, &c));
	CHECK(c.total_size == 0 && c.offset == 0 && c.chunk_size == 0 && !c.quiet);
	for (size_t cut = 0; cut < n; cut++)     /* every truncation declined */
		CHECK(!proto_chunk_view(buf, cut, &c) || cut == 0);
}

static void test_chunk_declined(void)
{
	uint8_t buf[1300];
	struct proto_chunk_view c;
	size_t n = pack_chunk(buf, 100, 0, 0, false);
	/* Another kind: a ping (field 1). */
	static const uint8_t ping[] = { 0x0a, 0x02, 0x0a, 0x00 };
	CHECK(!proto_chunk_view(ping, sizeof ping, &c));
	CHECK(!proto_chunk_view(NULL, 0, &c));
	/* push_chunk followed by a second oneof member (protobuf: the last wins). */
	memcpy(buf + n, ping, 2);
	CHECK(!proto_chunk_view(buf, n + 2, &c));
	/* Inside the chunk: quiet = 2, a field twice, an unknown field 9,
	 * chunk_size over 32 bits, total_size as a length-delimited field. */
	static const uint8_t q2[] = { 0x22, 0x02, 0x30, 0x02 };
	static const uint8_t twice[] = { 0x22, 0x04, 0x10, 0x01, 0x10, 0x02 };
	static const uint8_t unknown[] = { 0x22, 0x02, 0x48, 0x01 };
	static const uint8_t big[] = { 0x22, 0x07, 0x28, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 };
	static const uint8_t wt[] = { 0x22, 0x03, 0x12, 0x01, 0x00 };
	static const uint8_t ok[] = { 0x22, 0x04, 0x10, 0x01, 0x30, 0x01 };
	CHECK(!proto_chunk_view(q2, sizeof q2, &c));
	CHECK(!proto_chunk_view(twice, sizeof twice, &c));
	CHECK(!proto_chunk_view(unknown, sizeof unknown, &c));
	CHECK(!proto_chunk_view(big, sizeof big - 1, &c));
	CHECK(!proto_chunk_view(wt, sizeof wt, &c));
	CHECK(proto_chunk_view(ok, sizeof ok, &c) && c.total_size == 1 && c.quiet);
	/* A varint running past 64 bits. */
	static const uint8_t over[] = { 0x22, 0x0b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0x02 };
	CHECK(!proto_chunk_view(over, sizeof over, &c));
}

static void test_envelope(void)
{
	uint8_t body[100], out[300];
	memset(body, 7, sizeof body);
	Theseus__Envelope e = THESEUS__ENVELOPE__INIT;
	uint8_t mac[16] = { 9 };
	e.version = 2;
	e.client_id = 0xfedcba9876543210ull;
	e.counter = 77;
	e.epoch = 0x123456789abcdefull;
	e.mac_kind = 1;
	e.mac = (ProtobufCBinaryData){ sizeof mac, mac };
	e.body = (ProtobufCBinaryData){ sizeof body, body };
	size_t n = theseus__envelope__pack(&e, out);
	struct proto_envelope_view v;
	CHECK(proto_envelope_view(out, n, &v));
	CHECK(v.version == 2 && v.client_id == e.client_id && v.counter == 77 &&
	      v.epoch == e.epoch && v.mac_kind == 1);
	CHECK(v.mac_len == 16 && v.mac[0] == 9 && v.body_len == 100 && v.body > out &&
	      v.body + 100 <= out + n);
	/* Cut anywhere: inside a field declined; at a field's end, a shorter
	 * envelope protobuf-c reads the same. */
	for (size_t cut = 1; cut < n; cut++) {
		if (!proto_envelope_view(out, cut, &v))
			continue;
		Theseus__Envelope *u = theseus__envelope__unpack(NULL, cut, out);
		CHECK(u != NULL);
		if (u) {
			CHECK(u->version == v.version && u->client_id == v.client_id &&
			      u->counter == v.counter && u->body.len == v.body_len &&
			      u->mac.len == v.mac_len);
			theseus__envelope__free_unpacked(u, NULL);
		}
	}
	/* version twice; version as a length-delimited field; field 8; version over 32 bits */
	static const uint8_t twice[] = { 0x08, 0x02, 0x08, 0x02 };
	static const uint8_t wt[] = { 0x0a, 0x00 };
	static const uint8_t unknown[] = { 0x08, 0x02, 0x40, 0x01 };
	static const uint8_t big[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x10 };
	CHECK(!proto_envelope_view(twice, sizeof twice, &v));
	CHECK(!proto_envelope_view(wt, sizeof wt, &v));
	CHECK(!proto_envelope_view(unknown, sizeof unknown, &v));
	CHECK(!proto_envelope_view(big, sizeof big, &v));
	CHECK(proto_envelope_view(out, 0, &v) && v.version == 0 && !v.body);   /* empty: all zero */
}

int main(void)
{
	RUN(test_chunk_read_in_place);
	RUN(test_chunk_declined);
	RUN(test_envelope);
	return check_summary("wire_view");
}
