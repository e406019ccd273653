/*
 * wire_mac_poly_test.c - host unit tests of the kind-1 request MAC
 * (proto/wire_mac_poly.c): the RFC 8439 section 2.8.2 AEAD vector through
 * proto_aead_seal, a kind-1 known answer computed with an independent
 * implementation (OpenSSL's ChaCha20-Poly1305 via python3-cryptography, see
 * the comment at KAT_TAG), and refusals: one byte off at the first, middle
 * and last byte of the body and of each header field, a tag of the wrong
 * length, the wrong session key, and the envelope packer's kinds.
 */
#include "check.h"
#include "theseus.pb-c.h"
#include "wire.h"

static void test_rfc8439_aead_vector(void)
{
	/* RFC 8439, 2.8.2: key 80..9f, nonce, AAD, the "sunscreen" plaintext. */
	uint8_t key[32], tag[16];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	static const uint8_t nonce[12] = { 0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43,
					   0x44, 0x45, 0x46, 0x47 };
	static const uint8_t aad[12] = { 0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1,
					 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 };
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	static const uint8_t ct_head[16] = { 0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb,
					     0x7b, 0x86, 0xaf, 0xbc, 0x53, 0xef, 0x7e, 0xc2 };
	static const uint8_t ct_tail[2] = { 0x61, 0x16 };
	static const uint8_t want_tag[16] = { 0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a,
					      0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91 };
	uint8_t data[114];
	CHECK_EQ(sizeof pt - 1, sizeof data);
	memcpy(data, pt, sizeof data);
	CHECK_EQ(proto_aead_seal(key, nonce, aad, sizeof aad, data, sizeof data, tag), TH_OK);
	CHECK(memcmp(data, ct_head, sizeof ct_head) == 0);
	CHECK(memcmp(data + sizeof data - 2, ct_tail, 2) == 0);
	CHECK(memcmp(tag, want_tag, 16) == 0);
	CHECK_EQ(proto_aead_seal(key, nonce, NULL, 1, data, 0, tag), TH_EINVAL);
	CHECK_EQ(proto_aead_seal(key, nonce, aad, 0, NULL, 1, tag), TH_EINVAL);
}

static const uint8_t KEY[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const struct proto_binding BIND = { .client_id = 42, .counter = 1001,
					   .epoch = 0x1122334455667788ull };

static void kat_body(uint8_t body[300])
{
	for (int i = 0; i < 300; i++)
		body[i] = (uint8_t)(i * 7 + 3);
}

/* Computed independently (python3-cryptography, i.e. OpenSSL):
 *   ks  = HMAC-SHA256(KEY, b"THS1" + pack("<QQ", epoch, client_id))
 *   tag = ChaCha20Poly1305(ks).encrypt(pack("<IQ", 2, counter), b"",
 *             pack("<IQQQ", 2, client_id, counter, epoch) + body)
 * with body[i] = (7 i + 3) & 0xff, 300 bytes. */
static const uint8_t KAT_KS[32] = {
	0x33, 0x23, 0xc2, 0xaa, 0xae, 0x94, 0xfd, 0xf6, 0xc8, 0x1a, 0x6d, 0x6d, 0xf8, 0x47,
	0x87, 0x0b, 0x6f, 0x78, 0x80, 0xaa, 0x9d, 0x88, 0x79, 0x59, 0x4d, 0x66, 0xe5, 0xe4,
	0x02, 0x9a, 0x99, 0x8a };
static const uint8_t KAT_TAG[16] = { 0xc5, 0x95, 0x61, 0x4d, 0xeb, 0x0a, 0x2c, 0x8a,
				     0x9f, 0x1c, 0xde, 0x0e, 0xa2, 0x0b, 0xf2, 0x72 };

static void test_kind1_known_answer(void)
{
	uint8_t ks[32], ks2[32], tag[16], body[300];
	struct proto_mac_key k;
	kat_body(body);
	proto_session_key(KEY, BIND.epoch, BIND.client_id, ks);
	CHECK(memcmp(ks, KAT_KS, 32) == 0);
	proto_mac_key_init(&k, KEY);
	proto_session_key_k(&k, BIND.epoch, BIND.client_id, ks2);
	CHECK(memcmp(ks2, KAT_KS, 32) == 0);
	CHECK_EQ(proto_poly_mac_compute(ks, PROTO_VERSION, &BIND, body, sizeof body, tag), TH_OK);
	CHECK(memcmp(tag, KAT_TAG, 16) == 0);
	CHECK_EQ(proto_poly_mac_verify(ks, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16),
		 TH_OK);
}

static int verify(const uint8_t *ks, uint32_t version, const struct proto_binding *b,
		  const uint8_t *body, size_t len, const uint8_t *tag, size_t tag_len)
{
	return proto_poly_mac_verify(ks, version, b, body, len, tag, tag_len);
}

static void test_one_byte_off(void)
{
	uint8_t body[300];
	kat_body(body);
	const size_t pos[3] = { 0, sizeof body / 2, sizeof body - 1 };
	for (int k = 0; k < 3; k++) {
		body[pos[k]] ^= 1;
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16),
			 TH_EAUTH);
		body[pos[k]] ^= 1;
	}
	CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, body, sizeof body - 1, KAT_TAG, 16),
		 TH_EAUTH);
	/* The header: version (4 bytes), client id, counter, epoch (8 each):
	 * first, middle and last byte of each. */
	const int bytepos[3] = { 0, 1, 3 };
	for (int k = 0; k < 3; k++)
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION ^ (1u << (8 * bytepos[k])), &BIND, body,
				sizeof body, KAT_TAG, 16), TH_EAUTH);
	const int pos8[3] = { 0, 4, 7 };
	for (int k = 0; k < 3; k++) {
		uint64_t bit = 1ull << (8 * pos8[k]);
		struct proto_binding b = BIND;
		b.client_id ^= bit;
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &b, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
		b = BIND;
		b.counter ^= bit;
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &b, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
		b = BIND;
		b.epoch ^= bit;
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &b, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
	}
	/* The tag itself. */
	for (int k = 0; k < 3; k++) {
		uint8_t t[16];
		memcpy(t, KAT_TAG, 16);
		t[(int[]){ 0, 8, 15 }[k]] ^= 0x80;
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, body, sizeof body, t, 16), TH_EAUTH);
	}
	CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16), TH_OK);
}

static void test_wrong_tag_length(void)
{
	uint8_t body[300], longer[33];
	kat_body(body);
	memcpy(longer, KAT_TAG, 16);
	memset(longer + 16, 0, sizeof longer - 16);
	const size_t lens[] = { 0, 1, 15, 17, 32, 33 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, body, sizeof body, longer, lens[i]),
			 TH_EAUTH);
	CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, body, sizeof body, NULL, 16), TH_EAUTH);
}

static void test_wrong_session_key(void)
{
	uint8_t body[300], ks[32], key2[32];
	kat_body(body);
	/* another epoch, another client id, another key */
	proto_session_key(KEY, BIND.epoch + 1, BIND.client_id, ks);
	CHECK_EQ(verify(ks, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
	proto_session_key(KEY, BIND.epoch, BIND.client_id + 1, ks);
	CHECK_EQ(verify(ks, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
	memcpy(key2, KEY, 32);
	key2[31] ^= 1;
	proto_session_key(key2, BIND.epoch, BIND.client_id, ks);
	CHECK_EQ(verify(ks, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
	/* the protocol key itself is not the session key */
	CHECK_EQ(verify(KEY, PROTO_VERSION, &BIND, body, sizeof body, KAT_TAG, 16), TH_EAUTH);
}

static void test_sizes(void)
{
	static uint8_t big[PROTO_MAX_DATAGRAM + 1];
	uint8_t tag[16], tag2[16];
	CHECK_EQ(proto_poly_mac_compute(KAT_KS, PROTO_VERSION, &BIND, big, sizeof big, tag),
		 TH_ETOOBIG);
	CHECK_EQ(proto_poly_mac_compute(KAT_KS, PROTO_VERSION, &BIND, big, PROTO_MAX_DATAGRAM, tag),
		 TH_OK);
	CHECK_EQ(proto_poly_mac_compute(KAT_KS, PROTO_VERSION, &BIND, NULL, 0, tag), TH_OK);
	CHECK_EQ(proto_poly_mac_compute(KAT_KS, PROTO_VERSION, &BIND, big, 0, tag2), TH_OK);
	CHECK(memcmp(tag, tag2, 16) == 0);
	CHECK_EQ(verify(KAT_KS, PROTO_VERSION, &BIND, NULL, 0, tag, 16), TH_OK);
}

static void test_envelope_pack_kind(void)
{
	uint8_t body[300], out[PROTO_MAX_DATAGRAM];
	size_t n = 0;
	kat_body(body);
	CHECK_EQ(proto_envelope_pack_kind(KEY, KAT_KS, PROTO_MAC_KIND_POLY, PROTO_VERSION, &BIND,
					  body, sizeof body, out, sizeof out, &n), TH_OK);
	Theseus__Envelope *env = theseus__envelope__unpack(NULL, n, out);
	CHECK(env != NULL);
	if (env) {
		CHECK_EQ(env->mac_kind, 1);
		CHECK_EQ(env->mac.len, 16);
		CHECK(env->mac.len == 16 && memcmp(env->mac.data, KAT_TAG, 16) == 0);
		theseus__envelope__free_unpacked(env, NULL);
	}
	CHECK_EQ(proto_envelope_pack_kind(KEY, NULL, PROTO_MAC_KIND_POLY, PROTO_VERSION, &BIND,
					  body, sizeof body, out, sizeof out, &n), TH_EINVAL);
	CHECK_EQ(proto_envelope_pack_kind(KEY, KAT_KS, 2, PROTO_VERSION, &BIND, body, sizeof body,
					  out, sizeof out, &n), TH_EINVAL);
	CHECK_EQ(proto_envelope_pack_kind(KEY, KAT_KS, PROTO_MAC_KIND_POLY, PROTO_VERSION, &BIND,
					  body, sizeof body, out, 100, &n), TH_ETOOBIG);
	/* kind 0 is what proto_envelope_pack makes: no mac_kind field on the wire */
	uint8_t out2[PROTO_MAX_DATAGRAM];
	size_t n2 = 0;
	CHECK_EQ(proto_envelope_pack_kind(KEY, NULL, PROTO_MAC_KIND_HMAC, PROTO_VERSION, &BIND,
					  body, sizeof body, out, sizeof out, &n), TH_OK);
	CHECK_EQ(proto_envelope_pack(KEY, PROTO_VERSION, &BIND, body, sizeof body, out2,
				     sizeof out2, &n2), TH_OK);
	CHECK(n == n2 && memcmp(out, out2, n) == 0);
}

int main(void)
{
	RUN(test_rfc8439_aead_vector);
	RUN(test_kind1_known_answer);
	RUN(test_one_byte_off);
	RUN(test_wrong_tag_length);
	RUN(test_wrong_session_key);
	RUN(test_sizes);
	RUN(test_envelope_pack_kind);
	return check_summary("wire_mac_poly");
}
