/*
 * mm_test.c - host tests of the physical frame allocator (frame.c), the
 * kernel heap (heap.c) and the RAM cover the page tables are built from
 * (ramcover.c).
 *
 * The frame allocator manages a page-aligned host buffer: its "physical"
 * addresses are the buffer's host addresses, so the heap (which uses frames
 * as pointers) works unchanged.  Frame tests each re-initialise the
 * allocator over their own buffer; the heap tests come last and share one
 * initialisation, because the heap keeps free lists in frames it was given.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "frame.h"
#include "vmm.h" /* ram_cover */
#include "heap.h" /* not klibc.h: on the host it maps kmalloc/kfree to malloc/free */

#define F FRAME_SIZE

static uint8_t *buf_alloc(size_t frames)
{
	void *p = NULL;
	if (posix_memalign(&p, F, frames * F))
		abort();
	memset(p, 0, frames * F);
	return p;
}

/* ---- frame allocator ----------------------------------------------------- */

enum { M_RESERVED, M_FREE, M_USED };

struct fmodel {
	uint8_t *mem;
	uint64_t base;
	size_t n;
	uint8_t *state; /* per frame: M_* */
	uint8_t bitmap[4096];
};

static void fmodel_free(struct fmodel *m)
{
	free(m->mem);
	free(m->state);
}

/* n frames; usable = [base+u_lo, base+n*F-u_hi) rounded inward; reserved
 * ranges given relative to base, rounded outward. */
static void fmodel_init(struct fmodel *m, size_t n, uint64_t u_lo, uint64_t u_hi,
			const struct mem_region *res_rel, size_t n_res)
{
	m->mem = buf_alloc(n);
	m->base = (uint64_t)(uintptr_t)m->mem;
	m->n = n;
	m->state = calloc(n, 1);
	struct mem_region usable = { m->base + u_lo, n * F - u_lo - u_hi };
	struct mem_region res[16];
	for (size_t i = 0; i < n_res; i++)
		res[i] = (struct mem_region){ m->base + res_rel[i].base, res_rel[i].len };
	for (size_t f = 0; f < n; f++) {
		uint64_t fb = (uint64_t)f * F, fe = fb + F;
		bool ok = fb >= u_lo && fe <= n * F - u_hi;
		for (size_t i = 0; i < n_res; i++)
			if (fb < res_rel[i].base + res_rel[i].len && res_rel[i].base < fe)
				ok = false;
		m->state[f] = ok ? M_FREE : M_RESERVED;
	}
	CHECK_EQ(frame_init_at(&usable, 1, res, n_res, m->base, m->base + n * F, m->bitmap,
			       sizeof m->bitmap),
		 TH_OK);
}

static size_t fmodel_count(const struct fmodel *m, int st)
{
	size_t c = 0;
	for (size_t f = 0; f < m->n; f++)
		c += m->state[f] == st;
	return c;
}

static bool fmodel_has_run(const struct fmodel *m, size_t len)
{
	size_t run = 0;
	for (size_t f = 0; f < m->n; f++) {
		run = m->state[f] == M_FREE ? run + 1 : 0;
		if (run >= len)
			return true;
	}
	return false;
}

/* Checks an allocation against the model and marks it used. */
static bool fmodel_take(struct fmodel *m, uint64_t phys, size_t n)
{
	if (phys % F || phys < m->base || phys + n * F > m->base + m->n * F)
		return false;
	size_t f = (size_t)((phys - m->base) / F);
	for (size_t i = 0; i < n; i++)
		if (m->state[f + i] != M_FREE)
			return false;
	for (size_t i = 0; i < n; i++)
		m->state[f + i] = M_USED;
	memset(m->mem + (phys - m->base), 0x77, n * F); /* the memory is really ours */
	return true;
}

static void test_frame_init_invalid(void)
{
	uint8_t *mem = buf_alloc(8);
	uint64_t base = (uint64_t)(uintptr_t)mem;
	uint8_t bm[16];
	struct mem_region u = { base, 8 * F };
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base + 1, base + 8 * F, bm, sizeof bm), TH_EINVAL);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base, base + 8 * F - 1, bm, sizeof bm), TH_EINVAL);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base, base, bm, sizeof bm), TH_EINVAL);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base + F, base, bm, sizeof bm), TH_EINVAL);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base, base + 8 * F, NULL, 16), TH_EINVAL);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base, base + 8 * F, bm, 1), TH_EINVAL);
	CHECK_EQ(frame_init_at(NULL, 1, NULL, 0, base, base + 8 * F, bm, sizeof bm), TH_EINVAL);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 2, base, base + 8 * F, bm, sizeof bm), TH_EINVAL);
	CHECK_EQ(FRAME_BITMAP_BYTES(0, 8 * F), 2);
	CHECK_EQ(frame_init_at(&u, 1, NULL, 0, base, base + 8 * F, bm, 2), TH_OK);
	CHECK_EQ(frame_total_count(), 8);
	CHECK_EQ(frame_free_count(), 8);
	/* nothing usable */
	CHECK_EQ(frame_init_at(NULL, 0, NULL, 0, base, base + 8 * F, bm, sizeof bm), TH_OK);
	CHECK_EQ(frame_total_count(), 0);
	uint64_t phys;
	CHECK_EQ(frame_alloc(1, &phys), TH_ENOMEM);
	/* usable region entirely outside [base, limit), and one wrapping around */
	struct mem_region out[2] = { { base + 64 * F, 8 * F }, { UINT64_MAX - F, 4 * F } };
	CHECK_EQ(frame_init_at(out, 2, NULL, 0, base, base + 8 * F, bm, sizeof bm), TH_OK);
	CHECK_EQ(frame_total_count(), 0);
	/* a reserved region wrapping the address space removes the top */
	struct mem_region res = { base + 6 * F + 1, UINT64_MAX };
	CHECK_EQ(frame_init_at(&u, 1, &res, 1, base, base + 8 * F, bm, sizeof bm), TH_OK);
	CHECK_EQ(frame_total_count(), 6);
	free(mem);
}

static const struct mem_region std_res[] = {
	{ 10 * F + 5, 3000 },  /* inside frame 10 only */
	{ 50 * F - 1, 2 },     /* straddles frames 49 and 50 */
	{ 100 * F, 20 * F },   /* frames 100..119 (kernel image, say) */
	{ 255 * F, 0 },        /* empty: nothing */
};

static void test_frame_exhaust_single(void)
{
	struct fmodel m;
	/* usable starts mid-frame 1 (rounded up to frame 2) and ends mid-frame 254 */
	fmodel_init(&m, 256, F + 100, F + 5, std_res, 4);
	size_t total = fmodel_count(&m, M_FREE);
	CHECK_EQ(total, 256 - 2 - 2 - 1 - 2 - 20);
	CHECK_EQ(frame_total_count(), total);
	CHECK_EQ(frame_free_count(), total);
	uint64_t *got = calloc(total + 1, sizeof *got);
	size_t n = 0;
	uint64_t phys;
	while (n <= total && frame_alloc(1, &phys) == TH_OK) {
		CHECK(fmodel_take(&m, phys, 1));
		got[n++] = phys;
	}
	CHECK_EQ(n, total);
	CHECK_EQ(frame_free_count(), 0);
	CHECK_EQ(frame_alloc(1, &phys), TH_ENOMEM);
	CHECK_EQ(fmodel_count(&m, M_FREE), 0);
	/* free every other one, then the rest */
	for (size_t i = 0; i < n; i += 2)
		CHECK_EQ(frame_free(got[i], 1), TH_OK);
	CHECK_EQ(frame_free_count(), (n + 1) / 2);
	for (size_t i = 1; i < n; i += 2)
		CHECK_EQ(frame_free(got[i], 1), TH_OK);
	CHECK_EQ(frame_free_count(), total);
	CHECK_EQ(frame_total_count(), total);
	/* double free */
	CHECK_EQ(frame_free(got[0], 1), TH_EINVAL);
	CHECK_EQ(frame_free_count(), total);
	free(got);
	fmodel_free(&m);
}

static void test_frame_bad_frees(void)
{
	struct fmodel m;
	fmodel_init(&m, 256, 0, 0, std_res, 4);
	size_t total = frame_total_count();
	uint64_t b = m.base;
	CHECK_EQ(frame_free(b + 10 * F, 1), TH_EINVAL);   /* reserved */
	CHECK_EQ(frame_free(b + 100 * F, 20), TH_EINVAL); /* reserved run */
	CHECK_EQ(frame_free(b + 3 * F, 1), TH_EINVAL);    /* free, never allocated */
	CHECK_EQ(frame_free(b + 3 * F + 8, 1), TH_EINVAL); /* unaligned */
	CHECK_EQ(frame_free(b - F, 1), TH_EINVAL);        /* below base */
	CHECK_EQ(frame_free(b + 256 * F, 1), TH_EINVAL);  /* at limit */
	CHECK_EQ(frame_free(b, 0), TH_EINVAL);
	CHECK_EQ(frame_free(b + 255 * F, 2), TH_EINVAL);  /* runs past limit */
	CHECK_EQ(frame_free(b, SIZE_MAX), TH_EINVAL);
	CHECK_EQ(frame_free_count(), total);

	uint64_t a, c;
	CHECK_EQ(frame_alloc(4, &a), TH_OK);
	CHECK(fmodel_take(&m, a, 4));
	/* a run that is partly allocated: refused as a whole, nothing changes */
	CHECK_EQ(frame_free(a, 5), TH_EINVAL);
	CHECK_EQ(frame_free_count(), total - 4);
	CHECK_EQ(frame_free(a - F, 2), TH_EINVAL);
	CHECK_EQ(frame_free(a, 4), TH_OK);
	CHECK_EQ(frame_free(a, 4), TH_EINVAL);
	CHECK_EQ(frame_free_count(), total);
	CHECK_EQ(frame_alloc(0, &c), TH_EINVAL);
	CHECK_EQ(frame_alloc(1, NULL), TH_EINVAL);
	CHECK_EQ(frame_alloc(SIZE_MAX, &c), TH_ENOMEM);
	CHECK_EQ(frame_alloc(total + 1, &c), TH_ENOMEM);
	fmodel_free(&m);
}

static void test_frame_contiguous(void)
{
	struct fmodel m;
	fmodel_init(&m, 256, 0, 0, std_res, 4);
	/* the largest free run is frames 120..255 (136 frames) */
	uint64_t phys;
	CHECK_EQ(frame_alloc(137, &phys), TH_ENOMEM);
	CHECK_EQ(frame_alloc(136, &phys), TH_OK);
	CHECK_EQ(phys, m.base + 120 * F);
	CHECK(fmodel_take(&m, phys, 136));
	CHECK_EQ(frame_alloc(50, &phys), TH_ENOMEM); /* 51..99 is 49 frames */
	CHECK_EQ(frame_alloc(49, &phys), TH_OK);
	CHECK_EQ(phys, m.base + 51 * F);
	CHECK(fmodel_take(&m, phys, 49));
	size_t runs = 0;
	while (frame_alloc(8, &phys) == TH_OK) {
		CHECK(fmodel_take(&m, phys, 8));
		runs++;
	}
	CHECK_EQ(runs, 1 + 4); /* frames 0..9 hold one run of 8, 11..48 hold four */
	CHECK(!fmodel_has_run(&m, 8));
	CHECK_EQ(frame_free_count(), fmodel_count(&m, M_FREE));
	while (frame_alloc(1, &phys) == TH_OK)
		CHECK(fmodel_take(&m, phys, 1));
	CHECK_EQ(fmodel_count(&m, M_FREE), 0);
	CHECK_EQ(frame_free_count(), 0);
	fmodel_free(&m);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_frame_random_model(void)
{
	static const struct mem_region res[] = {
		{ 0, 3 * F }, { 37 * F + 1, F }, { 200 * F, 7 * F }, { 300 * F + 4095, 1 },
	};
	struct fmodel m;
	fmodel_init(&m, 512, 0, 0, res, 4);
	CHECK_EQ(frame_total_count(), fmodel_count(&m, M_FREE));
	struct { uint64_t phys; size_t n; } live[600];
	size_t nlive = 0;
	size_t mismatches = 0;
	for (int step = 0; step < 20000; step++) {
		unsigned op = (unsigned)(rng() % 10);
		if (op < 5 && nlive < 600) {
			size_t n = 1 + (size_t)(rng() % (rng() % 4 == 0 ? 40 : 4));
			uint64_t phys;
			int err = frame_alloc(n, &phys);
			if (err == TH_OK) {
				if (!fmodel_take(&m, phys, n))
					mismatches++;
				live[nlive].phys = phys;
				live[nlive++].n = n;
			} else if (err != TH_ENOMEM || fmodel_has_run(&m, n)) {
				mismatches++;
			}
		} else if (op < 9 && nlive) {
			size_t i = (size_t)(rng() % nlive);
			if (frame_free(live[i].phys, live[i].n) != TH_OK)
				mismatches++;
			size_t f = (size_t)((live[i].phys - m.base) / F);
			for (size_t k = 0; k < live[i].n; k++)
				m.state[f + k] = M_FREE;
			live[i] = live[--nlive];
		} else {
			/* a random free that the model says is invalid must be refused */
			size_t f = (size_t)(rng() % m.n), n = 1 + (size_t)(rng() % 3);
			bool valid = f + n <= m.n;
			for (size_t k = 0; valid && k < n; k++)
				valid = m.state[f + k] == M_USED;
			if (!valid && frame_free(m.base + f * F, n) != TH_EINVAL)
				mismatches++;
		}
		if (frame_free_count() != fmodel_count(&m, M_FREE))
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	while (nlive) {
		nlive--;
		CHECK_EQ(frame_free(live[nlive].phys, live[nlive].n), TH_OK);
	}
	CHECK_EQ(frame_free_count(), frame_total_count());
	fmodel_free(&m);
}

/* frame_init_at marks whole bytes of the bitmaps at once: random usable
 * bounds and reserved ranges at any byte offset, the usable frames counted
 * and then every one of them allocated, against the per-frame model. */
static void test_frame_init_ranges(void)
{
	size_t mismatches = 0;
	for (int iter = 0; iter < 300; iter++) {
		size_t n = 1 + (size_t)(rng() % 700);
		uint64_t u_lo = rng() % (n * F / 3 + 1), u_hi = rng() % (n * F / 3 + 1);
		struct mem_region res[16];
		size_t n_res = (size_t)(rng() % 17);
		for (size_t i = 0; i < n_res; i++) {
			uint64_t b = rng() % (n * F), len = rng() % 4 == 0 ? rng() % (n * F - b + 1)
								    : rng() % (40 * F);
			res[i] = (struct mem_region){ b, len };
		}
		struct fmodel m;
		fmodel_init(&m, n, u_lo, u_hi, res, n_res);
		if (frame_total_count() != fmodel_count(&m, M_FREE) ||
		    frame_free_count() != fmodel_count(&m, M_FREE))
			mismatches++;
		uint64_t phys;
		while (frame_alloc(1, &phys) == TH_OK)
			if (!fmodel_take(&m, phys, 1))
				mismatches++;
		if (fmodel_count(&m, M_FREE) != 0)
			mismatches++;
		fmodel_free(&m);
	}
	CHECK_EQ(mismatches, 0);
}

/* ---- heap ---------------------------------------------------------------- */

#define HEAP_FRAMES 1024
static uint8_t *heap_mem;
static uint8_t heap_bitmap[FRAME_BITMAP_BYTES(0, HEAP_FRAMES * F)];

static struct heap_stats hs(void)
{
	struct heap_stats s;
	heap_get_stats(&s);
	return s;
}

/* The heap is the only user of the frames: what it holds is what is missing. */
static bool heap_frames_consistent(void)
{
	return frame_free_count() + hs().pages_held == frame_total_count();
}

static void heap_setup(void)
{
	heap_mem = buf_alloc(HEAP_FRAMES);
	uint64_t base = (uint64_t)(uintptr_t)heap_mem;
	struct mem_region u = { base, HEAP_FRAMES * F };
	struct mem_region r = { base, F }; /* first frame reserved */
	CHECK_EQ(frame_init_at(&u, 1, &r, 1, base, base + HEAP_FRAMES * F, heap_bitmap,
			       sizeof heap_bitmap),
		 TH_OK);
	CHECK_EQ(frame_total_count(), HEAP_FRAMES - 1);
}

static bool in_heap_mem(const void *p, size_t n)
{
	const uint8_t *b = p;
	return b >= heap_mem + F && b + n <= heap_mem + HEAP_FRAMES * F;
}

static void test_heap_edge_sizes(void)
{
	struct heap_stats s0 = hs();
	CHECK(kmalloc(0) == NULL);
	CHECK(kmalloc((size_t)1 << 31) == NULL);
	CHECK(kmalloc(SIZE_MAX) == NULL);
	CHECK(kcalloc(SIZE_MAX / 2, 3) == NULL);
	CHECK(kcalloc((size_t)1 << 33, (size_t)1 << 33) == NULL);
	CHECK(kcalloc(0, 5) == NULL);
	kfree(NULL);
	struct heap_stats s1 = hs();
	CHECK_EQ(s1.bytes_in_use, s0.bytes_in_use);
	CHECK_EQ(s1.errors, s0.errors);

	uint8_t *z = kcalloc(100, 10);
	CHECK(z != NULL);
	if (z) {
		bool zero = true;
		for (size_t i = 0; i < 1000; i++)
			zero &= z[i] == 0;
		CHECK(zero);
		kfree(z);
	}
	/* reuse of a poisoned slab block: kcalloc still zeroes it */
	uint8_t *a = kmalloc(200);
	if (a) {
		memset(a, 0xEE, 200);
		kfree(a);
	}
	uint8_t *b = kcalloc(1, 200);
	CHECK(b != NULL);
	if (b) {
		bool zero = true;
		for (size_t i = 0; i < 200; i++)
			zero &= b[i] == 0;
		CHECK(zero);
		kfree(b);
	}
	CHECK_EQ(hs().bytes_in_use, s0.bytes_in_use);
	CHECK_EQ(hs().errors, s0.errors);
	CHECK(heap_frames_consistent());
}

static void test_heap_many_sizes(void)
{
	static const size_t sizes[] = { 1, 7, 8, 9, 15, 16, 17, 31, 32, 40, 63, 64, 100, 104,
					127, 128, 232, 255, 256, 488, 500, 1000, 1000, 2000,
					2024, 2025, 2047, 2048, 2049, 3000, 4072, 4073, 4096,
					8192, 10000, 20000, 65536, 100000 };
	enum { N = sizeof sizes / sizeof sizes[0], REP = 6 };
	struct heap_stats s0 = hs();
	uint8_t *p[N * REP];
	size_t sz[N * REP];
	size_t want_bytes = 0;
	for (size_t r = 0; r < REP; r++)
		for (size_t i = 0; i < N; i++) {
			size_t k = r * N + i;
			sz[k] = sizes[i];
			p[k] = kmalloc(sz[k]);
			CHECK(p[k] != NULL);
			if (!p[k])
				continue;
			CHECK((uintptr_t)p[k] % 16 == 0);
			CHECK(in_heap_mem(p[k], sz[k]));
			for (size_t j = 0; j < sz[k]; j++)
				p[k][j] = (uint8_t)(k * 31 + j);
			want_bytes += sz[k];
		}
	struct heap_stats s1 = hs();
	CHECK_EQ(s1.bytes_in_use - s0.bytes_in_use, want_bytes);
	CHECK_EQ(s1.blocks_in_use - s0.blocks_in_use, N * REP);
	CHECK(heap_frames_consistent());
	/* no two live blocks overlap: every pattern survived all the other writes */
	size_t bad = 0;
	for (size_t k = 0; k < N * REP; k++)
		for (size_t j = 0; p[k] && j < sz[k]; j++)
			bad += p[k][j] != (uint8_t)(k * 31 + j);
	CHECK_EQ(bad, 0);
	/* free in a scrambled order, checking the rest each time around */
	for (size_t step = 0; step < N * REP; step++) {
		size_t k = (step * 37) % (N * REP);
		for (size_t j = 0; p[k] && j < sz[k]; j++)
			bad += p[k][j] != (uint8_t)(k * 31 + j);
		kfree(p[k]);
		p[k] = NULL;
	}
	CHECK_EQ(bad, 0);
	struct heap_stats s2 = hs();
	CHECK_EQ(s2.bytes_in_use, s0.bytes_in_use);
	CHECK_EQ(s2.blocks_in_use, s0.blocks_in_use);
	CHECK_EQ(s2.errors, s0.errors);
	CHECK(heap_frames_consistent());
	/* large blocks gave their pages back: only slab pages remain held */
	size_t big_pages = 0;
	for (size_t i = 0; i < N; i++)
		if (sizes[i] > 2048)
			big_pages += (sizes[i] + 24 + F - 1) / F;
	CHECK(s1.pages_held - s2.pages_held == big_pages * REP);
}

static void test_heap_large_pages_returned(void)
{
	struct heap_stats s0 = hs();
	size_t free0 = frame_free_count();
	void *a = kmalloc(3 * F);   /* + header/canary: 4 pages */
	void *b = kmalloc(2049);    /* 1 page */
	CHECK(a && b);
	CHECK_EQ(hs().pages_held - s0.pages_held, 5);
	CHECK_EQ(free0 - frame_free_count(), 5);
	kfree(a);
	kfree(b);
	CHECK_EQ(hs().pages_held, s0.pages_held);
	CHECK_EQ(frame_free_count(), free0);
	CHECK_EQ(hs().bytes_in_use, s0.bytes_in_use);
}

static void test_heap_double_free(void)
{
	struct heap_stats s0 = hs();
	void *p = kmalloc(100);
	CHECK(p != NULL);
	kfree(p);
	CHECK_EQ(hs().errors, s0.errors);
	kfree(p); /* double free: logged, counted, no effect */
	struct heap_stats s1 = hs();
	CHECK_EQ(s1.errors, s0.errors + 1);
	CHECK_EQ(s1.bytes_in_use, s0.bytes_in_use);
	CHECK_EQ(s1.blocks_in_use, s0.blocks_in_use);
	/* the free list was not corrupted: two allocations give two blocks */
	uint8_t *a = kmalloc(100), *b = kmalloc(100), *c = kmalloc(100);
	CHECK(a && b && c && a != b && b != c && a != c);
	if (a && b && c) {
		memset(a, 1, 100);
		memset(b, 2, 100);
		memset(c, 3, 100);
		CHECK(a[99] == 1 && b[0] == 2 && c[50] == 3);
	}
	kfree(a);
	kfree(b);
	kfree(c);
	CHECK_EQ(hs().errors, s0.errors + 1);

	/* large block double free: pages returned once only */
	size_t free0 = frame_free_count();
	void *L = kmalloc(10000);
	CHECK(L != NULL);
	kfree(L);
	CHECK_EQ(frame_free_count(), free0);
	kfree(L);
	CHECK_EQ(hs().errors, s0.errors + 2);
	CHECK_EQ(frame_free_count(), free0);
	CHECK_EQ(hs().bytes_in_use, s0.bytes_in_use);
	CHECK(heap_frames_consistent());
}

static void test_heap_overflow(void)
{
	struct heap_stats s0 = hs();
	uint8_t *p = kmalloc(100);
	CHECK(p != NULL);
	if (!p)
		return;
	p[100] = 0; /* one byte past the end (into the canary, still inside the block) */
	kfree(p);
	struct heap_stats s1 = hs();
	CHECK_EQ(s1.errors, s0.errors + 1);
	/* quarantined: stays accounted as in use, never reused */
	CHECK_EQ(s1.bytes_in_use, s0.bytes_in_use + 100);
	for (int i = 0; i < 200; i++) {
		void *q = kmalloc(100);
		CHECK(q != p);
		kfree(q);
	}
	CHECK_EQ(hs().errors, s0.errors + 1);

	uint8_t *L = kmalloc(5000);
	CHECK(L != NULL);
	if (L) {
		L[5000] ^= 0xFF;
		kfree(L);
		CHECK_EQ(hs().errors, s0.errors + 2);
	}
	/* exact-fit block: writing all bytes is fine */
	uint8_t *e = kmalloc(8);
	if (e) {
		memset(e, 0xFF, 8);
		kfree(e);
	}
	CHECK_EQ(hs().errors, s0.errors + 2);
	CHECK(heap_frames_consistent());
}

static void test_heap_bad_pointer(void)
{
	struct heap_stats s0 = hs();
	uint8_t *L = kmalloc(8000);
	CHECK(L != NULL);
	if (!L)
		return;
	memset(L, 0, 8000);
	kfree(L + 16);   /* interior pointer: header is zeroes */
	kfree(L + 1);    /* unaligned */
	kfree((void *)(uintptr_t)0x1000);
	kfree((void *)(uintptr_t)16);
	_Alignas(16) uint8_t fake[64];
	memset(fake, 0x41, sizeof fake);
	kfree(fake + 32); /* not from the heap: garbage header */
	struct heap_stats s1 = hs();
	CHECK_EQ(s1.errors, s0.errors + 5);
	CHECK_EQ(s1.blocks_in_use, s0.blocks_in_use + 1);
	/* a forged header with a live magic but an absurd size is refused */
	uint32_t forged[4] = { 0x4b4d414cu, 0x7fffffffu, 0xffu, 1 };
	memcpy(L + 64, forged, sizeof forged);
	kfree(L + 80);
	forged[1] = 10;
	forged[2] = 99; /* bad class */
	memcpy(L + 64, forged, sizeof forged);
	kfree(L + 80);
	CHECK_EQ(hs().errors, s0.errors + 7);
	kfree(L);
	CHECK_EQ(hs().errors, s0.errors + 7);
	CHECK_EQ(hs().blocks_in_use, s0.blocks_in_use);
	CHECK(heap_frames_consistent());
}

static void test_heap_exhaustion(void)
{
	struct heap_stats s0 = hs();
	void *blocks[HEAP_FRAMES];
	size_t n = 0;
	while (n < HEAP_FRAMES && (blocks[n] = kmalloc(3 * F)) != NULL)
		n++;
	CHECK(n > 10 && n < HEAP_FRAMES);
	CHECK(kmalloc(3 * F) == NULL);
	/* small allocations may still come from slab pages already held, or fail */
	while (n)
		kfree(blocks[--n]);
	CHECK_EQ(hs().bytes_in_use, s0.bytes_in_use);
	CHECK_EQ(hs().errors, s0.errors);
	void *again = kmalloc(3 * F);
	CHECK(again != NULL);
	kfree(again);
	CHECK(heap_frames_consistent());
}

static void test_heap_random(void)
{
	enum { SLOTS = 256 };
	static uint8_t *p[SLOTS];
	static size_t sz[SLOTS];
	static uint8_t tag[SLOTS];
	struct heap_stats s0 = hs();
	size_t bad = 0, live_bytes = 0;
	for (int step = 0; step < 20000; step++) {
		size_t i = (size_t)(rng() % SLOTS);
		if (p[i]) {
			for (size_t j = 0; j < sz[i]; j++)
				bad += p[i][j] != tag[i];
			kfree(p[i]);
			live_bytes -= sz[i];
			p[i] = NULL;
		} else {
			size_t r = (size_t)rng();
			sz[i] = 1 + (r % 8 == 0 ? r % 9000 : r % 600);
			p[i] = kmalloc(sz[i]);
			if (!p[i])
				continue;
			bad += (uintptr_t)p[i] % 16 != 0;
			tag[i] = (uint8_t)rng();
			memset(p[i], tag[i], sz[i]);
			live_bytes += sz[i];
		}
		if (hs().bytes_in_use - s0.bytes_in_use != live_bytes)
			bad++;
	}
	for (size_t i = 0; i < SLOTS; i++)
		if (p[i]) {
			kfree(p[i]);
			p[i] = NULL;
		}
	CHECK_EQ(bad, 0);
	CHECK_EQ(hs().bytes_in_use, s0.bytes_in_use);
	CHECK_EQ(hs().errors, s0.errors);
	CHECK(heap_frames_consistent());
}

/* ---- RAM cover (which parts of the identity map vmm_init maps) ----------- */

static void test_ram_cover(void)
{
	/* QEMU's 256 MiB map: the BIOS hole below 1 MiB, reserved top. */
	const struct mem_region q[] = { { 0, 0x9fc00 }, { 0x100000, 0xfee0000 } };
	const uint64_t B = 2ull << 20;
	CHECK_EQ(ram_cover(q, 2, 0, B), RAM_PARTIAL);             /* 0xa0000-0xfffff is not RAM */
	CHECK_EQ(ram_cover(q, 2, 0x9f000, F), RAM_PARTIAL);       /* page ends in the hole */
	CHECK_EQ(ram_cover(q, 2, 0xa0000, F), RAM_NONE);
	CHECK_EQ(ram_cover(q, 2, 0xb8000, F), RAM_NONE);          /* VGA text: mapped by its user */
	CHECK_EQ(ram_cover(q, 2, 0x100000, F), RAM_FULL);
	CHECK_EQ(ram_cover(q, 2, B, B), RAM_FULL);
	CHECK_EQ(ram_cover(q, 2, 0xfe00000, B), RAM_PARTIAL);     /* RAM ends at 0xffe0000 */
	CHECK_EQ(ram_cover(q, 2, 0xffe0000, F), RAM_NONE);
	CHECK_EQ(ram_cover(q, 2, 0xc0000000, B), RAM_NONE);       /* the hole faultbench hit */
	CHECK_EQ(ram_cover(q, 2, 0, 1ull << 30), RAM_PARTIAL);
	CHECK_EQ(ram_cover(q, 2, 3ull << 30, 1ull << 30), RAM_NONE);
	/* Unsorted, touching and overlapping regions cover as their union. */
	const struct mem_region u[] = { { 3 * F, 2 * F }, { 0, 2 * F }, { F, 2 * F }, { 4 * F, F } };
	CHECK_EQ(ram_cover(u, 4, 0, 5 * F), RAM_FULL);
	CHECK_EQ(ram_cover(u, 4, 0, 6 * F), RAM_PARTIAL);
	CHECK_EQ(ram_cover(u, 3, 0, 5 * F), RAM_FULL);
	/* Nonsense: nothing, empty regions, lengths that wrap. */
	const struct mem_region w[] = { { 0, 0 }, { UINT64_MAX - F, 4 * F } };
	CHECK_EQ(ram_cover(NULL, 3, 0, F), RAM_NONE);
	CHECK_EQ(ram_cover(q, 2, 0x100000, 0), RAM_NONE);
	CHECK_EQ(ram_cover(w, 1, 0, F), RAM_NONE);
	CHECK_EQ(ram_cover(w, 2, UINT64_MAX - F + 1, F), RAM_FULL);
	CHECK_EQ(ram_cover(w, 2, UINT64_MAX - 2 * F + 1, 8 * F), RAM_PARTIAL);
}

int main(void)
{
	RUN(test_ram_cover);
	RUN(test_frame_init_invalid);
	RUN(test_frame_exhaust_single);
	RUN(test_frame_bad_frees);
	RUN(test_frame_contiguous);
	RUN(test_frame_random_model);
	RUN(test_frame_init_ranges);
	heap_setup(); /* from here on the frame allocator belongs to the heap */
	RUN(test_heap_edge_sizes);
	RUN(test_heap_many_sizes);
	RUN(test_heap_large_pages_returned);
	RUN(test_heap_random);
	RUN(test_heap_double_free);
	RUN(test_heap_overflow);
	RUN(test_heap_bad_pointer);
	RUN(test_heap_exhaustion);
	return check_summary("mm_test");
}
