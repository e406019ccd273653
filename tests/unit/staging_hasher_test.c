/*
 * staging_hasher_test.c - host tests of the staging area's hash worker split
 * (net/endpoint/staging.c: staging_set_worker, staging_hash_claim,
 * staging_claim_hash, staging_hash_commit): step by step, a claim, its
 * limits, and each way the receiving side can overtake a claim (the object
 * completes, fails its hash, is evicted, its slot reused); then a pthread
 * worker hashing while the main thread pushes interleaved, corrupt and
 * abandoned objects through a small staging area.  Built twice: with
 * ASan/UBSan (use after free, leaks of orphaned data) and with TSan
 * (staging_hasher_tsan: data races between the two sides).
 */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "endpoint_impl.h"

#define C 1024u   /* chunk size (PROTO_CHUNK_SIZE) */

static int wakes;
static void count_wake(void *ctx) { (void)ctx; wakes++; }

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * seed + (i >> 8) + seed);
}

static int put(struct staging *st, uint64_t now, const uint8_t *sha, const uint8_t *obj,
	       size_t total, uint32_t chunk)
{
	struct staging_obj *o;
	struct th_errbuf eb = { "" };
	uint64_t off = (uint64_t)chunk * C;
	size_t len = total - off < C ? total - off : C;
	return staging_put(st, now, sha, total, C, off, obj + off, len, &o, &eb);
}

static void init_worker_area(struct staging *st, uint32_t objs, uint64_t bytes)
{
	CHECK_EQ(staging_init(st, objs, bytes, 1000000), TH_OK);
	staging_set_worker(st, count_wake, NULL);
	wakes = 0;
}

/* A claim covers the received in-order prefix (up to its max), not beyond
 * a gap; one claim at a time; commit publishes it; the idle step is off. */
static void test_claim_commit(void)
{
	struct staging st;
	init_worker_area(&st, 4, 1 << 20);
	static uint8_t obj[5 * C + 100];
	uint8_t sha[32];
	fill(obj, sizeof obj, 3);
	proto_sha256(obj, sizeof obj, sha);
	struct staging_claim c, c2;
	CHECK_EQ(put(&st, 1, sha, obj, sizeof obj, 1), TH_OK);
	CHECK_EQ(put(&st, 2, sha, obj, sizeof obj, 2), TH_OK);
	CHECK_EQ(wakes, 0);                          /* chunk 0 missing: nothing to hash */
	CHECK(!staging_hash_claim(&st, 8, &c));
	CHECK_EQ(put(&st, 3, sha, obj, sizeof obj, 0), TH_OK);
	CHECK_EQ(wakes, 0);                          /* 3 waiting: fewer than a batch */
	CHECK(!staging_hash_step(&st, 100));         /* the worker hashes, not the idle step */
	CHECK(!staging_hash_claim(&st, 0, &c));
	CHECK(staging_hash_claim(&st, 2, &c));       /* max 2 of the 3 waiting */
	CHECK_EQ(c.first, 0);
	CHECK_EQ(c.chunks, 2);
	CHECK_EQ(c.len, 2 * C);
	CHECK(c.data != obj);                        /* the staged copy, not the input */
	CHECK(!staging_hash_claim(&st, 8, &c2));     /* one claim at a time */
	staging_claim_hash(&c);
	struct staging_obj *o = staging_find(&st, sha);
	CHECK_EQ(o->chunks_hashed, 0);               /* not before the commit */
	staging_hash_commit(&st, &c);
	CHECK_EQ(o->chunks_hashed, 2);
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK_EQ(c.first, 2);
	CHECK_EQ(c.chunks, 1);
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);
	CHECK_EQ(o->chunks_hashed, 3);
	CHECK_EQ(put(&st, 4, sha, obj, sizeof obj, 3), TH_OK);
	CHECK_EQ(put(&st, 5, sha, obj, sizeof obj, 4), TH_OK);
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK_EQ(c.chunks, 2);
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);
	CHECK_EQ(o->chunks_hashed, 5);
	CHECK_EQ(put(&st, 6, sha, obj, sizeof obj, 5), TH_OK);   /* the last: 100 bytes */
	CHECK(o->complete);
	CHECK_EQ(o->chunks_hashed, 6);
	CHECK(!staging_hash_claim(&st, 8, &c));      /* complete: nothing to claim */
	staging_fini(&st);
}

/* While the receiving side hashes an object itself (net_hashing, between
 * its net_take and net_give: the last chunk is in, or the worker fell far
 * behind), the worker never claims it, and claims it again once it is
 * given back.  (Set here as net_take leaves it: inside staging_put the
 * window cannot be seen from one thread, and the pthread test below only
 * hits it by chance.) */
static void test_net_hashing_not_claimed(void)
{
	struct staging st;
	init_worker_area(&st, 2, 1 << 20);
	static uint8_t obj[6 * C];
	uint8_t sha[32];
	fill(obj, sizeof obj, 23);
	proto_sha256(obj, sizeof obj, sha);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ(put(&st, 1 + i, sha, obj, sizeof obj, i), TH_OK);
	struct staging_obj *o = staging_find(&st, sha);
	CHECK(o != NULL);
	if (!o)
		return;
	struct staging_claim c;
	o->net_hashing = true;
	CHECK(!staging_hash_claim(&st, 8, &c));
	o->net_hashing = false;
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK(c.obj == o && c.first == 0 && c.chunks == 3);
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);
	for (uint32_t i = 3; i < 6; i++)
		CHECK_EQ(put(&st, 10 + i, sha, obj, sizeof obj, i), TH_OK);
	CHECK(o->complete);
	staging_fini(&st);
}

/* The last chunk arrives while the worker holds a claim on the object: the
 * receiving side hashes the rest itself and verifies; the late commit
 * changes nothing. */
static void test_completion_voids_claim(void)
{
	struct staging st;
	init_worker_area(&st, 4, 1 << 20);
	static uint8_t obj[6 * C];
	uint8_t sha[32];
	fill(obj, sizeof obj, 5);
	proto_sha256(obj, sizeof obj, sha);
	for (uint32_t i = 0; i < 5; i++)
		CHECK_EQ(put(&st, 1 + i, sha, obj, sizeof obj, i), TH_OK);
	struct staging_claim c;
	CHECK(staging_hash_claim(&st, 3, &c));
	CHECK_EQ(put(&st, 9, sha, obj, sizeof obj, 5), TH_OK);   /* completes, verified */
	struct staging_obj *o = staging_find(&st, sha);
	CHECK(o && o->complete);
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);
	CHECK_EQ(o->chunks_hashed, 6);
	CHECK(o->complete);
	staging_fini(&st);
}

/* The object fails its hash while claimed: discarded at once (EHASH), but
 * its bytes live until the worker commits (ASan: no use after free, no
 * leak); a new object takes the slot and the late commit leaves it alone. */
static void test_ehash_while_claimed(void)
{
	struct staging st;
	init_worker_area(&st, 1, 1 << 20);
	static uint8_t obj[4 * C], good[4 * C];
	uint8_t sha[32], sha2[32];
	fill(obj, sizeof obj, 7);
	proto_sha256(obj, sizeof obj, sha);
	obj[C + 5] ^= 1;                             /* chunk 1 corrupt */
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ(put(&st, 1 + i, sha, obj, sizeof obj, i), TH_OK);
	struct staging_claim c;
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK_EQ(c.chunks, 3);
	CHECK_EQ(put(&st, 5, sha, obj, sizeof obj, 3), TH_EHASH);
	CHECK(staging_find(&st, sha) == NULL);
	CHECK_EQ(staging_count(&st), 0);
	/* the one slot, reused while the old claim is out */
	fill(good, sizeof good, 9);
	proto_sha256(good, sizeof good, sha2);
	CHECK_EQ(put(&st, 6, sha2, good, sizeof good, 0), TH_OK);
	staging_claim_hash(&c);                      /* reads the discarded object's bytes */
	staging_hash_commit(&st, &c);                /* frees them */
	struct staging_obj *o = staging_find(&st, sha2);
	CHECK(o != NULL);
	CHECK_EQ(o->chunks_hashed, 0);
	for (uint32_t i = 1; i < 4; i++)
		CHECK_EQ(put(&st, 6 + i, sha2, good, sizeof good, i), TH_OK);
	CHECK(o->complete);
	staging_fini(&st);
}

/* A claimed incomplete object is evicted for a new push; that object is
 * itself discarded while the old claim is still out (the orphan is the old
 * object's bytes, not the new one's). */
static void test_evict_while_claimed(void)
{
	struct staging st;
	init_worker_area(&st, 2, 8 * C);
	static uint8_t a[8 * C], b[8 * C], d[4 * C];
	uint8_t sha_a[32], sha_b[32], sha_d[32];
	fill(a, sizeof a, 11);
	fill(b, sizeof b, 13);
	fill(d, sizeof d, 17);
	proto_sha256(a, sizeof a, sha_a);
	proto_sha256(b, sizeof b, sha_b);
	proto_sha256(d, sizeof d, sha_d);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(put(&st, 1 + i, sha_a, a, sizeof a, i), TH_OK);
	struct staging_claim c;
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK_EQ(c.chunks, 4);
	CHECK_EQ(put(&st, 10, sha_b, b, sizeof b, 0), TH_OK);    /* evicts a (the whole area) */
	CHECK(staging_find(&st, sha_a) == NULL);
	CHECK_EQ(put(&st, 11, sha_d, d, sizeof d, 0), TH_OK);    /* evicts b */
	CHECK(staging_find(&st, sha_b) == NULL);
	CHECK(!staging_hash_claim(&st, 8, &c));      /* still one claim out */
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);                /* frees a's bytes */
	struct staging_obj *o = staging_find(&st, sha_d);
	CHECK(o && o->chunks_hashed == 0);
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK(c.obj == o && c.chunks == 1);
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);
	for (uint32_t i = 1; i < 4; i++)
		CHECK_EQ(put(&st, 12 + i, sha_d, d, sizeof d, i), TH_OK);
	CHECK(o->complete);
	staging_fini(&st);
}

/* A worker far behind: past STAGING_WORKER_LAG unhashed chunks the
 * receiving side hashes down to half of it itself, voiding a claim the
 * worker holds; the object still completes and verifies. */
static void test_worker_lag(void)
{
	enum { N = STAGING_WORKER_LAG + 40 };
	struct staging st;
	init_worker_area(&st, 2, 1 << 20);
	static uint8_t obj[N * C];
	uint8_t sha[32];
	fill(obj, sizeof obj, 19);
	proto_sha256(obj, sizeof obj, sha);
	for (uint32_t i = 0; i < STAGING_WORKER_LAG; i++) {
		CHECK_EQ(put(&st, 1 + i, sha, obj, sizeof obj, i), TH_OK);
		CHECK_EQ(wakes, i + 1 < STAGING_WORKER_WAKE ? 0 : i + 2 - STAGING_WORKER_WAKE);
	}
	struct staging_obj *o = staging_find(&st, sha);
	CHECK_EQ(o->chunks_hashed, 0);                       /* at the limit: the worker's */
	CHECK_EQ(put(&st, 100, sha, obj, sizeof obj, STAGING_WORKER_LAG), TH_OK);
	CHECK_EQ(o->chunks_hashed, STAGING_WORKER_LAG + 1 - STAGING_WORKER_LAG / 2);
	struct staging_claim c;
	CHECK(staging_hash_claim(&st, 8, &c));
	CHECK_EQ(c.first, STAGING_WORKER_LAG + 1 - STAGING_WORKER_LAG / 2);
	uint32_t i = STAGING_WORKER_LAG + 1;
	for (; o->chunks_hashed == c.first && i < N - 1; i++)  /* until the next catch-up */
		CHECK_EQ(put(&st, 100 + i, sha, obj, sizeof obj, i), TH_OK);
	CHECK_EQ(o->chunks_hashed, i - STAGING_WORKER_LAG / 2);
	staging_claim_hash(&c);
	staging_hash_commit(&st, &c);                        /* voided: no rewind */
	CHECK_EQ(o->chunks_hashed, i - STAGING_WORKER_LAG / 2);
	for (; i < N; i++)
		CHECK_EQ(put(&st, 100 + i, sha, obj, sizeof obj, i), TH_OK);
	CHECK(o->complete);
	staging_fini(&st);
}

/* The worker's lag counts in-order chunks: chunks past a gap do not make
 * the receiving side take over (nothing it could hash); the gap filled,
 * it catches up. */
static void test_worker_lag_gap(void)
{
	enum { N = STAGING_WORKER_LAG + 40 };
	struct staging st;
	init_worker_area(&st, 2, 1 << 20);
	static uint8_t obj[N * C];
	uint8_t sha[32];
	fill(obj, sizeof obj, 23);
	proto_sha256(obj, sizeof obj, sha);
	for (uint32_t i = 1; i < N - 10; i++)
		CHECK_EQ(put(&st, i, sha, obj, sizeof obj, i), TH_OK);
	struct staging_obj *o = staging_find(&st, sha);
	CHECK_EQ(o->chunks_hashed, 0);
	CHECK_EQ(wakes, 0);
	struct staging_claim c;
	CHECK(!staging_hash_claim(&st, 8, &c));               /* chunk 0 missing */
	CHECK_EQ(put(&st, 200, sha, obj, sizeof obj, 0), TH_OK);
	CHECK_EQ(o->chunks_hashed, N - 10 - STAGING_WORKER_LAG / 2);
	for (uint32_t i = N - 10; i < N; i++)
		CHECK_EQ(put(&st, 300 + i, sha, obj, sizeof obj, i), TH_OK);
	CHECK(o->complete);
	staging_fini(&st);
}

/* ---- a real worker thread ------------------------------------------------ */

struct worker {
	struct staging *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending, stop;
	unsigned long chunks;   /* hashed by the worker (committed or not) */
};

static void thread_wake(void *ctx)
{
	struct worker *w = ctx;
	pthread_mutex_lock(&w->mu);
	w->pending = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->pending && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		bool stop = w->stop;
		w->pending = false;
		pthread_mutex_unlock(&w->mu);
		if (stop)
			return NULL;
		struct staging_claim c;
		while (staging_hash_claim(w->st, STAGING_WORKER_CHUNKS, &c)) {
			staging_claim_hash(&c);
			staging_hash_commit(w->st, &c);
			__atomic_add_fetch(&w->chunks, c.chunks, __ATOMIC_RELAXED);
		}
	}
}

enum { OBJS = 48, MAXCH = 40 };

/* Objects pushed two at a time, chunks interleaved, each object's chunks
 * in a shuffled order with a short in-order start; every 5th corrupt,
 * every 7th abandoned halfway (later evicted to make room).  Every good
 * object completes, every corrupt one gets EHASH, and the worker did
 * hash. */
static void test_worker_thread(void)
{
	struct staging st;
	CHECK_EQ(staging_init(&st, 6, 5ull * MAXCH * C, 1000000), TH_OK);
	struct worker w = { .st = &st };
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	staging_set_worker(&st, thread_wake, &w);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, worker_main, &w), 0);

	static uint8_t data[2][MAXCH * C];
	uint8_t sha[2][32];
	uint32_t order[2][MAXCH], n[2] = { 0, 0 }, at[2] = { 0, 0 };
	size_t total[2];
	int kind[2];   /* 0 good, 1 corrupt, 2 abandoned */
	unsigned seed = 12345, done_good = 0, done_bad = 0, want_good = 0, want_bad = 0;
	uint64_t now = 1;
	int next = 0, active = 0;
	bool live[2] = { false, false };
	while (next < OBJS || active) {
		for (int s = 0; s < 2; s++) {
			if (live[s] || next >= OBJS)
				continue;
			seed = seed * 1103515245 + 12345;
			n[s] = 8 + (seed >> 16) % (MAXCH - 8);
			total[s] = (size_t)n[s] * C - (seed >> 8) % 700;
			fill(data[s], total[s], (unsigned)next + 1);
			proto_sha256(data[s], total[s], sha[s]);
			kind[s] = next % 7 == 6 ? 2 : next % 5 == 4 ? 1 : 0;
			if (kind[s] == 1)
				data[s][(seed >> 4) % total[s]] ^= 0x10;
			for (uint32_t i = 0; i < n[s]; i++)
				order[s][i] = i;
			for (uint32_t i = n[s] - 1; i > n[s] / 2; i--) {  /* shuffle the back half */
				seed = seed * 1103515245 + 12345;
				uint32_t j = n[s] / 2 + (seed >> 16) % (i - n[s] / 2 + 1);
				uint32_t t = order[s][i];
				order[s][i] = order[s][j];
				order[s][j] = t;
			}
			at[s] = 0;
			live[s] = true;
			active++;
			next++;
			want_good += kind[s] == 0;
			want_bad += kind[s] == 1;
		}
		for (int s = 0; s < 2; s++) {
			if (!live[s])
				continue;
			bool last = at[s] == n[s] - 1;
			if (kind[s] == 2 && at[s] == n[s] / 2) {
				live[s] = false;   /* abandoned: stays incomplete until evicted */
				active--;
				continue;
			}
			int err = put(&st, now++, sha[s], data[s], total[s], order[s][at[s]++]);
			if (!last) {
				CHECK_EQ(err, TH_OK);
				continue;
			}
			if (kind[s] == 0) {
				CHECK_EQ(err, TH_OK);
				struct staging_obj *o = staging_find(&st, sha[s]);
				CHECK(o && o->complete);
				done_good += err == TH_OK;
				staging_release(&st, o);   /* as if swapped: room for the next */
			} else {
				CHECK_EQ(err, TH_EHASH);
				CHECK(staging_find(&st, sha[s]) == NULL);
				done_bad += err == TH_EHASH;
			}
			live[s] = false;
			active--;
		}
	}
	pthread_mutex_lock(&w.mu);
	w.stop = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(done_good, want_good);
	CHECK_EQ(done_bad, want_bad);
	CHECK(want_good > 20 && want_bad > 4);
	printf("  worker hashed %lu chunks\n", __atomic_load_n(&w.chunks, __ATOMIC_RELAXED));
	staging_fini(&st);   /* abandoned objects: ASan reports anything leaked */
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
}

int main(void)
{
	RUN(test_claim_commit);
	RUN(test_net_hashing_not_claimed);
	RUN(test_completion_voids_claim);
	RUN(test_ehash_while_claimed);
	RUN(test_evict_while_claimed);
	RUN(test_worker_lag);
	RUN(test_worker_lag_gap);
	for (int i = 0; i < 5; i++)
		RUN(test_worker_thread);
	return check_summary("staging_hasher");
}
