/*
 * wire.h - the control protocol's wire library (proto/), shared by the
 * kernel's endpoint (net/endpoint/) and the host tool (ctl/): the limits
 * every message obeys, the status mapping, the envelope with its MAC, the
 * SHA-256 that names objects, name validation and key parsing.  The schema
 * is proto/theseus.proto (C generated at build time by protoc-c).  Depends
 * on nothing but the error enum (err.h) and BearSSL's hashes and AEAD.
 *
 * A request is one datagram: Envelope{version, client_id, counter, epoch,
 * body = packed Request, mac = HMAC-SHA256(key, LE32(version) ||
 * LE64(client_id) || LE64(counter) || LE64(epoch) || body)}.
 * A reply to a request whose MAC was valid is sealed: the packed Reply
 * (without its mac field) followed by the 34 bytes 0x4a 0x20 MAC, MAC =
 * HMAC-SHA256(key, "THRP" || LE64(request epoch) || LE64(request client_id)
 * || LE64(request counter) || the packed Reply before those 34 bytes).
 * Instead of that HMAC a request may carry the cheaper kind-1 MAC (below).
 * The full rules a client follows are at the top of proto/theseus.proto.
 */
#ifndef THESEUS_WIRE_H
#define THESEUS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct th_errbuf;   /* klibc.h */

#define PROTO_VERSION 2               /* Envelope.version (2: epochs, sealed replies) */
#define PROTO_DEFAULT_PORT 7700
#define PROTO_MAX_DATAGRAM 1400       /* request and reply size limit */
#define PROTO_CHUNK_SIZE 1024         /* data bytes per PushChunk (chunk_size 0) */
#define PROTO_CHUNK_SIZE_MAX 1248     /* the largest PushChunk.chunk_size */
/* The most a PushChunk datagram holds besides its data: envelope (version
 * 2, client id, counter, epoch 11 each, MAC 34, body header 3), Request
 * header 3, PushChunk (hash 34, total and offset 11 each, data header 3,
 * chunk_size 3, quiet 2): a largest chunk fits one datagram. */
#define PROTO_CHUNK_OVERHEAD_MAX (2 + 3 * 11 + 34 + 3 + 3 + 34 + 2 * 11 + 3 + 3 + 2)
_Static_assert(PROTO_CHUNK_SIZE_MAX + PROTO_CHUNK_OVERHEAD_MAX <= PROTO_MAX_DATAGRAM,
	       "a PushChunk of PROTO_CHUNK_SIZE_MAX bytes fits one datagram");
#define PROTO_ACK_BITMAP_CHUNKS 64    /* chunks a ChunkAck's bitmap reaches back */
#define PROTO_KEY_LEN 32
#define PROTO_MAC_LEN 32
#define PROTO_SHA256_LEN 32
#define PROTO_MAX_SWAP_ITEMS 8        /* modules per swap transaction */
#define PROTO_NAME_MAX 64             /* module or function name incl. NUL */
#define PROTO_VERSION_MAX 32          /* version string incl. NUL */
#define PROTO_PING_MAX 64             /* ping payload bytes */
#define PROTO_REPLY_MAC_TAG 0x4a      /* Reply.mac (field 9, length-delimited) */
#define PROTO_REPLY_SEAL_LEN (2 + PROTO_MAC_LEN) /* tag, length 32, MAC */
#define PROTO_BITMAP_PAGE 1024        /* bitmap bytes per ObjectStatusReply (8192 chunks) */
#define PROTO_BITMAP_PAGES 8          /* pages an object's bitmap may take */
/* One object at most: what PROTO_BITMAP_PAGES bitmap pages describe (64 MiB). */
#define PROTO_MAX_OBJECT ((uint64_t)PROTO_BITMAP_PAGES * PROTO_BITMAP_PAGE * 8 * PROTO_CHUNK_SIZE)
#define PROTO_INVOKE_MAX_IN 1024      /* invoke input bytes */
#define PROTO_INVOKE_MAX_OUT 1024     /* invoke output bytes (fits a reply) */

/* Wire form of a status: the absolute value of a TH_E* code (0 = OK). */
static inline uint32_t proto_status_to_wire(int err) { return err < 0 ? (uint32_t)-err : 0; }
static inline int proto_status_from_wire(uint32_t s) { return s ? -(int)s : 0; }

/* What a request is bound to: the envelope fields covered by its MAC
 * (besides version and body), echoed in the MAC of its reply. */
struct proto_binding {
	uint64_t client_id;
	uint64_t counter;
	uint64_t epoch;
};

/* HMAC-SHA256 of an envelope's fields (see above). */
void proto_mac_compute(const uint8_t key[PROTO_KEY_LEN], uint32_t version,
		       const struct proto_binding *b, const uint8_t *body, size_t body_len,
		       uint8_t mac[PROTO_MAC_LEN]);
/* HMAC-SHA256 of a reply (see above): bound to the request b and to the
 * reply bytes rep[0..len) (everything before the seal). */
void proto_reply_mac_compute(const uint8_t key[PROTO_KEY_LEN], const struct proto_binding *b,
			     const uint8_t *rep, size_t len, uint8_t mac[PROTO_MAC_LEN]);
/* A key prepared once for many MACs: the HMAC's inner and outer key blocks
 * already hashed (BearSSL's br_hmac_key_context, opaque here), two SHA-256
 * blocks fewer per MAC than starting from the key bytes.  The endpoint,
 * which MACs every datagram, keeps one. */
struct proto_mac_key {
	uint64_t opaque[24];
};
void proto_mac_key_init(struct proto_mac_key *k, const uint8_t key[PROTO_KEY_LEN]);
/* proto_mac_compute and proto_reply_seal with a prepared key. */
void proto_mac_compute_k(const struct proto_mac_key *k, uint32_t version,
			 const struct proto_binding *b, const uint8_t *body, size_t body_len,
			 uint8_t mac[PROTO_MAC_LEN]);
int proto_reply_seal_k(const struct proto_mac_key *k, const struct proto_binding *b,
		       uint8_t *buf, size_t *len, size_t cap) TH_MUST_CHECK;
/* Appends the seal (0x4a 0x20 MAC) to the packed reply buf[0..*len); *len
 * grows by PROTO_REPLY_SEAL_LEN.  TH_ETOOBIG if that does not fit cap. */
int proto_reply_seal(const uint8_t key[PROTO_KEY_LEN], const struct proto_binding *b,
		     uint8_t *buf, size_t *len, size_t cap) TH_MUST_CHECK;
/* Checks that buf[0..len) ends with a valid seal for request b.  TH_OK with
 * *body_len = the bytes before the seal (decode those, or all of buf), or
 * TH_EAUTH (no seal, or a MAC for another request or other bytes). */
int proto_reply_open(const uint8_t key[PROTO_KEY_LEN], const struct proto_binding *b,
		     const uint8_t *buf, size_t len, size_t *body_len) TH_MUST_CHECK;
/* ---- the cheap request MAC, Envelope.mac_kind 1 (wire_mac_poly.c) ----
 * A request may carry, instead of the HMAC (kind 0, 32 bytes), a 16-byte
 * ChaCha20-Poly1305 tag (RFC 8439, empty plaintext) over the same bytes,
 * under a session key K_s = HMAC-SHA256(key, "THS1" || LE64(epoch) ||
 * LE64(client_id)), nonce LE32(version) || LE64(counter).  Sealed replies
 * say which kinds the kernel takes (Reply.mac_kinds, bit k = kind k). */
#define PROTO_MAC_KIND_HMAC 0
#define PROTO_MAC_KIND_POLY 1
#define PROTO_MAC_KINDS ((1u << PROTO_MAC_KIND_HMAC) | (1u << PROTO_MAC_KIND_POLY))
#define PROTO_POLY_TAG_LEN 16
#define PROTO_SESSION_KEY_LEN 32
/* K_s of session (epoch, client_id), from the key or a prepared one. */
void proto_session_key(const uint8_t key[PROTO_KEY_LEN], uint64_t epoch, uint64_t client_id,
		       uint8_t ks[PROTO_SESSION_KEY_LEN]);
void proto_session_key_k(const struct proto_mac_key *k, uint64_t epoch, uint64_t client_id,
			 uint8_t ks[PROTO_SESSION_KEY_LEN]);
/* RFC 8439 ChaCha20-Poly1305 AEAD (BearSSL's): encrypts data[0..len) in
 * place and writes the tag over aad and the ciphertext.  TH_EINVAL for a
 * NULL pointer with a non-zero length. */
int proto_aead_seal(const uint8_t key[PROTO_SESSION_KEY_LEN], const uint8_t nonce[12],
		    const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
		    uint8_t tag[PROTO_POLY_TAG_LEN]) TH_MUST_CHECK;
/* The kind-1 tag of an envelope's fields under K_s.  TH_ETOOBIG for a body
 * over PROTO_MAX_DATAGRAM bytes. */
int proto_poly_mac_compute(const uint8_t ks[PROTO_SESSION_KEY_LEN], uint32_t version,
			   const struct proto_binding *b, const uint8_t *body, size_t body_len,
			   uint8_t tag[PROTO_POLY_TAG_LEN]) TH_MUST_CHECK;
/* TH_OK when tag (tag_len bytes) is the kind-1 tag of those fields
 * (constant-time compare), else TH_EAUTH (a tag_len other than 16 too). */
int proto_poly_mac_verify(const uint8_t ks[PROTO_SESSION_KEY_LEN], uint32_t version,
			  const struct proto_binding *b, const uint8_t *body, size_t body_len,
			  const uint8_t *tag, size_t tag_len) TH_MUST_CHECK;
/* Constant-time comparison of n bytes. */
bool proto_bytes_equal_ct(const uint8_t *a, const uint8_t *b, size_t n);
void proto_sha256(const uint8_t *data, size_t len, uint8_t out[PROTO_SHA256_LEN]);
/* SHA-256 fed piece by piece (an object hashed as its chunks arrive): the
 * state of BearSSL's br_sha256_context, kept opaque here. */
struct proto_sha256_ctx {
	uint64_t opaque[16];
};
void proto_sha256_init(struct proto_sha256_ctx *c);
void proto_sha256_update(struct proto_sha256_ctx *c, const uint8_t *data, size_t len);
void proto_sha256_out(const struct proto_sha256_ctx *c, uint8_t out[PROTO_SHA256_LEN]);
/* Packs an Envelope around body (MAC'd when key is not NULL) into out.
 * TH_ETOOBIG if it does not fit cap. */
int proto_envelope_pack(const uint8_t *key, uint32_t version, const struct proto_binding *b,
			const uint8_t *body, size_t body_len, uint8_t *out, size_t cap,
			size_t *out_len) TH_MUST_CHECK;

/* proto_envelope_pack with a MAC of kind mac_kind (PROTO_MAC_KIND_*):
 * kind 1 takes the session key ks (proto_session_key of b's epoch and
 * client id) instead of the key.  TH_EINVAL for another kind. */
int proto_envelope_pack_kind(const uint8_t *key, const uint8_t *ks, uint32_t mac_kind,
			     uint32_t version, const struct proto_binding *b,
			     const uint8_t *body, size_t body_len, uint8_t *out, size_t cap,
			     size_t *out_len) TH_MUST_CHECK;

/* The value of one hex digit (either case), -1 if c is none. */
int proto_hex_digit(char c);
/* A module or function name: 1..max-1 characters of [A-Za-z0-9_.-]. */
bool proto_name_ok(const char *s, size_t max);
/* A varint at p[*i] (advancing *i), at most 10 bytes: false if it runs
 * past len or longer.  *overflow (if given): it held bits beyond 64, which
 * *out does not keep. */
bool proto_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *out, bool *overflow);

/* An Envelope, and a Request that is one PushChunk, read in place
 * (wire_view.c): pointers into buf, nothing copied.  Only the canonical
 * form is taken (each field at most once, with its wire type, no unknown
 * field, values that fit); false for anything else, which the caller then
 * decodes with protobuf-c as it decodes everything else. */
struct proto_envelope_view {
	uint32_t version, mac_kind;
	uint64_t client_id, counter, epoch;
	const uint8_t *mac, *body;
	size_t mac_len, body_len;
};
bool proto_envelope_view(const uint8_t *buf, size_t len, struct proto_envelope_view *out);
struct proto_chunk_view {
	const uint8_t *sha, *data;
	size_t sha_len, data_len;
	uint64_t total_size, offset;
	uint32_t chunk_size;
	bool quiet;
};
bool proto_chunk_view(const uint8_t *body, size_t len, struct proto_chunk_view *out);

/* TH_EPROTO naming the field if a string field of the message encoded in
 * buf (described by d; nested messages too) holds a NUL byte, which
 * protobuf-c's unpack would cut the text at; TH_OK otherwise, malformed
 * encodings included (unpack refuses those).  wire_strings.c. */
struct ProtobufCMessageDescriptor;
int proto_strings_check(const struct ProtobufCMessageDescriptor *d, const uint8_t *buf,
			size_t len, struct th_errbuf *eb) TH_MUST_CHECK;
/* A key: exactly 64 hex digits (surrounding blanks and newlines allowed, as
 * in a key file).  TH_EINVAL naming the problem; key untouched then. */
int proto_key_parse(const char *text, uint8_t key[PROTO_KEY_LEN], struct th_errbuf *eb)
	TH_MUST_CHECK;

#endif
