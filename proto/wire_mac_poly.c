/*
 * wire_mac_poly.c - the cheap request MAC, Envelope.mac_kind 1 (wire.h,
 * proto/theseus.proto section 2a): the RFC 8439 ChaCha20-Poly1305 AEAD with
 * an empty plaintext used as a MAC, under a per-session key derived from the
 * protocol key.  About a fifth of the work of HMAC-SHA256 over the same
 * bytes (one ChaCha20 block and one Poly1305 pass instead of two SHA-256
 * passes), which matters for PushChunk, the request sent by the thousand.
 *
 *   K_s   = HMAC-SHA256(key, "THS1" || LE64(epoch) || LE64(client_id))
 *   nonce = LE32(version) || LE64(counter)
 *   AAD   = LE32(version) || LE64(client_id) || LE64(counter) || LE64(epoch)
 *           || body                      (the bytes the HMAC of kind 0 covers)
 *   tag   = ChaCha20-Poly1305(K_s, nonce, AAD, plaintext = "") (16 bytes)
 *
 * The session key keeps the two uses of the protocol key apart and makes
 * the nonce unique per key: a counter is used once per session (rule 4).
 * The crypto is BearSSL's (poly1305_ctmulq where the compiler has 128-bit
 * integers, else poly1305_ctmul; chacha20_ct); nothing here is our own.
 */
#include "wire.h"

#include "klibc.h"

#include <bearssl_block.h>
#include <bearssl_hmac.h>

#define HDR_LEN 28   /* LE32 version, LE64 client id, counter, epoch */

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void proto_session_key_k(const struct proto_mac_key *k, uint64_t epoch, uint64_t client_id,
			 uint8_t ks[PROTO_SESSION_KEY_LEN])
{
	uint8_t msg[20] = { 'T', 'H', 'S', '1' };
	br_hmac_context hc;

	put_le(msg + 4, epoch, 8);
	put_le(msg + 12, client_id, 8);
	br_hmac_init(&hc, (const br_hmac_key_context *)(const void *)k, 0);
	br_hmac_update(&hc, msg, sizeof msg);
	br_hmac_out(&hc, ks);
}

void proto_session_key(const uint8_t key[PROTO_KEY_LEN], uint64_t epoch, uint64_t client_id,
		       uint8_t ks[PROTO_SESSION_KEY_LEN])
{
	struct proto_mac_key k;
	proto_mac_key_init(&k, key);
	proto_session_key_k(&k, epoch, client_id, ks);
}

int proto_aead_seal(const uint8_t key[PROTO_SESSION_KEY_LEN], const uint8_t nonce[12],
		    const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
		    uint8_t tag[PROTO_POLY_TAG_LEN])
{
	br_poly1305_run run = br_poly1305_ctmulq_get();
	uint8_t none[1] = { 0 };

	if ((aad_len && !aad) || (len && !data))
		return TH_EINVAL;
	if (!run)
		run = br_poly1305_ctmul_run;
	run(key, nonce, len ? data : none, len, aad_len ? aad : none, aad_len, tag,
	    br_chacha20_ct_run, 1);
	return TH_OK;
}

int proto_poly_mac_compute(const uint8_t ks[PROTO_SESSION_KEY_LEN], uint32_t version,
			   const struct proto_binding *b, const uint8_t *body, size_t body_len,
			   uint8_t tag[PROTO_POLY_TAG_LEN])
{
	/* The AEAD takes its associated data in one piece: header || body. */
	uint8_t aad[HDR_LEN + PROTO_MAX_DATAGRAM];
	uint8_t nonce[12];

	if (body_len > PROTO_MAX_DATAGRAM || (body_len && !body))
		return TH_ETOOBIG;
	put_le(aad, version, 4);
	put_le(aad + 4, b->client_id, 8);
	put_le(aad + 12, b->counter, 8);
	put_le(aad + 20, b->epoch, 8);
	if (body_len)
		memcpy(aad + HDR_LEN, body, body_len);
	put_le(nonce, version, 4);
	put_le(nonce + 4, b->counter, 8);
	return proto_aead_seal(ks, nonce, aad, HDR_LEN + body_len, NULL, 0, tag);
}

int proto_poly_mac_verify(const uint8_t ks[PROTO_SESSION_KEY_LEN], uint32_t version,
			  const struct proto_binding *b, const uint8_t *body, size_t body_len,
			  const uint8_t *tag, size_t tag_len)
{
	uint8_t want[PROTO_POLY_TAG_LEN];

	if (tag_len != PROTO_POLY_TAG_LEN || !tag)
		return TH_EAUTH;
	if (proto_poly_mac_compute(ks, version, b, body, body_len, want) != TH_OK)
		return TH_EAUTH;
	return proto_bytes_equal_ct(want, tag, PROTO_POLY_TAG_LEN) ? TH_OK : TH_EAUTH;
}
