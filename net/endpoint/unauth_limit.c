/*
 * unauth_limit.c - the token bucket that bounds the replies to
 * unauthenticated datagrams (proto/theseus.proto, 6).
 *
 * A flood of datagrams with a bad MAC must not make the kernel send a
 * flood of its own: each refusal costs a transmission through the NIC and
 * whatever lies in front of it (QEMU's user networking, a switch), time
 * that authenticated clients then miss.  So a refusal is sent only when a
 * token is there: the bucket holds at most EP_UNAUTH_REPLY_BURST tokens and
 * refills at EP_UNAUTH_REPLIES_PER_S per second; without a token the
 * datagram is counted and left unanswered.  A wrong-key client on a quiet
 * link still gets every refusal (it sends far fewer than that), and
 * authenticated requests never take a token.  Time is passed in (ms), so
 * the host unit test drives it (tests/unit/unauth_limit_test.c).
 */
#include "endpoint_impl.h"

void ep_limit_init(struct ep_limit *l, uint32_t per_s, uint32_t burst)
{
	l->per_s = per_s;
	l->burst = burst;
	l->milli = (uint64_t)burst * 1000;   /* full: the first refusals go out */
	l->last_ms = 0;
	l->started = false;
}

bool ep_limit_take(struct ep_limit *l, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)l->burst * 1000;
	if (!l->started) {
		l->started = true;
		l->last_ms = now_ms;
	}
	if (now_ms > l->last_ms) {
		/* Tokens in thousandths: per_s tokens a second = per_s per ms. */
		uint64_t dt = now_ms - l->last_ms;
		if (l->per_s == 0 || dt >= cap / l->per_s + 1)
			l->milli = l->per_s ? cap : l->milli;
		else
			l->milli += dt * l->per_s;
		if (l->milli > cap)
			l->milli = cap;
		l->last_ms = now_ms;
	} else if (now_ms < l->last_ms) {
		l->last_ms = now_ms;   /* a clock that went back: refill from here */
	}
	if (l->milli < 1000)
		return false;
	l->milli -= 1000;
	return true;
}
