/*
 * push_window.c - how many chunks a push keeps in flight and how often it
 * asks for an acknowledgement (push.c), as a pure state machine: the time
 * and the round-trip timeout are passed in, so tests/unit/ctl_rto_test.c
 * drives it.
 *
 * The window starts at CTL_PUSH_WINDOW_START and grows by one per
 * acknowledged chunk below the threshold (TCP's slow start; the threshold
 * is the window's maximum at first), by 1/window above it, up to
 * CTL_PUSH_WINDOW_MAX.  A loss (a chunk whose timer expired) halves window
 * and threshold at most once per RTO, never below CTL_PUSH_WINDOW_MIN: a
 * push is a few dozen datagrams, and under a flood that drops most of
 * them a window of one would leave the link idle for a round trip per
 * chunk.  Chunks are sent quiet and every ask_every-th asks for a reply
 * (its bitmap acknowledges the quiet ones before it): CTL_PUSH_ACK_EVERY on
 * a clean link, every chunk after a loss (a lost asking chunk then costs
 * one chunk, not eight), doubling back towards CTL_PUSH_ACK_EVERY with each
 * answer that shows progress.
 */
#include "klibc.h"
#include "ctl.h"

void ctl_pw_init(struct ctl_push_window *w)
{
	memset(w, 0, sizeof *w);
	w->window = CTL_PUSH_WINDOW_START;
	w->ssthresh = CTL_PUSH_WINDOW_MAX;
	w->ask_every = CTL_PUSH_ACK_EVERY;
}

uint32_t ctl_pw_slots(const struct ctl_push_window *w)
{
	return (uint32_t)w->window;
}

void ctl_pw_acked(struct ctl_push_window *w)
{
	w->window += w->window < w->ssthresh ? 1.0 : 1.0 / w->window;
	if (w->window > CTL_PUSH_WINDOW_MAX)
		w->window = CTL_PUSH_WINDOW_MAX;
}

void ctl_pw_progress(struct ctl_push_window *w)
{
	w->ask_every *= 2;
	if (w->ask_every > CTL_PUSH_ACK_EVERY)
		w->ask_every = CTL_PUSH_ACK_EVERY;
}

bool ctl_pw_lost(struct ctl_push_window *w, uint64_t now_us, int64_t rto_us)
{
	w->ask_every = 1;
	w->losses++;
	if (w->decreased && now_us - w->last_decrease_us < (uint64_t)rto_us)
		return false;
	w->window /= 2;
	if (w->window < CTL_PUSH_WINDOW_MIN)
		w->window = CTL_PUSH_WINDOW_MIN;
	w->ssthresh = w->window;
	w->last_decrease_us = now_us;
	w->decreased = true;
	w->decreases++;
	return true;
}
