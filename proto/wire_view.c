/*
 * wire_view.c - the datagrams of a push read in place: an Envelope, and a
 * Request that is one PushChunk, decoded without protobuf-c and without
 * copying (the body and the chunk's data stay where the datagram is).
 *
 * A push is nearly all chunk datagrams, and decoding them with protobuf-c
 * copied each payload twice (the Envelope's body, then the chunk's data)
 * and took a tenth of the guest's time.  These readers take only the
 * canonical form a protobuf encoder writes: each field of the message at
 * most once, with its own wire type, no field the message does not have,
 * varints of at most 10 bytes that fit their field, bools 0 or 1.  For
 * anything else they answer false and the caller decodes with protobuf-c as
 * before, so what they accept they decode exactly as protobuf-c would (the
 * endpoint_request fuzz target checks that on every input).  Every length
 * is checked against what is left before it is used.
 */
#include "wire.h"

#include "klibc.h"

enum { WT_VARINT = 0, WT_LEN = 2 };

/* A varint that fits 64 bits (wire.h's proto_varint). */
static bool varint(const uint8_t *p, size_t len, size_t *i, uint64_t *out)
{
	bool over;
	return proto_varint(p, len, i, out, &over) && !over;
}

/* One field's key: its number and wire type; false past the end or for a
 * number above 2^29 - 1 or 0. */
static bool field_key(const uint8_t *p, size_t len, size_t *i, uint32_t *num, unsigned *wt)
{
	uint64_t k;
	if (!varint(p, len, i, &k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff)
		return false;
	*num = (uint32_t)(k >> 3);
	*wt = (unsigned)(k & 7);
	return true;
}

/* A length-delimited field's bytes, in place. */
static bool bytes_field(const uint8_t *p, size_t len, size_t *i, const uint8_t **out, size_t *n)
{
	uint64_t l;
	if (!varint(p, len, i, &l) || l > len - *i)
		return false;
	*out = p + *i;
	*n = (size_t)l;
	*i += (size_t)l;
	return true;
}

bool proto_envelope_view(const uint8_t *buf, size_t len, struct proto_envelope_view *out)
{
	struct proto_envelope_view v = { 0 };
	uint32_t seen = 0, num;
	unsigned wt;
	uint64_t x;
	size_t i = 0;
	if (!buf)
		return false;
	while (i < len) {
		if (!field_key(buf, len, &i, &num, &wt) || num > 7 || (seen & (1u << num)))
			return false;
		seen |= 1u << num;
		bool is_bytes = num == 4 || num == 5;
		if (wt != (is_bytes ? WT_LEN : WT_VARINT))
			return false;
		if (is_bytes) {
			if (!bytes_field(buf, len, &i, num == 4 ? &v.mac : &v.body,
					 num == 4 ? &v.mac_len : &v.body_len))
				return false;
			continue;
		}
		if (!varint(buf, len, &i, &x))
			return false;
		switch (num) {
		case 1:
			if (x > UINT32_MAX)
				return false;
			v.version = (uint32_t)x;
			break;
		case 2:
			v.client_id = x;
			break;
		case 3:
			v.counter = x;
			break;
		case 6:
			v.epoch = x;
			break;
		default:   /* 7 */
			if (x > UINT32_MAX)
				return false;
			v.mac_kind = (uint32_t)x;
			break;
		}
	}
	*out = v;
	return true;
}

/* PushChunk's fields: 1 object_sha256, 2 total_size, 3 offset, 4 data,
 * 5 chunk_size, 6 quiet. */
static bool chunk_fields(const uint8_t *p, size_t len, struct proto_chunk_view *c)
{
	uint32_t seen = 0, num;
	unsigned wt;
	uint64_t x;
	size_t i = 0;
	while (i < len) {
		if (!field_key(p, len, &i, &num, &wt) || num > 6 || (seen & (1u << num)))
			return false;
		seen |= 1u << num;
		bool is_bytes = num == 1 || num == 4;
		if (wt != (is_bytes ? WT_LEN : WT_VARINT))
			return false;
		if (is_bytes) {
			if (!bytes_field(p, len, &i, num == 1 ? &c->sha : &c->data,
					 num == 1 ? &c->sha_len : &c->data_len))
				return false;
			continue;
		}
		if (!varint(p, len, &i, &x))
			return false;
		if (num == 2) {
			c->total_size = x;
		} else if (num == 3) {
			c->offset = x;
		} else if (num == 5) {
			if (x > UINT32_MAX)
				return false;
			c->chunk_size = (uint32_t)x;
		} else {   /* 6 */
			if (x > 1)
				return false;
			c->quiet = x == 1;
		}
	}
	return true;
}

bool proto_chunk_view(const uint8_t *body, size_t len, struct proto_chunk_view *out)
{
	struct proto_chunk_view c = { 0 };
	const uint8_t *inner;
	size_t i = 0, n;
	uint32_t num;
	unsigned wt;
	/* The Request: its push_chunk (field 4) and nothing else. */
	if (!body || !field_key(body, len, &i, &num, &wt) || num != 4 || wt != WT_LEN ||
	    !bytes_field(body, len, &i, &inner, &n) || i != len || !chunk_fields(inner, n, &c))
		return false;
	*out = c;
	return true;
}
