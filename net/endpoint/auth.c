/*
 * auth.c - replay protection: per client_id, a sliding window over the last
 * ENDPOINT_REPLAY_WINDOW counters.  A counter above the highest seen moves
 * the window; one inside it is accepted once; one below it is refused.
 * ENDPOINT_MAX_CLIENTS clients are tracked; when a new client needs a slot
 * the least recently seen one is dropped and its highest counter raises the
 * floor that every unknown client's counter must exceed, so dropping a
 * client never lets its old datagrams in again.
 * Only called after the MAC was verified (forged datagrams never move a window).
 *
 * All of this state belongs to one epoch (endpoint.c starts a new one, with
 * an empty table and floor 0, at boot and whenever ep_replay_check says so).
 * No key holder can lock another client out: a client refused here gets an
 * authenticated ESTALE and starts a new session (new client id, counter above
 * the floor it is told); and a floor that would climb to EP_FLOOR_LIMIT or
 * beyond (a counter no client counting from the wall clock reaches, so only
 * a misbehaving one) is never set: the caller starts a new epoch instead,
 * which every client re-learns with one retry.
 */
#include "endpoint_impl.h"

static int window_check(struct ep_client *c, uint64_t counter, bool commit)
{
	if (counter > c->max) {
		if (commit) {
			uint64_t shift = counter - c->max;
			c->seen = shift >= 64 ? 0 : c->seen << shift;
			c->seen |= 1;
			c->max = counter;
		}
		return TH_OK;
	}
	uint64_t back = c->max - counter;
	if (back >= ENDPOINT_REPLAY_WINDOW)
		return TH_EAUTH;
	uint64_t bit = (uint64_t)1 << back;
	if (c->seen & bit)
		return TH_EAUTH;
	if (commit)
		c->seen |= bit;
	return TH_OK;
}

int ep_replay_check(struct ep_replay *r, uint64_t client_id, uint64_t counter, uint64_t now_ms)
{
	struct ep_client *lru = NULL;
	for (size_t i = 0; i < ENDPOINT_MAX_CLIENTS; i++) {
		struct ep_client *c = &r->clients[i];
		if (c->used && c->id == client_id) {
			int err = window_check(c, counter, true);
			if (err == TH_OK)
				c->last_ms = now_ms;
			return err;
		}
		/* victim: a free slot if any, else the least recently seen client */
		if (!c->used) {
			if (!lru || lru->used)
				lru = c;
		} else if (!lru || (lru->used && c->last_ms < lru->last_ms)) {
			lru = c;
		}
	}
	if (counter <= r->floor)
		return TH_ERANGE;
	if (lru->used && lru->max >= EP_FLOOR_LIMIT)
		return TH_ESTALE;   /* start a new epoch rather than raise the floor that far */
	if (lru->used && lru->max > r->floor)
		r->floor = lru->max;
	lru->used = true;
	lru->last_change = EP_CHANGE_NONE;
	lru->id = client_id;
	lru->max = counter;
	lru->seen = 1;
	lru->last_ms = now_ms;
	return TH_OK;
}

struct ep_client *ep_replay_session(struct ep_replay *r, uint64_t client_id)
{
	for (size_t i = 0; i < ENDPOINT_MAX_CLIENTS; i++)
		if (r->clients[i].used && r->clients[i].id == client_id)
			return &r->clients[i];
	return NULL;
}
