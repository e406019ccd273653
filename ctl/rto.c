/*
 * rto.c - theseusctl's retransmission timer (RFC 6298 in spirit), shared by
 * every request to one host (ctl_call) and by pushes (push.c).  Pure: the
 * round trips are passed in, so tests/unit/ctl_rto_test.c drives it.
 *
 *   base = srtt + 4 * rttvar of round trips answered without a resend
 *          (Karn), between CTL_RTO_MIN_US and --timeout; before the first
 *          sample min(CTL_RTO_INITIAL_US, --timeout);
 *   rto  = base * 2^backoff, at most --timeout: each expiry doubles it
 *          (ctl_rto_backoff), up to CTL_RTO_BACKOFF_MAX doublings
 *          (ctl_rto_backoff_full: up to --timeout, for a request that
 *          went unanswered --retries + 32 times: the host may be gone);
 *   a new sample (ctl_rto_sample) or an acknowledgement that shows
 *   progress (ctl_rto_progress, as TCP does on a new ACK) ends the
 *   back-off: rto = base again.
 * A flood that drops most datagrams therefore never pushes the timer to
 * --timeout while answers still come back.
 */
#include "klibc.h"
#include "ctl.h"

static void rto_update(struct ctl_rto *r)
{
	int64_t v = r->base;
	for (int i = 0; i < r->backoff && v < r->max; i++)
		v *= 2;
	r->rto = v > r->max ? r->max : v;
}

void ctl_rto_init(struct ctl_rto *r, int timeout_ms)
{
	memset(r, 0, sizeof *r);
	r->min = CTL_RTO_MIN_US;
	r->max = (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000;
	if (r->max < r->min)
		r->max = r->min;
	r->base = CTL_RTO_INITIAL_US < r->max ? CTL_RTO_INITIAL_US : r->max;
	rto_update(r);
}

void ctl_rto_sample(struct ctl_rto *r, int64_t rtt)
{
	if (rtt < 0)
		rtt = 0;
	if (!r->have_sample) {
		r->srtt = rtt;
		r->rttvar = rtt / 2;
		r->have_sample = true;
	} else {
		int64_t d = r->srtt - rtt;
		r->rttvar += ((d < 0 ? -d : d) - r->rttvar) / 4;
		r->srtt += (rtt - r->srtt) / 8;
	}
	r->base = r->srtt + 4 * r->rttvar;
	if (r->base < r->min)
		r->base = r->min;
	if (r->base > r->max)
		r->base = r->max;
	r->backoff = 0;
	rto_update(r);
}

void ctl_rto_backoff(struct ctl_rto *r)
{
	if (r->backoff < CTL_RTO_BACKOFF_MAX)
		r->backoff++;
	rto_update(r);
}

void ctl_rto_backoff_full(struct ctl_rto *r)
{
	if (r->backoff < 62)
		r->backoff++;
	rto_update(r);
}

void ctl_rto_progress(struct ctl_rto *r)
{
	r->backoff = 0;
	rto_update(r);
}
