/*
 * unauth_limit_test.c - the token bucket that rate-limits the endpoint's
 * replies to unauthenticated datagrams (net/endpoint/unauth_limit.c), with
 * the time passed in: burst, refill rate, the cap, boundaries of one token,
 * a clock that goes back, a long pause, and the endpoint's own figures.
 */
#include "check.h"
#include "endpoint_impl.h"

static unsigned take_n(struct ep_limit *l, uint64_t now, unsigned tries)
{
	unsigned got = 0;
	for (unsigned i = 0; i < tries; i++)
		got += ep_limit_take(l, now);
	return got;
}

static void test_burst_then_empty(void)
{
	struct ep_limit l;
	ep_limit_init(&l, 200, 20);
	CHECK_EQ(take_n(&l, 1000, 100), 20);   /* a full bucket, then nothing */
	CHECK(!ep_limit_take(&l, 1000));
}

static void test_refill_rate(void)
{
	struct ep_limit l;
	ep_limit_init(&l, 200, 20);
	CHECK_EQ(take_n(&l, 0, 20), 20);
	/* 200/s = one token per 5 ms: 4 ms is not enough, 5 ms is. */
	CHECK(!ep_limit_take(&l, 4));
	CHECK(ep_limit_take(&l, 5));
	CHECK(!ep_limit_take(&l, 5));
	/* Partial tokens add up across calls: 2 ms + 3 ms = one token. */
	CHECK(!ep_limit_take(&l, 7));
	CHECK(ep_limit_take(&l, 10));
	CHECK(!ep_limit_take(&l, 10));
}

static void test_one_second_budget(void)
{
	struct ep_limit l;
	ep_limit_init(&l, 200, 20);
	/* A flood: 100 tries every ms for 10 s gets burst + 200 a second. */
	unsigned got = 0;
	for (uint64_t ms = 0; ms < 10000; ms++)
		got += take_n(&l, ms, 100);
	CHECK(got <= 20 + 200 * 10);
	CHECK(got >= 200 * 10 - 1);
}

static void test_cap_after_pause(void)
{
	struct ep_limit l;
	ep_limit_init(&l, 200, 20);
	CHECK_EQ(take_n(&l, 0, 20), 20);
	/* A short pause after a little use: refilled to the burst, not past it. */
	ep_limit_init(&l, 200, 20);
	CHECK(ep_limit_take(&l, 0));
	CHECK_EQ(take_n(&l, 99, 100), 20);
	ep_limit_init(&l, 200, 20);
	CHECK_EQ(take_n(&l, 0, 20), 20);
	/* A long quiet time refills to the burst, never more. */
	CHECK_EQ(take_n(&l, 60000, 100), 20);
	/* A pause long enough to overflow the arithmetic if multiplied. */
	CHECK_EQ(take_n(&l, UINT64_MAX / 2, 100), 20);
	/* Exactly the time to fill the bucket from empty: 20 tokens * 5 ms. */
	CHECK_EQ(take_n(&l, UINT64_MAX / 2 + 100, 100), 20);
	CHECK_EQ(take_n(&l, UINT64_MAX / 2 + 199, 100), 19);
}

static void test_clock_back(void)
{
	struct ep_limit l;
	ep_limit_init(&l, 200, 20);
	CHECK_EQ(take_n(&l, 5000, 20), 20);
	/* The clock went back: no tokens from it, and refills count from there. */
	CHECK(!ep_limit_take(&l, 1000));
	CHECK(!ep_limit_take(&l, 1004));
	CHECK(ep_limit_take(&l, 1005));
}

static void test_quiet_wrong_key_client_always_answered(void)
{
	struct ep_limit l;
	ep_limit_init(&l, 200, 20);
	/* A wrong-key client retrying (say every 5 ms, the shortest RTO)
	 * gets every refusal. */
	for (uint64_t ms = 0; ms < 10000; ms += 5)
		CHECK(ep_limit_take(&l, ms));
}

static void test_endpoint_figures(void)
{
	CHECK(EP_UNAUTH_REPLIES_PER_S >= 100 && EP_UNAUTH_REPLIES_PER_S <= 1000);
	CHECK(EP_UNAUTH_REPLY_BURST >= 1 && EP_UNAUTH_REPLY_BURST <= 64);
}

int main(void)
{
	RUN(test_burst_then_empty);
	RUN(test_refill_rate);
	RUN(test_one_second_budget);
	RUN(test_cap_after_pause);
	RUN(test_clock_back);
	RUN(test_quiet_wrong_key_client_always_answered);
	RUN(test_endpoint_figures);
	return check_summary("unauth_limit");
}
