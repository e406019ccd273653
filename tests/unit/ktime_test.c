/*
 * ktime_test.c - host test of the kernel's TSC-to-nanoseconds conversion
 * (kernel/include/ktime.h: ktime_mult_for, ktime_scale), which replaced a
 * 128-bit division per call by a multiplication: against the exact
 * delta * 10^9 / hz, for TSC rates from 1 MHz to 10 GHz and deltas from 0
 * to days, the result is never above the exact value and at most 1 ns
 * below it, and it never goes backwards as delta grows.  Also the PIT
 * counts behind the boot's TSC refinement (ktime_pit_elapsed): a one-shot
 * count of 65536 read back after any number of wraps, with an estimate off
 * by up to 8192 counts either way, and refused beyond that.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "ktime.h"

static uint64_t exact(uint64_t delta, uint64_t hz)
{
	return (uint64_t)((unsigned __int128)delta * 1000000000u / hz);
}

static uint64_t rnd64(void)
{
	return (uint64_t)random() << 42 ^ (uint64_t)random() << 21 ^ (uint64_t)random();
}

static void test_against_exact(void)
{
	static const uint64_t rates[] = { 1000000, 999999937, 1000000000, 1193182 * 1000ull,
					  2099999000, 2400000000ull, 3000000001ull,
					  4999999999ull, 10000000000ull };
	unsigned bad = 0;
	srandom(7);
	for (size_t r = 0; r < sizeof rates / sizeof rates[0] + 200; r++) {
		uint64_t hz = r < sizeof rates / sizeof rates[0] ? rates[r]
								 : 1000000 + rnd64() % 9999000000ull;
		struct ktime_mult m = ktime_mult_for(hz);
		uint64_t prev = 0;
		for (int i = 0; i < 2000; i++) {
			/* 0, 1, small, then up to about 3 days of TSC ticks */
			uint64_t d = i < 2 ? (uint64_t)i : (i < 500 ? (uint64_t)i * 7919 : rnd64() % (hz * 259200));
			uint64_t want = exact(d, hz), got = ktime_scale(d, m);
			if (got > want || want - got > 1)
				bad++;
		}
		/* Monotonic along a sweep. */
		for (uint64_t d = 0, step = hz / 1000 + 1; d < hz * 10; d += step) {
			uint64_t got = ktime_scale(d, m);
			if (got < prev)
				bad++;
			prev = got;
		}
	}
	CHECK_EQ(bad, 0);
	/* hz 0 must not divide by zero (the kernel never asks, but be safe). */
	struct ktime_mult z = ktime_mult_for(0);
	CHECK(z.hi == 1000000000u);
}

/* What channel 2 shows after `elapsed` counts from a load of 65536. */
static void pit_state(uint64_t elapsed, uint16_t *latched, int *out)
{
	*latched = (uint16_t)((65536u - elapsed % 65536u) % 65536u);
	*out = elapsed >= 65536u;
}

static void test_pit_elapsed(void)
{
	unsigned bad = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t elapsed = i < 1000 ? (uint64_t)i * 331 : (uint64_t)(random() % (80 * 65536));
		int64_t off = (int64_t)(random() % 16383) - 8191;   /* within 8191 */
		uint64_t est = (int64_t)elapsed + off < 0 ? 0 : (uint64_t)((int64_t)elapsed + off);
		uint16_t latched;
		int out;
		pit_state(elapsed, &latched, &out);
		uint64_t got = ktime_pit_elapsed(latched, out, est);
		/* Right, or refused (0) only where the count sits right at a wrap
		 * the estimate cannot see past; never a wrong count. */
		if (got != elapsed && !(got == 0 && out && elapsed % 65536u < 8192u + 1))
			bad++;
		/* An estimate a whole half wrap off is refused or right, never wrong. */
		uint64_t far = est + 40000;
		uint64_t g2 = ktime_pit_elapsed(latched, out, far);
		if (g2 && g2 != elapsed)
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* Before the first wrap the estimate does not matter. */
	CHECK_EQ(ktime_pit_elapsed(65536u - 1000u, 0, 0), 1000u);
	CHECK_EQ(ktime_pit_elapsed(0, 0, 12345), 0u);
	/* Exactly at the first 0: one wrap. */
	CHECK_EQ(ktime_pit_elapsed(0, 1, 65536), 65536u);
	/* Three wraps and a bit, estimated a little low and a little high. */
	CHECK_EQ(ktime_pit_elapsed((uint16_t)(65536u - 500u), 1, 3 * 65536u + 500u - 7000u),
		 3 * 65536u + 500u);
	CHECK_EQ(ktime_pit_elapsed((uint16_t)(65536u - 500u), 1, 3 * 65536u + 500u + 7000u),
		 3 * 65536u + 500u);
	/* 20000 counts off: refused. */
	CHECK_EQ(ktime_pit_elapsed((uint16_t)(65536u - 500u), 1, 3 * 65536u + 500u + 20000u), 0u);
}

/* The PM timer's wraps (24 and 32 bits, and a tiny 4-bit counter where
 * every case is reachable): right whenever the estimate is within half a
 * wrap, whatever the start value of the counter. */
static void test_wrap_elapsed(void)
{
	static const unsigned widths[] = { 4, 24, 32 };
	unsigned bad = 0;
	for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
		unsigned bits = widths[w];
		uint64_t wrap = 1ull << bits, mask = wrap - 1;
		for (int i = 0; i < 100000; i++) {
			uint64_t elapsed = (uint64_t)random() * (uint64_t)random() % (50 * wrap);
			uint64_t start = (uint64_t)random() & mask;
			uint64_t diff = ((start + elapsed) & mask) - start;   /* as a reader sees it */
			uint64_t slack = wrap / 2 - 1;
			uint64_t off = (uint64_t)random() % (slack + 1);
			uint64_t est = i & 1 ? elapsed + off : elapsed > off ? elapsed - off : 0;
			if (ktime_wrap_elapsed(diff, bits, est) != elapsed)
				bad++;
		}
	}
	CHECK_EQ(bad, 0);
	/* 24 bits: 100 counts past the 3rd wrap, estimated a little either side. */
	CHECK_EQ(ktime_wrap_elapsed(100, 24, 3 * (1ull << 24) - 5000), 3 * (1ull << 24) + 100);
	CHECK_EQ(ktime_wrap_elapsed(100, 24, 3 * (1ull << 24) + 5000), 3 * (1ull << 24) + 100);
	/* No wrap yet, an estimate just below the count; and a difference the
	 * reader took as 32-bit arithmetic of a 24-bit counter (high bits set). */
	CHECK_EQ(ktime_wrap_elapsed(1000, 24, 990), 1000u);
	CHECK_EQ(ktime_wrap_elapsed(0xFF000010u, 24, 20), 16u);
}

int main(void)
{
	RUN(test_against_exact);
	RUN(test_pit_elapsed);
	RUN(test_wrap_elapsed);
	return check_summary("ktime");
}
