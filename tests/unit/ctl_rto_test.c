/*
 * ctl_rto_test.c - theseusctl's retransmission timer (ctl/rto.c) and a
 * push's window and acknowledgement pace (ctl/push_window.c), with round
 * trips and time passed in: the initial RTO, the floor and the --timeout
 * ceiling, back-off doubling and its cap, the end of back-off on a sample
 * or on progress, and the window's reaction to loss (halved at most once
 * per RTO, never below its minimum, every chunk asking after a loss).
 */
#include "check.h"
#include "klibc.h"
#include "ctl.h"

static void test_initial(void)
{
	struct ctl_rto r;
	ctl_rto_init(&r, 1000);
	CHECK(!r.have_sample);
	CHECK_EQ(r.rto, CTL_RTO_INITIAL_US);
	ctl_rto_init(&r, 20);                /* --timeout below the initial RTO */
	CHECK_EQ(r.rto, 20000);
	ctl_rto_init(&r, 0);                 /* never below the floor */
	CHECK_EQ(r.rto, CTL_RTO_MIN_US);
}

static void test_samples_floor_ceiling(void)
{
	struct ctl_rto r;
	ctl_rto_init(&r, 1000);
	ctl_rto_sample(&r, 10);
	CHECK_EQ(r.rto, CTL_RTO_MIN_US);     /* floor */
	ctl_rto_sample(&r, -5);              /* a clock that went back counts as 0 */
	CHECK_EQ(r.rto, CTL_RTO_MIN_US);
	ctl_rto_init(&r, 1000);
	ctl_rto_sample(&r, 2000000);         /* 2 s: capped at --timeout */
	CHECK_EQ(r.rto, 1000000);
	ctl_rto_init(&r, 1000);
	ctl_rto_sample(&r, 10000);           /* first: srtt 10 ms, rttvar 5 ms */
	CHECK_EQ(r.srtt, 10000);
	CHECK_EQ(r.rttvar, 5000);
	CHECK_EQ(r.rto, 30000);
	ctl_rto_sample(&r, 10000);           /* steady: rttvar shrinks */
	CHECK_EQ(r.rttvar, 3750);
	CHECK_EQ(r.rto, 25000);
}

static void test_backoff_and_cap(void)
{
	struct ctl_rto r;
	ctl_rto_init(&r, 1000);
	ctl_rto_sample(&r, 10);              /* base 5 ms */
	int64_t want = CTL_RTO_MIN_US;
	for (int i = 1; i <= CTL_RTO_BACKOFF_MAX; i++) {
		ctl_rto_backoff(&r);
		want *= 2;
		CHECK_EQ(r.rto, want);
	}
	for (int i = 0; i < 20; i++)
		ctl_rto_backoff(&r);
	CHECK_EQ(r.rto, (int64_t)CTL_RTO_MIN_US << CTL_RTO_BACKOFF_MAX);  /* capped */
	/* The full back-off doubles on up to --timeout. */
	for (int i = 0; i < 100; i++)
		ctl_rto_backoff_full(&r);
	CHECK_EQ(r.rto, 1000000);
	ctl_rto_progress(&r);
	CHECK_EQ(r.rto, CTL_RTO_MIN_US);
	/* and never past --timeout */
	ctl_rto_init(&r, 100);
	ctl_rto_sample(&r, 40000);           /* base 100 ms = --timeout */
	ctl_rto_backoff(&r);
	CHECK_EQ(r.rto, 100000);
}

static void test_backoff_ends(void)
{
	struct ctl_rto r;
	ctl_rto_init(&r, 1000);
	ctl_rto_sample(&r, 10);
	ctl_rto_backoff_full(&r);
	ctl_rto_backoff_full(&r);
	CHECK_EQ(r.rto, 4 * CTL_RTO_MIN_US);
	ctl_rto_progress(&r);                /* an acknowledgement with progress */
	CHECK_EQ(r.rto, CTL_RTO_MIN_US);
	ctl_rto_backoff(&r);
	ctl_rto_sample(&r, 10);              /* a new sample */
	CHECK_EQ(r.rto, CTL_RTO_MIN_US);
	CHECK_EQ(r.backoff, 0);
	/* Before any sample the initial RTO backs off and comes back too. */
	ctl_rto_init(&r, 10000);
	ctl_rto_backoff(&r);
	CHECK_EQ(r.rto, 2 * CTL_RTO_INITIAL_US);
	ctl_rto_progress(&r);
	CHECK_EQ(r.rto, CTL_RTO_INITIAL_US);
}

static void test_window_growth(void)
{
	struct ctl_push_window w;
	ctl_pw_init(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_START);
	CHECK_EQ(w.ask_every, CTL_PUSH_ACK_EVERY);
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX);
}

static void test_window_loss(void)
{
	struct ctl_push_window w;
	ctl_pw_init(&w);
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w);
	uint64_t t = 1000000;
	int64_t rto = 10000;
	CHECK(ctl_pw_lost(&w, t, rto));                 /* halved: 32 -> 16 */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX / 2);
	CHECK_EQ(w.ask_every, 1);                       /* every chunk asks now */
	CHECK(!ctl_pw_lost(&w, t + rto - 1, rto));      /* once per RTO */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX / 2);
	CHECK(ctl_pw_lost(&w, t + rto, rto));
	for (int i = 0; i < 10; i++)
		ctl_pw_lost(&w, t + (uint64_t)(i + 2) * rto, rto);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);   /* the floor */
	CHECK_EQ(w.decreases, 12);
	CHECK_EQ(w.losses, 13);
	/* Above the threshold the window grows by 1/window per ack: about
	 * one per window's worth of acknowledgements. */
	for (int i = 0; i < CTL_PUSH_WINDOW_MIN - 1; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	ctl_pw_acked(&w);
	ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN + 1);
	/* Answers with progress: asking paces back to CTL_PUSH_ACK_EVERY. */
	ctl_pw_progress(&w);
	CHECK_EQ(w.ask_every, 2);
	for (int i = 0; i < 10; i++)
		ctl_pw_progress(&w);
	CHECK_EQ(w.ask_every, CTL_PUSH_ACK_EVERY);
}

int main(void)
{
	RUN(test_initial);
	RUN(test_samples_floor_ceiling);
	RUN(test_backoff_and_cap);
	RUN(test_backoff_ends);
	RUN(test_window_growth);
	RUN(test_window_loss);
	return check_summary("ctl_rto");
}
