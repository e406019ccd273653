/*
 * wire_mac.c - the cryptographic helpers of the control protocol (wire.h),
 * shared by the endpoint core and theseusctl: the request MAC (HMAC-SHA256
 * over a fixed little-endian header and the body), the reply seal (a MAC
 * bound to the request, appended to the packed Reply), a constant-time compare,
 * SHA-256, and packing an Envelope (with either kind of MAC; kind 1 is
 * wire_mac_poly.c).  Uses BearSSL (host: libbearssl; kernel: a
 * freestanding build of its sha2small.c and hmac.c, see proto/proto.mk);
 * host builds hash whole objects with the CPU's SHA instructions where it
 * has them (sha256_ni.c).
 */
#include "wire.h"
#ifndef THESEUS_KERNEL
#include "sha256_ni.h"
#endif

#include "klibc.h"
#include "theseus.pb-c.h"

#include <bearssl_hash.h>
#include <bearssl_hmac.h>

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

_Static_assert(sizeof(br_hmac_key_context) <= sizeof(struct proto_mac_key),
	       "struct proto_mac_key holds a br_hmac_key_context");

static const br_hmac_key_context *kctx(const struct proto_mac_key *k)
{
	return (const br_hmac_key_context *)(const void *)k;
}

void proto_mac_key_init(struct proto_mac_key *k, const uint8_t key[PROTO_KEY_LEN])
{
	br_hmac_key_init((br_hmac_key_context *)(void *)k, &br_sha256_vtable, key, PROTO_KEY_LEN);
}

/* HMAC(k, hdr[0..28) || data[0..len)). */
static void hmac28(const struct proto_mac_key *k, const uint8_t hdr[28], const uint8_t *data,
		   size_t len, uint8_t mac[PROTO_MAC_LEN])
{
	br_hmac_context hc;
	br_hmac_init(&hc, kctx(k), 0);
	br_hmac_update(&hc, hdr, 28);
	if (len)
		br_hmac_update(&hc, data, len);
	br_hmac_out(&hc, mac);
}

void proto_mac_compute_k(const struct proto_mac_key *k, uint32_t version,
			 const struct proto_binding *b, const uint8_t *body, size_t body_len,
			 uint8_t mac[PROTO_MAC_LEN])
{
	uint8_t hdr[28];

	put_le(hdr, version, 4);
	put_le(hdr + 4, b->client_id, 8);
	put_le(hdr + 12, b->counter, 8);
	put_le(hdr + 20, b->epoch, 8);
	hmac28(k, hdr, body, body_len, mac);
}

void proto_mac_compute(const uint8_t key[PROTO_KEY_LEN], uint32_t version,
			  const struct proto_binding *b, const uint8_t *body, size_t body_len,
			  uint8_t mac[PROTO_MAC_LEN])
{
	struct proto_mac_key k;
	proto_mac_key_init(&k, key);
	proto_mac_compute_k(&k, version, b, body, body_len, mac);
}

static void reply_mac_k(const struct proto_mac_key *k, const struct proto_binding *b,
			const uint8_t *rep, size_t len, uint8_t mac[PROTO_MAC_LEN])
{
	uint8_t hdr[28] = { 'T', 'H', 'R', 'P' };

	put_le(hdr + 4, b->epoch, 8);
	put_le(hdr + 12, b->client_id, 8);
	put_le(hdr + 20, b->counter, 8);
	hmac28(k, hdr, rep, len, mac);
}

void proto_reply_mac_compute(const uint8_t key[PROTO_KEY_LEN], const struct proto_binding *b,
			     const uint8_t *rep, size_t len, uint8_t mac[PROTO_MAC_LEN])
{
	struct proto_mac_key k;
	proto_mac_key_init(&k, key);
	reply_mac_k(&k, b, rep, len, mac);
}

int proto_reply_seal_k(const struct proto_mac_key *k, const struct proto_binding *b,
		       uint8_t *buf, size_t *len, size_t cap)
{
	if (*len > cap || cap - *len < PROTO_REPLY_SEAL_LEN)
		return TH_ETOOBIG;
	uint8_t *seal = buf + *len;
	reply_mac_k(k, b, buf, *len, seal + 2);
	seal[0] = PROTO_REPLY_MAC_TAG;
	seal[1] = PROTO_MAC_LEN;
	*len += PROTO_REPLY_SEAL_LEN;
	return TH_OK;
}

int proto_reply_seal(const uint8_t key[PROTO_KEY_LEN], const struct proto_binding *b,
		     uint8_t *buf, size_t *len, size_t cap)
{
	struct proto_mac_key k;
	proto_mac_key_init(&k, key);
	return proto_reply_seal_k(&k, b, buf, len, cap);
}

int proto_reply_open(const uint8_t key[PROTO_KEY_LEN], const struct proto_binding *b,
		     const uint8_t *buf, size_t len, size_t *body_len)
{
	uint8_t mac[PROTO_MAC_LEN];
	if (len < PROTO_REPLY_SEAL_LEN)
		return TH_EAUTH;
	size_t n = len - PROTO_REPLY_SEAL_LEN;
	if (buf[n] != PROTO_REPLY_MAC_TAG || buf[n + 1] != PROTO_MAC_LEN)
		return TH_EAUTH;
	proto_reply_mac_compute(key, b, buf, n, mac);
	if (!proto_bytes_equal_ct(mac, buf + n + 2, PROTO_MAC_LEN))
		return TH_EAUTH;
	*body_len = n;
	return TH_OK;
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
#ifndef THESEUS_KERNEL
	if (proto_sha256_ni(data, len, out))   /* the CPU's SHA instructions, where it has them */
		return;
#endif
	br_sha256_context c;
	br_sha256_init(&c);
	if (len)
		br_sha256_update(&c, data, len);
	br_sha256_out(&c, out);
}

_Static_assert(sizeof(br_sha256_context) <= sizeof(struct proto_sha256_ctx),
	       "struct proto_sha256_ctx holds a br_sha256_context");

void proto_sha256_init(struct proto_sha256_ctx *c)
{
	br_sha256_init((br_sha256_context *)(void *)c);
}

void proto_sha256_update(struct proto_sha256_ctx *c, const uint8_t *data, size_t len)
{
	if (len)
		br_sha256_update((br_sha256_context *)(void *)c, data, len);
}

void proto_sha256_out(const struct proto_sha256_ctx *c, uint8_t out[PROTO_SHA256_LEN])
{
	br_sha256_out((const br_sha256_context *)(const void *)c, out);
}

int proto_envelope_pack_kind(const uint8_t *key, const uint8_t *ks, uint32_t mac_kind,
			     uint32_t version, const struct proto_binding *b,
			     const uint8_t *body, size_t body_len, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
	uint8_t mac[PROTO_MAC_LEN];

	env.version = version;
	env.client_id = b->client_id;
	env.counter = b->counter;
	env.epoch = b->epoch;
	env.body.data = (uint8_t *)body;
	env.body.len = body_len;
	if (mac_kind == PROTO_MAC_KIND_POLY) {
		if (!ks)
			return TH_EINVAL;
		int err = proto_poly_mac_compute(ks, version, b, body, body_len, mac);
		if (err)
			return err;
		env.mac_kind = PROTO_MAC_KIND_POLY;
		env.mac.data = mac;
		env.mac.len = PROTO_POLY_TAG_LEN;
	} else if (mac_kind != PROTO_MAC_KIND_HMAC) {
		return TH_EINVAL;
	} else if (key) {
		proto_mac_compute(key, version, b, body, body_len, mac);
		env.mac.data = mac;
		env.mac.len = sizeof mac;
	}
	size_t n = theseus__envelope__get_packed_size(&env);
	if (n > cap)
		return TH_ETOOBIG;
	*out_len = theseus__envelope__pack(&env, out);
	return TH_OK;
}

int proto_envelope_pack(const uint8_t *key, uint32_t version, const struct proto_binding *b,
			const uint8_t *body, size_t body_len, uint8_t *out, size_t cap,
			size_t *out_len)
{
	return proto_envelope_pack_kind(key, NULL, PROTO_MAC_KIND_HMAC, version, b, body,
					body_len, out, cap, out_len);
}
