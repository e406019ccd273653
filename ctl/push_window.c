/*
 * push_window.c - how many datagrams a push keeps in flight and how often
 * it asks for an acknowledgement (push.c), as a pure state machine: the
 * time and the round-trip timeout are passed in, so
 * tests/unit/ctl_rto_test.c drives it.
 *
 * On a clean link the window starts at CTL_PUSH_WINDOW_START and grows by
 * one per acknowledged chunk (TCP's slow start) up to CTL_PUSH_WINDOW_CLEAN,
 * and chunks are sent quiet, every CTL_PUSH_ACK_EVERY-th asking for a
 * reply (its bitmap acknowledges the quiet ones before it).
 *
 * A loss (a chunk whose timer expired, or one an answer shows missing)
 * makes every chunk ask for a reply, and then depends on the answers:
 *   - most of the push's datagrams were lost (the caller says: heavy) and
 *     an answer acknowledged new chunks within the last CTL_PUSH_HOLD_RTOS
 *     RTOs: the receiver is alive and the loss is not congestion this push
 *     causes (a flood filling the queues in front of the guest drops our
 *     datagrams as it drops its own); the window is held, raised to
 *     CTL_PUSH_WINDOW_LOSSY if below, and grows by 1/window per
 *     acknowledged chunk up to CTL_PUSH_WINDOW_MAX ("lossy": push.c then
 *     also fills spare room with extra copies of chunks in flight);
 *   - no answer at all for CTL_PUSH_COLLAPSE_RTOS RTOs (a host that is
 *     gone or overloaded): the window collapses to CTL_PUSH_WINDOW_MIN;
 *   - otherwise (a stray loss: holding 128 datagrams in flight then
 *     overran the guest's receive ring) it halves, at most once per RTO, never below
 *     CTL_PUSH_WINDOW_MIN (a window of one would leave the link idle for a
 *     round trip per chunk under heavy loss).
 * Answers with progress outside lossy mode double ask_every back towards
 * CTL_PUSH_ACK_EVERY.
 *
 * A halving can be undone (as TCP's Eifel response does, RFC 4015): a
 * halving opens an "episode" (later halvings join it while it is
 * undecided) that counts the chunks whose timer expired from then on
 * (ctl_pw_expired).  When every one of them is acknowledged without
 * having been sent again (ctl_pw_spurious: the answer to the expired
 * datagram itself, or a bitmap showing it arrived), nothing was lost - the
 * answers were only late (a guest busy for a while, a host that stalled) -
 * and the window, its threshold and the reply pace go back to what they
 * were before the episode's first halving.  A chunk the receiver shows
 * missing (ctl_pw_missing), a collapse or a hold ends the episode's
 * chance of an undo.
 */
#include "klibc.h"
#include "ctl.h"

void ctl_pw_init(struct ctl_push_window *w, uint64_t now_us)
{
	memset(w, 0, sizeof *w);
	w->window = CTL_PUSH_WINDOW_START;
	w->ssthresh = CTL_PUSH_WINDOW_CLEAN;
	w->ask_every = CTL_PUSH_ACK_EVERY;
	w->last_answer_us = now_us;
}

uint32_t ctl_pw_slots(const struct ctl_push_window *w)
{
	return (uint32_t)w->window;
}

void ctl_pw_acked(struct ctl_push_window *w)
{
	double cap = w->lossy ? CTL_PUSH_WINDOW_MAX : CTL_PUSH_WINDOW_CLEAN;
	w->window += w->window < w->ssthresh ? 1.0 : 1.0 / w->window;
	if (w->window > cap)
		w->window = cap;
}

void ctl_pw_answer(struct ctl_push_window *w, uint64_t now_us, bool progress)
{
	w->last_answer_us = now_us;
	if (!progress)
		return;
	w->last_progress_us = now_us;
	w->progressed = true;
	if (w->lossy)
		return;   /* keep asking for every reply */
	w->ask_every *= 2;
	if (w->ask_every > CTL_PUSH_ACK_EVERY)
		w->ask_every = CTL_PUSH_ACK_EVERY;
}

bool ctl_pw_lost(struct ctl_push_window *w, uint64_t now_us, int64_t rto_us, bool heavy)
{
	uint64_t rto = rto_us > 0 ? (uint64_t)rto_us : 1;
	uint32_t ask_before = w->ask_every;
	w->ask_every = 1;
	w->losses++;
	if (now_us - w->last_answer_us >= CTL_PUSH_COLLAPSE_RTOS * rto) {
		/* Nothing answers: a dead or overloaded host. */
		w->lossy = false;
		w->undo_ok = false;
		w->ssthresh = CTL_PUSH_WINDOW_MIN;
		w->window = w->ssthresh;
		w->last_decrease_us = now_us;
		w->decreased = true;
		w->collapses++;
		return true;
	}
	if (heavy && w->progressed && now_us - w->last_progress_us < CTL_PUSH_HOLD_RTOS * rto) {
		/* Most datagrams lost on the way, yet the receiver makes
		 * progress: hold. */
		w->lossy = true;
		w->undo_ok = false;
		w->ssthresh = CTL_PUSH_WINDOW_LOSSY;
		if (w->window < CTL_PUSH_WINDOW_LOSSY)
			w->window = CTL_PUSH_WINDOW_LOSSY;
		w->holds++;
		return false;
	}
	w->lossy = false;
	if (w->decreased && now_us - w->last_decrease_us < rto)
		return false;
	if (!w->undo_ok) {
		/* A new episode: what an undo would restore.  (A halving
		 * while the last episode is still undecided joins it: an undo
		 * then needs every expiry since the first halving spurious,
		 * and restores the state before that one.) */
		w->episode++;
		w->ep_expired = 0;
		w->ep_spurious = 0;
		w->undo_ok = true;
		w->undo_window = w->window;
		w->undo_ssthresh = w->ssthresh;
		w->undo_ask_every = ask_before;
	}
	w->window /= 2;
	if (w->window < CTL_PUSH_WINDOW_MIN)
		w->window = CTL_PUSH_WINDOW_MIN;
	w->ssthresh = w->window;
	w->last_decrease_us = now_us;
	w->decreased = true;
	w->decreases++;
	return true;
}

uint32_t ctl_pw_expired(struct ctl_push_window *w, uint32_t n)
{
	w->ep_expired += n;
	return w->episode;
}

void ctl_pw_missing(struct ctl_push_window *w)
{
	w->undo_ok = false;
}

bool ctl_pw_spurious(struct ctl_push_window *w, uint32_t episode)
{
	if (!w->undo_ok || episode != w->episode || !w->ep_expired)
		return false;
	if (++w->ep_spurious < w->ep_expired)
		return false;
	/* Every chunk that expired since the halving arrived after all. */
	w->undo_ok = false;
	if (w->window < w->undo_window)
		w->window = w->undo_window;
	if (w->ssthresh < w->undo_ssthresh)
		w->ssthresh = w->undo_ssthresh;
	if (w->ask_every < w->undo_ask_every)
		w->ask_every = w->undo_ask_every;
	w->undos++;
	return true;
}
