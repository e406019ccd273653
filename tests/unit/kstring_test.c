/*
 * kstring_test.c - host tests of the kernel's memcpy, memmove, memset and
 * memcmp (kernel/lib/string.c), against byte-by-byte reference loops.
 *
 * string.c defines the C library's names, so this file includes the libc
 * headers first and then string.c itself with its functions renamed to k_*.
 * Every length from 0 to 300 (and a few larger ones) at every source and
 * destination alignment 0..15, overlapping moves in both directions at
 * every distance up to 140, and guard bytes on both sides of each
 * destination that must stay untouched.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define memcpy k_memcpy
#define memmove k_memmove
#define memset k_memset
#define memcmp k_memcmp
#define strlen k_strlen
#define strnlen k_strnlen
#define strcmp k_strcmp
#define strncmp k_strncmp
#define strchr k_strchr
#include "../../kernel/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr

#define GUARD 64
#define BUF (70000 + 2 * GUARD + 32)

static unsigned char src[BUF], dst[BUF], want[BUF];
static size_t mismatches;

static void note(const char *what, size_t n, size_t a, size_t b)
{
	if (mismatches++ < 5)
		fprintf(stderr, "  %s: n=%zu, %zu, %zu: wrong bytes\n", what, n, a, b);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 131 + (i >> 8) * 7);
}

static const size_t big[] = { 511, 512, 1023, 1248, 1514, 4096 + 13, 65536 + 7 };

static void copy_case(size_t n, size_t sa, size_t da)
{
	fill(src, n + 32, (unsigned)(n + sa));
	fill(dst, n + 2 * GUARD + 32, 0x5a);
	memcpy(want, dst, n + 2 * GUARD + 32);
	for (size_t i = 0; i < n; i++)
		want[GUARD + da + i] = src[sa + i];
	void *r = k_memcpy(dst + GUARD + da, src + sa, n);
	if (r != dst + GUARD + da || memcmp(dst, want, n + 2 * GUARD + 32))
		note("memcpy", n, sa, da);
}

static void test_memcpy(void)
{
	for (size_t n = 0; n <= 300; n++)
		for (size_t sa = 0; sa < 16; sa++)
			for (size_t da = 0; da < 16; da++)
				copy_case(n, sa, da);
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		for (size_t a = 0; a < 16; a += 5)
			copy_case(big[i], a, 15 - a);
	CHECK_EQ(mismatches, 0);
	mismatches = 0;
}

/* Moves n bytes within dst from GUARD + 140 to GUARD + 140 + delta. */
static void move_case(size_t n, long delta)
{
	size_t from = GUARD + 140, to = (size_t)((long)from + delta);
	fill(dst, n + 2 * GUARD + 300, (unsigned)(n * 3 + (size_t)(delta + 200)));
	memcpy(want, dst, n + 2 * GUARD + 300);
	for (size_t i = 0; i < n; i++)   /* via a copy: the reference for any overlap */
		src[i] = dst[from + i];
	for (size_t i = 0; i < n; i++)
		want[to + i] = src[i];
	void *r = k_memmove(dst + to, dst + from, n);
	if (r != dst + to || memcmp(dst, want, n + 2 * GUARD + 300))
		note("memmove", n, from, to);
}

static void test_memmove(void)
{
	for (size_t n = 0; n <= 300; n++)
		for (long delta = -140; delta <= 140; delta++)
			move_case(n, delta);
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		for (long delta = -140; delta <= 140; delta += 13) {
			if (big[i] + 2 * GUARD + 300 > BUF)
				continue;
			move_case(big[i], delta);
		}
	CHECK_EQ(mismatches, 0);
	mismatches = 0;
}

static void test_memset(void)
{
	static const int values[] = { 0, 0xff, 0x80, 0x5a, 0x1ff /* only the low byte counts */ };
	for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
		for (size_t n = 0; n <= 300; n++)
			for (size_t da = 0; da < 16; da++) {
				fill(dst, n + 2 * GUARD + 32, (unsigned)n);
				memcpy(want, dst, n + 2 * GUARD + 32);
				for (size_t i = 0; i < n; i++)
					want[GUARD + da + i] = (unsigned char)values[v];
				void *r = k_memset(dst + GUARD + da, values[v], n);
				if (r != dst + GUARD + da || memcmp(dst, want, n + 2 * GUARD + 32))
					note("memset", n, (size_t)values[v], da);
			}
	CHECK_EQ(mismatches, 0);
	mismatches = 0;
}

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_memcmp(void)
{
	for (size_t n = 0; n <= 100; n++)
		for (size_t a = 0; a < 8; a++) {
			fill(src + a, n, 3);
			fill(dst + 7 - a, n, 3);
			if (k_memcmp(src + a, dst + 7 - a, n) != 0)
				note("memcmp equal", n, a, 7 - a);
			for (size_t at = 0; at < n; at++)
				for (int d = -1; d <= 1; d += 2) {
					unsigned char keep = dst[7 - a + at];
					dst[7 - a + at] = (unsigned char)(keep + d);
					int got = k_memcmp(src + a, dst + 7 - a, n);
					int ref = memcmp(src + a, dst + 7 - a, n);
					if (sign(got) != sign(ref) || got == 0)
						note("memcmp differs", n, a, at);
					dst[7 - a + at] = keep;
				}
		}
	/* Bytes compare as unsigned char: 0x80 > 0x7f. */
	unsigned char x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 0x80 }, y[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 0x7f };
	CHECK(k_memcmp(x, y, 9) > 0);
	CHECK(k_memcmp(y, x, 9) < 0);
	CHECK_EQ(mismatches, 0);
	mismatches = 0;
}

int main(void)
{
	RUN(test_memcpy);
	RUN(test_memmove);
	RUN(test_memset);
	RUN(test_memcmp);
	return check_summary("kstring");
}
