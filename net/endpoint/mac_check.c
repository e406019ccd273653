/*
 * mac_check.c - the request MAC check of the endpoint core, which
 * endpoint.c runs on the envelope before it decodes anything else:
 * Envelope.mac_kind 0 (or absent) = HMAC-SHA256 with the prepared key,
 * 32 bytes; 1 = the ChaCha20-Poly1305 tag under the session key K_s,
 * exactly 16 bytes (proto/wire.h, proto/theseus.proto section 2a); any
 * other kind or length is unauthenticated.
 *
 * K_s (one HMAC of 20 bytes) is kept for the last EP_SESSION_KEYS sessions
 * whose MAC verified, so a push derives it once.  A datagram whose tag does
 * not verify neither enters nor evicts an entry: garbage cannot thrash the
 * cache.  A new epoch empties it (ep_session_keys_clear).
 */
#include "endpoint_impl.h"

void ep_session_keys_clear(struct ep_session_keys *c)
{
	memset(c, 0, sizeof *c);
}

static const struct ep_session_key *skey_find(const struct ep_session_keys *c,
					      const struct proto_binding *b)
{
	for (size_t i = 0; i < EP_SESSION_KEYS; i++)
		if (c->slot[i].used && c->slot[i].epoch == b->epoch &&
		    c->slot[i].client_id == b->client_id)
			return &c->slot[i];
	return NULL;
}

static void skey_put(struct ep_session_keys *c, const struct proto_binding *b,
		     const uint8_t ks[PROTO_SESSION_KEY_LEN])
{
	struct ep_session_key *e = &c->slot[c->next];
	c->next = (c->next + 1) % EP_SESSION_KEYS;
	e->used = true;
	e->epoch = b->epoch;
	e->client_id = b->client_id;
	memcpy(e->ks, ks, PROTO_SESSION_KEY_LEN);
}

static int check_poly(struct endpoint *ep, const Theseus__Envelope *env,
		      const struct proto_binding *b, uint8_t id[PROTO_MAC_LEN])
{
	uint8_t ks[PROTO_SESSION_KEY_LEN];
	const struct ep_session_key *cached = skey_find(&ep->skeys, b);

	if (env->mac.len != PROTO_POLY_TAG_LEN)
		return TH_EAUTH;   /* before deriving anything */
	if (cached)
		memcpy(ks, cached->ks, sizeof ks);
	else
		proto_session_key_k(&ep->mac_key, b->epoch, b->client_id, ks);
	int err = proto_poly_mac_verify(ks, env->version, b, env->body.data, env->body.len,
					env->mac.data, env->mac.len);
	if (err == TH_OK) {
		if (!cached)
			skey_put(&ep->skeys, b, ks);
		memset(id, 0, PROTO_MAC_LEN);
		memcpy(id, env->mac.data, PROTO_POLY_TAG_LEN);
	}
	memset(ks, 0, sizeof ks);
	return err == TH_OK ? TH_OK : TH_EAUTH;
}

int ep_mac_check(struct endpoint *ep, const Theseus__Envelope *env,
		 const struct proto_binding *b, uint8_t id[PROTO_MAC_LEN])
{
	uint8_t mac[PROTO_MAC_LEN];

	if (env->mac_kind == PROTO_MAC_KIND_POLY)
		return check_poly(ep, env, b, id);
	if (env->mac_kind != PROTO_MAC_KIND_HMAC || env->mac.len != PROTO_MAC_LEN)
		return TH_EAUTH;
	proto_mac_compute_k(&ep->mac_key, env->version, b, env->body.data, env->body.len, mac);
	if (!proto_bytes_equal_ct(mac, env->mac.data, PROTO_MAC_LEN))
		return TH_EAUTH;
	memcpy(id, mac, PROTO_MAC_LEN);
	return TH_OK;
}
