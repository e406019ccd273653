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
	ctl_pw_init(&w, 0);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_START);
	CHECK_EQ(w.ask_every, CTL_PUSH_ACK_EVERY);
	for (int i = 0; i < 1000; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN);   /* a clean link's ceiling */
	CHECK(!w.lossy);
}

/* Losses while answers come but show no progress: halved at most once per
 * RTO, never below the floor. */
static void test_window_loss(void)
{
	struct ctl_push_window w;
	bool heavy = true;
	ctl_pw_init(&w, 0);
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w);
	uint64_t t = 1000000;
	int64_t rto = 10000;
	ctl_pw_answer(&w, t, false);
	CHECK(ctl_pw_lost(&w, t, rto, heavy));                 /* halved: 32 -> 16 */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);
	CHECK_EQ(w.ask_every, 1);                       /* every chunk asks now */
	CHECK(!ctl_pw_lost(&w, t + rto - 1, rto, heavy));      /* once per RTO */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);
	CHECK(ctl_pw_lost(&w, t + rto, rto, heavy));
	for (int i = 0; i < 10; i++) {
		uint64_t now = t + (uint64_t)(i + 2) * rto;
		ctl_pw_answer(&w, now, false);
		ctl_pw_lost(&w, now, rto, heavy);
	}
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);   /* the floor */
	CHECK_EQ(w.decreases, 12);
	CHECK_EQ(w.losses, 13);
	CHECK_EQ(w.collapses, 0);
	CHECK(!w.lossy);
	/* Above the threshold the window grows by 1/window per ack: about
	 * one per window's worth of acknowledgements. */
	for (int i = 0; i < CTL_PUSH_WINDOW_MIN - 1; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	ctl_pw_acked(&w);
	ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN + 1);
	/* Answers with progress: asking paces back to CTL_PUSH_ACK_EVERY. */
	ctl_pw_answer(&w, t + 20 * rto, true);
	CHECK_EQ(w.ask_every, 2);
	for (int i = 0; i < 10; i++)
		ctl_pw_answer(&w, t + 20 * rto, true);
	CHECK_EQ(w.ask_every, CTL_PUSH_ACK_EVERY);
}

/* A stray loss halves the window as on a clean link.  Heavy losses (most
 * datagrams lost: a flood) while answers show progress (the receiver is
 * alive): the window never shrinks, is raised to
 * CTL_PUSH_WINDOW_LOSSY, grows only with acknowledged chunks, and never
 * past CTL_PUSH_WINDOW_MAX; every chunk keeps asking for a reply. */
static void test_window_holds_while_progress(void)
{
	struct ctl_push_window w;
	bool heavy = false;
	ctl_pw_init(&w, 0);
	uint64_t t = 1000000;
	int64_t rto = 10000;
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w);
	ctl_pw_answer(&w, t, true);
	/* A stray loss (most datagrams arrive): halved as on a clean link. */
	CHECK(ctl_pw_lost(&w, t + 1, rto, heavy));
	CHECK(!w.lossy);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);
	heavy = true;
	CHECK(!ctl_pw_lost(&w, t + 1, rto, heavy));
	CHECK(w.lossy);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_LOSSY);
	CHECK_EQ(w.ask_every, 1);
	/* 500 RTOs of steady loss, an answer with progress every RTO. */
	for (int i = 1; i <= 500; i++) {
		uint64_t now = t + (uint64_t)i * rto;
		ctl_pw_answer(&w, now, true);
		CHECK_EQ(w.ask_every, 1);
		uint32_t before = ctl_pw_slots(&w);
		CHECK(!ctl_pw_lost(&w, now + rto / 2, rto, heavy));
		CHECK(!ctl_pw_lost(&w, now + rto - 1, rto, heavy));
		CHECK(ctl_pw_slots(&w) >= before);        /* never shrinks */
		CHECK(ctl_pw_slots(&w) == before);        /* no ack, no growth */
	}
	CHECK_EQ(w.decreases, 1);
	CHECK_EQ(w.holds, 1001);
	for (int i = 0; i < 100000; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX);   /* the cap */
	/* Progress one RTO short of CTL_PUSH_HOLD_RTOS ago still holds. */
	uint64_t last = t + 500 * (uint64_t)rto;
	CHECK(!ctl_pw_lost(&w, last + (CTL_PUSH_HOLD_RTOS - 1) * (uint64_t)rto, rto, heavy));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX);
}

/* No answer at all for CTL_PUSH_COLLAPSE_RTOS RTOs: back to the minimum
 * at once; answers without progress for longer than the hold: halving. */
static void test_window_collapses(void)
{
	struct ctl_push_window w;
	bool heavy = true;
	ctl_pw_init(&w, 0);
	uint64_t t = 1000000;
	int64_t rto = 10000;
	ctl_pw_answer(&w, t, true);
	CHECK(!ctl_pw_lost(&w, t, rto, heavy));
	for (int i = 0; i < 100000; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX);
	/* Answers without progress, past the hold: halved, lossy ends. */
	uint64_t quiet = t + CTL_PUSH_HOLD_RTOS * (uint64_t)rto;
	ctl_pw_answer(&w, quiet, false);
	CHECK(ctl_pw_lost(&w, quiet, rto, heavy));
	CHECK(!w.lossy);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX / 2);
	/* Then silence. */
	CHECK(ctl_pw_lost(&w, quiet + (CTL_PUSH_COLLAPSE_RTOS - 1) * (uint64_t)rto, rto, heavy));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MAX / 4);   /* still answered lately */
	CHECK_EQ(w.collapses, 0);
	CHECK(ctl_pw_lost(&w, quiet + CTL_PUSH_COLLAPSE_RTOS * (uint64_t)rto, rto, heavy));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	CHECK_EQ(w.collapses, 1);
	/* Collapsed from the lossy window directly too. */
	ctl_pw_init(&w, 0);
	ctl_pw_answer(&w, t, true);
	CHECK(!ctl_pw_lost(&w, t, rto, heavy));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_LOSSY);
	CHECK(ctl_pw_lost(&w, t + CTL_PUSH_COLLAPSE_RTOS * (uint64_t)rto, rto, heavy));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	CHECK(!w.lossy);
	/* Growth after a collapse is a clean link's again. */
	for (int i = 0; i < 100000; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN);
	/* A push that never got an answer collapses too. */
	ctl_pw_init(&w, t);
	CHECK(ctl_pw_lost(&w, t + CTL_PUSH_COLLAPSE_RTOS * (uint64_t)rto, rto, heavy));
	CHECK_EQ(w.collapses, 1);
}

/* Spurious expiries (push_window.c, the undo): a halving whose expired
 * chunks all turn out to have arrived is undone - window, threshold and
 * reply pace as before it; a second halving while undecided joins the
 * episode (the undo restores the state before the first); one chunk
 * shown missing, a chunk of an older episode, or too few spurious ones
 * undo nothing; a collapse ends the chance too. */
static void test_window_undo(void)
{
	struct ctl_push_window w;
	int64_t rto = 10000;
	uint64_t t = 1000000;
	ctl_pw_init(&w, 0);
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN);
	ctl_pw_answer(&w, t, true);
	CHECK(ctl_pw_lost(&w, t, rto, false));                /* 32 -> 16 */
	uint32_t e = ctl_pw_expired(&w, 2);
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);
	CHECK_EQ(w.ask_every, 1);
	CHECK(!ctl_pw_spurious(&w, e));                       /* 1 of 2 */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);
	CHECK(ctl_pw_spurious(&w, e));                        /* 2 of 2: undone */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN);
	CHECK_EQ(w.ask_every, CTL_PUSH_ACK_EVERY);
	CHECK_EQ(w.undos, 1);
	CHECK(!ctl_pw_spurious(&w, e));                       /* once */
	/* Above the restored threshold the window grows as before. */
	CHECK(w.ssthresh >= CTL_PUSH_WINDOW_CLEAN);

	/* Two halvings in one episode: the undo goes back before the first. */
	t += 10 * (uint64_t)rto;
	ctl_pw_answer(&w, t, true);
	CHECK(ctl_pw_lost(&w, t, rto, false));                /* 32 -> 16 */
	e = ctl_pw_expired(&w, 1);
	CHECK(ctl_pw_lost(&w, t + (uint64_t)rto, rto, false)); /* 16 -> 8 */
	CHECK_EQ(ctl_pw_expired(&w, 1), e);                   /* the same episode */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	CHECK(!ctl_pw_spurious(&w, e));
	CHECK(ctl_pw_spurious(&w, e));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN);
	CHECK_EQ(w.undos, 2);

	/* A real loss in the episode: no undo. */
	t += 10 * (uint64_t)rto;
	ctl_pw_answer(&w, t, true);
	CHECK(ctl_pw_lost(&w, t, rto, false));
	e = ctl_pw_expired(&w, 1);
	ctl_pw_missing(&w);
	CHECK(!ctl_pw_spurious(&w, e));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);
	CHECK_EQ(w.undos, 2);
	/* A halving for a chunk shown missing (lost, then missing, as push.c
	 * calls them), then expiries that all turn out spurious: the halving
	 * stays (the window is not restored past the real loss). */
	struct ctl_push_window w2;
	ctl_pw_init(&w2, 0);
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w2);
	ctl_pw_answer(&w2, t, true);
	CHECK(ctl_pw_lost(&w2, t, rto, false));               /* 32 -> 16 */
	ctl_pw_missing(&w2);
	uint32_t e3 = ctl_pw_expired(&w2, 1);
	CHECK(!ctl_pw_spurious(&w2, e3));
	CHECK_EQ(ctl_pw_slots(&w2), CTL_PUSH_WINDOW_CLEAN / 2);
	CHECK_EQ(w2.undos, 0);

	/* A chunk of an older episode undoes nothing in a new one. */
	t += 10 * (uint64_t)rto;
	ctl_pw_answer(&w, t, true);
	CHECK(ctl_pw_lost(&w, t, rto, false));                /* 16 -> 8 */
	uint32_t e2 = ctl_pw_expired(&w, 1);
	CHECK(e2 != e);
	CHECK(!ctl_pw_spurious(&w, e));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	CHECK(ctl_pw_spurious(&w, e2));                       /* back to 16 */
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_CLEAN / 2);

	/* Nothing answers for CTL_PUSH_COLLAPSE_RTOS: a collapse, no undo. */
	ctl_pw_init(&w, 0);
	for (int i = 0; i < 100; i++)
		ctl_pw_acked(&w);
	ctl_pw_answer(&w, t, true);
	CHECK(ctl_pw_lost(&w, t, rto, false));
	e = ctl_pw_expired(&w, 1);
	CHECK(ctl_pw_lost(&w, t + CTL_PUSH_COLLAPSE_RTOS * (uint64_t)rto, rto, false));
	CHECK_EQ(w.collapses, 1);
	CHECK(!ctl_pw_spurious(&w, e));
	CHECK_EQ(ctl_pw_slots(&w), CTL_PUSH_WINDOW_MIN);
	/* Expiries with no halving (the first loss ever held, or no
	 * episode): episode 0 is never undone. */
	ctl_pw_init(&w, 0);
	CHECK(!ctl_pw_spurious(&w, ctl_pw_expired(&w, 1)));
}

int main(void)
{
	RUN(test_initial);
	RUN(test_samples_floor_ceiling);
	RUN(test_backoff_and_cap);
	RUN(test_backoff_ends);
	RUN(test_window_growth);
	RUN(test_window_loss);
	RUN(test_window_undo);
	RUN(test_window_holds_while_progress);
	RUN(test_window_collapses);
	return check_summary("ctl_rto");
}
