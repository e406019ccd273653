/*
 * wire_mac.c - the cryptographic helpers of the control protocol (wire.h),
 * shared by the endpoint core and theseusctl: the request MAC (HMAC-SHA256
 * over a fixed little-endian header and the body), a constant-time compare,
 * SHA-256, and packing an Envelope.  Uses BearSSL (host: libbearssl; kernel: a
 * freestanding build of its sha2small.c and hmac.c, see proto/proto.mk).
 */
#include "wire.h"

#include "klibc.h"
#include "theseus.pb-c.h"

#include <bearssl_hash.h>
#include <bearssl_hmac.h>

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void proto_mac_compute(const uint8_t key[PROTO_KEY_LEN], uint32_t version,
			  uint64_t client_id, uint64_t counter, const uint8_t *body,
			  size_t body_len, uint8_t mac[PROTO_MAC_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t hdr[20];

	put_le(hdr, version, 4);
	put_le(hdr + 4, client_id, 8);
	put_le(hdr + 12, counter, 8);
	br_hmac_key_init(&kc, &br_sha256_vtable, key, PROTO_KEY_LEN);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, hdr, sizeof hdr);
	if (body_len)
		br_hmac_update(&hc, body, body_len);
	br_hmac_out(&hc, mac);
}

bool proto_bytes_equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

void proto_sha256(const uint8_t *data, size_t len, uint8_t out[PROTO_SHA256_LEN])
{
	br_sha256_context c;
	br_sha256_init(&c);
	if (len)
		br_sha256_update(&c, data, len);
	br_sha256_out(&c, out);
}

int proto_envelope_pack(const uint8_t *key, uint32_t version, uint64_t client_id,
			   uint64_t counter, const uint8_t *body, size_t body_len,
			   uint8_t *out, size_t cap, size_t *out_len)
{
	Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
	uint8_t mac[PROTO_MAC_LEN];

	env.version = version;
	env.client_id = client_id;
	env.counter = counter;
	env.body.data = (uint8_t *)body;
	env.body.len = body_len;
	if (key) {
		proto_mac_compute(key, version, client_id, counter, body, body_len, mac);
		env.mac.data = mac;
		env.mac.len = sizeof mac;
	}
	size_t n = theseus__envelope__get_packed_size(&env);
	if (n > cap)
		return TH_ETOOBIG;
	*out_len = theseus__envelope__pack(&env, out);
	return TH_OK;
}
