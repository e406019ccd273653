/*
 * reply_cache.c - the sealed replies to the last EP_REPLY_CACHE_SLOTS
 * requests that changed something and must not run twice (swap, rollback,
 * invoke), keyed by the request's (epoch, client id, counter) and its MAC.
 *
 * A client whose reply was lost resends the very same datagram (same
 * counter: proto/theseus.proto section 7); endpoint.c looks it up here
 * before the replay window, and a hit is answered with the stored bytes,
 * already sealed for exactly that request, without running it again.  The
 * MAC must match too: it covers the body, so a different request that
 * reuses a counter is not taken for a resend (the replay window refuses
 * it).  Oldest entry out first; a new epoch empties the cache.
 */
#include "endpoint_impl.h"

int ep_reply_cache_init(struct ep_reply_cache *c)
{
	c->slots = kcalloc(EP_REPLY_CACHE_SLOTS, sizeof *c->slots);
	c->next = 0;
	return c->slots ? TH_OK : TH_ENOMEM;
}

void ep_reply_cache_fini(struct ep_reply_cache *c)
{
	kfree(c->slots);
	c->slots = NULL;
}

void ep_reply_cache_clear(struct ep_reply_cache *c)
{
	if (c->slots)
		memset(c->slots, 0, EP_REPLY_CACHE_SLOTS * sizeof *c->slots);
	c->next = 0;
}

const struct ep_cached_reply *ep_reply_cache_find(const struct ep_reply_cache *c,
						  const struct proto_binding *b,
						  const uint8_t mac[PROTO_MAC_LEN])
{
	for (size_t i = 0; c->slots && i < EP_REPLY_CACHE_SLOTS; i++) {
		const struct ep_cached_reply *e = &c->slots[i];
		if (e->len && e->bind.epoch == b->epoch && e->bind.client_id == b->client_id &&
		    e->bind.counter == b->counter && proto_bytes_equal_ct(e->mac, mac, PROTO_MAC_LEN))
			return e;
	}
	return NULL;
}

void ep_reply_cache_put(struct ep_reply_cache *c, const struct proto_binding *b,
			const uint8_t mac[PROTO_MAC_LEN], const uint8_t *reply, size_t len)
{
	if (!c->slots || !len || len > EP_REPLY_CACHE_BYTES)
		return; /* not kept: a resend runs again (larger than any such reply) */
	struct ep_cached_reply *e = &c->slots[c->next];
	c->next = (c->next + 1) % EP_REPLY_CACHE_SLOTS;
	e->bind = *b;
	memcpy(e->mac, mac, PROTO_MAC_LEN);
	memcpy(e->reply, reply, len);
	e->len = len;
}
