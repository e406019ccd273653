/*
 * staging_room_test.c - host tests of the staging area when memory, not
 * staging=, runs short (net/endpoint/staging.c, obj_alloc): staging= may
 * promise more than the machine has free, and abandoned pushes must still
 * give way to a newer push.  malloc, calloc and free are wrapped at link
 * time (-Wl,--wrap): allocations of STAGING_TEST_BIG bytes or more fail
 * once the live ones would pass a budget, as a kernel heap that is out of
 * pages does.
 */
#include <stdlib.h>

#include "check.h"
#include "endpoint_impl.h"

#define C 1024u
#define KIB 1024u
#define MIB (1024u * 1024u)
#define STAGING_TEST_BIG (64u * KIB)

/* ---- the wrapped allocator ------------------------------------------------ */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void __real_free(void *p);

static size_t budget = (size_t)-1, live;
static struct { void *p; size_t n; } bigs[64];

static void *track(void *p, size_t n)
{
	for (size_t i = 0; p && i < sizeof bigs / sizeof bigs[0]; i++)
		if (!bigs[i].p) {
			bigs[i].p = p;
			bigs[i].n = n;
			live += n;
			return p;
		}
	return p;
}

void *__wrap_malloc(size_t n)
{
	if (n < STAGING_TEST_BIG)
		return __real_malloc(n);
	if (live + n > budget)
		return NULL;
	return track(__real_malloc(n), n);
}

void *__wrap_calloc(size_t n, size_t s)
{
	if (n * s < STAGING_TEST_BIG)
		return __real_calloc(n, s);
	if (live + n * s > budget)
		return NULL;
	return track(__real_calloc(n, s), n * s);
}

void __wrap_free(void *p)
{
	for (size_t i = 0; p && i < sizeof bigs / sizeof bigs[0]; i++)
		if (bigs[i].p == p) {
			live -= bigs[i].n;
			bigs[i].p = NULL;
		}
	__real_free(p);
}

/* ---- helpers ---------------------------------------------------------------- */
static void name(uint8_t sha[32], unsigned seed)
{
	for (int i = 0; i < 32; i++)
		sha[i] = (uint8_t)(seed * 31 + i);
}

/* The first chunk of an object of total bytes (never completed: a killed push). */
static int first_chunk(struct staging *st, uint64_t now, const uint8_t *sha, uint64_t total,
		       struct th_errbuf *eb)
{
	static uint8_t chunk[C];
	struct staging_obj *o;
	return staging_put(st, now, sha, total, C, 0, chunk, C, &o, eb);
}

/* staging= of 1 GiB on a "machine" with 3 MiB free: two killed pushes hold
 * 2.5 MiB; a newer 1 MiB push evicts the least recently progressed one
 * instead of failing ENOMEM for good. */
static void test_abandoned_give_way_to_memory(void)
{
	struct staging st;
	struct th_errbuf eb = { "" };
	uint8_t a[32], b[32], d[32];
	name(a, 1), name(b, 2), name(d, 3);
	CHECK_EQ(staging_init(&st, 8, 1u << 30, 1000000), TH_OK);
	budget = 3 * MIB;
	CHECK_EQ(first_chunk(&st, 1, a, 3 * MIB / 2, &eb), TH_OK);
	CHECK_EQ(first_chunk(&st, 2, b, 1 * MIB, &eb), TH_OK);
	CHECK_EQ(first_chunk(&st, 3, d, 1 * MIB, &eb), TH_OK);
	CHECK(staging_find(&st, a) == NULL);   /* least recently progressed: evicted */
	CHECK(staging_find(&st, b) != NULL);   /* only as much as needed */
	CHECK(staging_find(&st, d) != NULL);
	CHECK_EQ(staging_count(&st), 2u);
	CHECK_EQ(st.used_bytes, 2ull * MIB);
	staging_fini(&st);
	budget = (size_t)-1;
}

/* An object a running swap pins is never evicted, not even for memory: when
 * nothing else can give way the push gets ENOMEM naming staging=, and what
 * was staged before is still there. */
static void test_pinned_kept_enomem_named(void)
{
	struct staging st;
	struct th_errbuf eb = { "" };
	uint8_t a[32], b[32];
	name(a, 4), name(b, 5);
	CHECK_EQ(staging_init(&st, 8, 1u << 30, 1000000), TH_OK);
	budget = 2 * MIB;
	CHECK_EQ(first_chunk(&st, 1, a, 3 * MIB / 2, &eb), TH_OK);
	struct staging_obj *pa = staging_find(&st, a);
	CHECK(pa != NULL);
	pa->pins = 1;
	CHECK_EQ(first_chunk(&st, 2, b, 1 * MIB, &eb), TH_ENOMEM);
	CHECK(strstr(eb.msg, "no memory for 1048576 bytes") != NULL);
	CHECK(strstr(eb.msg, "staging=") != NULL);
	CHECK(staging_find(&st, a) == pa);
	CHECK(staging_find(&st, b) == NULL);
	CHECK_EQ(staging_count(&st), 1u);
	CHECK_EQ(st.used_bytes, 3ull * MIB / 2);
	pa->pins = 0;
	staging_fini(&st);
	budget = (size_t)-1;
}

int main(void)
{
	RUN(test_abandoned_give_way_to_memory);
	RUN(test_pinned_kept_enomem_named);
	return check_summary("staging_room");
}
