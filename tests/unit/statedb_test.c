/*
 * statedb_test.c - host unit tests of statedb (run under ASan/UBSan): every
 * error path of the public API, replace/delete/reference semantics, bounded
 * memory, inspection, and the randomized model test (statedb_model.c) over
 * fixed seeds.  White-box where it must be: the strong-count overflow and
 * the lock state are checked through statedb_impl.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "statedb.h"
#include "statedb_impl.h"
#include "statedb_model.h"

static uint8_t *arena_mem;

/* A fresh store with `entries` slots and at least `data` bytes. */
static void fresh(uint32_t entries, size_t data)
{
	size_t bytes = statedb_arena_size(entries, data);
	struct th_errbuf eb = {{0}};

	free(arena_mem);
	arena_mem = malloc(bytes);
	CHECK(arena_mem != NULL);
	CHECK_EQ(statedb_init(arena_mem, bytes, entries, &eb), TH_OK);
}

static int lock_free(void)
{
	return statedb_g.lock.held == 0;
}

static struct statedb_info info_of(struct statedb_ref ref)
{
	struct statedb_info in;

	memset(&in, 0xee, sizeof in);
	CHECK_EQ(statedb_inspect(ref, &in), TH_OK);
	return in;
}

/* Must run first: everything is refused before statedb_init. */
static void test_before_init(void)
{
	struct statedb_ref ref;
	struct statedb_info in;
	struct statedb_stats st;
	struct th_errbuf eb = {{0}};
	uint32_t cursor = 0;
	void *p;

	CHECK_EQ(statedb_create("a", 1, 1, 8, NULL, &ref, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "not initialized") != NULL);
	CHECK_EQ(statedb_open("a", 1, 1, 8, &ref, NULL), TH_EINVAL);
	CHECK_EQ(statedb_lookup("a", &ref, NULL), TH_EINVAL);
	CHECK_EQ(statedb_replace("a", 1, 1, 8, NULL, &ref, NULL), TH_EINVAL);
	CHECK_EQ(statedb_delete("a", NULL), TH_EINVAL);
	CHECK_EQ(statedb_close(STATEDB_REF_NONE), TH_EINVAL);
	CHECK_EQ(statedb_get(STATEDB_REF_NONE, 1, 1, &p, NULL), TH_EINVAL);
	CHECK_EQ(statedb_put(STATEDB_REF_NONE), TH_EINVAL);
	CHECK_EQ(statedb_shared_create("a", 1, 1, 8, &ref, NULL), TH_EINVAL);
	CHECK_EQ(statedb_shared_retain(STATEDB_REF_NONE), TH_EINVAL);
	CHECK_EQ(statedb_shared_release(STATEDB_REF_NONE), TH_EINVAL);
	CHECK_EQ(statedb_inspect(STATEDB_REF_NONE, &in), TH_EINVAL);
	CHECK_EQ(statedb_next(&cursor, &in), TH_EINVAL);
	CHECK_EQ(statedb_stats(&st), TH_EINVAL);
	CHECK(lock_free());
}

static void test_init_errors(void)
{
	static uint8_t small[64];
	uint8_t *big = malloc(1 << 16);
	struct th_errbuf eb = {{0}};

	CHECK_EQ(statedb_init(NULL, 4096, 4, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "NULL") != NULL);
	CHECK_EQ(statedb_init(big, 1 << 16, 0, &eb), TH_EINVAL);
	CHECK_EQ(statedb_init(big, 1 << 16, STATEDB_ENTRIES_MAX + 1, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "max_entries") != NULL);
	CHECK_EQ(statedb_init(small, sizeof small, 4, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "too small") != NULL);
	CHECK_EQ(statedb_init(big, statedb_arena_size(4, 1) - 1, 4, &eb), TH_EINVAL);
	CHECK_EQ(statedb_init((void *)(UINTPTR_MAX - 100), 4096, 4, &eb), TH_EINVAL);
	CHECK_EQ(statedb_init(big, SIZE_MAX, 4, &eb), TH_EINVAL);
	CHECK_EQ(statedb_arena_size(0, 100), 0);
	CHECK_EQ(statedb_arena_size(STATEDB_ENTRIES_MAX + 1, 100), 0);
	CHECK_EQ(statedb_arena_size(4, SIZE_MAX), 0);
	CHECK(statedb_arena_size(STATEDB_ENTRIES_MAX, 1 << 20) > (1 << 20));
	/* The smallest arena works and holds one granule. */
	CHECK_EQ(statedb_init(big, statedb_arena_size(4, 1), 4, &eb), TH_OK);
	CHECK(lock_free());
	free(big);
}

/* statedb_arena_size() is enough at every alignment; bytes stay inside. */
static void test_init_sizes(void)
{
	static const uint32_t entries[] = {1, 3, 64, 1000};
	static const size_t data[] = {1, 16, 100, 4096, 100000};

	for (size_t a = 0; a < 16; a++) {
		for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
			for (size_t j = 0; j < sizeof data / sizeof data[0]; j++) {
				size_t bytes = statedb_arena_size(entries[i], data[j]);
				uint8_t *mem = malloc(bytes + a);
				struct statedb_stats st;
				struct statedb_ref ref;
				void *p;
				size_t sz;

				CHECK_EQ(statedb_init(mem + a, bytes, entries[i], NULL), TH_OK);
				CHECK_EQ(statedb_stats(&st), TH_OK);
				CHECK(st.data_bytes >= data[j]);
				CHECK_EQ(st.entries_max, entries[i]);
				CHECK_EQ(st.largest_free, st.data_bytes);
				CHECK_EQ(statedb_create("all", 1, 1, st.data_bytes, NULL, &ref, NULL),
					 TH_OK);
				CHECK_EQ(statedb_get(ref, 1, 1, &p, &sz), TH_OK);
				CHECK_EQ(sz, st.data_bytes);
				CHECK((uint8_t *)p >= mem + a);
				CHECK((uint8_t *)p + sz <= mem + a + bytes);
				CHECK((uintptr_t)p % STATEDB_ALIGN == 0);
				memset(p, 0x5a, sz);
				CHECK_EQ(statedb_put(ref), TH_OK);
				free(mem);
			}
		}
	}
}

static void test_names(void)
{
	struct statedb_ref ref;
	struct th_errbuf eb = {{0}};
	char name[STATEDB_NAME_MAX + 2];

	fresh(8, 1024);
	CHECK_EQ(statedb_create("AZaz09_./-", 1, 1, 4, NULL, &ref, &eb), TH_OK);
	memset(name, 'n', STATEDB_NAME_MAX);
	name[STATEDB_NAME_MAX] = 0;
	CHECK_EQ(statedb_create(name, 1, 1, 4, NULL, &ref, &eb), TH_OK);
	CHECK_EQ(statedb_lookup(name, &ref, &eb), TH_OK);
	name[STATEDB_NAME_MAX] = 'n';
	name[STATEDB_NAME_MAX + 1] = 0;
	CHECK_EQ(statedb_create(name, 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "longer") != NULL);
	CHECK_EQ(statedb_lookup(name, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_create("", 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "empty") != NULL);
	CHECK_EQ(statedb_create(NULL, 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_create("a b", 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK(strstr(eb.msg, "0x20 at offset 1") != NULL);
	CHECK_EQ(statedb_create("caf\xc3\xa9", 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_create("a\nb", 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_create("a:b", 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_open("a*", 1, 1, 4, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_replace("a%", 1, 1, 4, NULL, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_delete("a\\", &eb), TH_EINVAL);
	CHECK_EQ(statedb_delete(NULL, &eb), TH_EINVAL);
	CHECK_EQ(statedb_lookup(NULL, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_shared_create("x y", 1, 1, 4, &ref, &eb), TH_EINVAL);
	CHECK_EQ(statedb_shared_create(NULL, 1, 1, 4, &ref, &eb), TH_EINVAL);
	/* Names are case-sensitive and exact (no prefix matches). */
	CHECK_EQ(statedb_lookup("azaz09_./-", &ref, NULL), TH_ENOENT);
	CHECK_EQ(statedb_lookup("AZaz09_./", &ref, NULL), TH_ENOENT);
	CHECK_EQ(statedb_lookup("AZaz09_./-", &ref, NULL), TH_OK);
	CHECK(lock_free());
}

static void test_create_get_put(void)
{
	struct statedb_ref ref, ref2;
	struct th_errbuf eb = {{0}};
	const char bytes[] = "hello, state";
	void *p = NULL;
	size_t sz = 0;

	fresh(8, 4096);
	CHECK_EQ(statedb_create("greeting", 7, 2, sizeof bytes, bytes, &ref, &eb), TH_OK);
	CHECK_EQ(statedb_lookup("greeting", &ref2, &eb), TH_OK);
	CHECK(ref.slot == ref2.slot && ref.gen == ref2.gen);
	CHECK_EQ(statedb_get(ref, 7, 2, &p, &sz), TH_OK);
	CHECK_EQ(sz, sizeof bytes);
	CHECK(memcmp(p, bytes, sizeof bytes) == 0);
	CHECK_EQ(info_of(ref).strong, 1);
	CHECK_EQ(statedb_get(ref, 7, 2, &p, NULL), TH_OK);   /* size is optional */
	CHECK_EQ(info_of(ref).strong, 2);
	CHECK_EQ(statedb_put(ref), TH_OK);
	CHECK_EQ(statedb_put(ref), TH_OK);
	CHECK_EQ(statedb_put(ref), TH_EINVAL);                /* double release */
	CHECK_EQ(info_of(ref).strong, 0);

	CHECK_EQ(statedb_create("greeting", 7, 2, 4, NULL, &ref2, &eb), TH_EEXIST);
	CHECK(strstr(eb.msg, "greeting") != NULL);
	CHECK_EQ(statedb_create("n", 1, 1, 4, NULL, NULL, &eb), TH_EINVAL);
	CHECK_EQ(statedb_create("n", 1, 1, 0, NULL, &ref2, &eb), TH_EINVAL);
	CHECK_EQ(statedb_create("n", 1, 1, (size_t)STATEDB_SIZE_MAX + 1, NULL, &ref2, &eb),
		 TH_ETOOBIG);
	CHECK_EQ(statedb_create("n", 1, 1, 8192, NULL, &ref2, &eb), TH_ETOOBIG);
	CHECK(strstr(eb.msg, "data area") != NULL);
	CHECK_EQ(statedb_lookup("n", &ref2, &eb), TH_ENOENT);
	CHECK_EQ(statedb_lookup("n", NULL, &eb), TH_EINVAL);
	CHECK(lock_free());
}

static void test_get_put_errors(void)
{
	struct statedb_ref ref, bad;
	void *p = NULL;

	fresh(4, 1024);
	CHECK_EQ(statedb_create("e", 3, 1, 32, NULL, &ref, NULL), TH_OK);
	CHECK_EQ(statedb_get(ref, 3, 1, NULL, NULL), TH_EINVAL);
	CHECK_EQ(statedb_get(ref, 4, 1, &p, NULL), TH_ETYPE);
	CHECK_EQ(statedb_get(ref, 3, 2, &p, NULL), TH_ETYPE);
	CHECK_EQ(statedb_get(STATEDB_REF_NONE, 3, 1, &p, NULL), TH_ESTALE);
	bad = ref;
	bad.gen++;
	CHECK_EQ(statedb_get(bad, 3, 1, &p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_put(bad), TH_ESTALE);
	bad = ref;
	bad.slot = 4;   /* out of range */
	CHECK_EQ(statedb_get(bad, 3, 1, &p, NULL), TH_ESTALE);
	bad.slot = 2;   /* in range, free */
	CHECK_EQ(statedb_get(bad, 3, 1, &p, NULL), TH_ESTALE);
	struct statedb_ref zero = {0, 0};
	CHECK_EQ(statedb_get(zero, 3, 1, &p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_put(ref), TH_EINVAL);
	CHECK_EQ(info_of(ref).strong, 0);

	/* The strong count refuses to wrap. */
	statedb_g.slots[ref.slot].strong = UINT32_MAX - 2;
	CHECK_EQ(statedb_get(ref, 3, 1, &p, NULL), TH_OK);
	CHECK_EQ(statedb_get(ref, 3, 1, &p, NULL), TH_EOVERFLOW);
	CHECK_EQ(info_of(ref).strong, UINT32_MAX - 1);
	statedb_g.slots[ref.slot].strong = 0;

	CHECK_EQ(statedb_delete("e", NULL), TH_OK);
	CHECK_EQ(statedb_get(ref, 3, 1, &p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_put(ref), TH_ESTALE);
	CHECK(lock_free());
}

/* The module pattern: open-or-create, upgrade, use, release. */
static void test_open(void)
{
	struct statedb_ref r1, r2, r3;
	struct th_errbuf eb = {{0}};
	uint64_t *counter;
	size_t sz;

	fresh(4, 1024);
	for (int call = 0; call < 5; call++) {
		CHECK_EQ(statedb_open("kv.table", 0x4b56, 1, 64, &r1, &eb), TH_OK);
		CHECK_EQ(statedb_get(r1, 0x4b56, 1, (void **)&counter, &sz), TH_OK);
		CHECK_EQ(sz, 64);
		CHECK_EQ(*counter, (uint64_t)call);   /* created zeroed, then kept */
		(*counter)++;
		CHECK_EQ(statedb_put(r1), TH_OK);
	}
	CHECK_EQ(info_of(r1).weak, 5);
	CHECK_EQ(statedb_open("kv.table", 0x4b56, 1, 64, &r2, &eb), TH_OK);
	CHECK(r1.slot == r2.slot && r1.gen == r2.gen);
	CHECK_EQ(statedb_open("kv.table", 0x4b57, 1, 64, &r3, &eb), TH_ETYPE);
	CHECK(strstr(eb.msg, "kv.table") != NULL);
	CHECK_EQ(statedb_open("kv.table", 0x4b56, 2, 64, &r3, &eb), TH_ETYPE);
	CHECK_EQ(statedb_open("kv.table", 0x4b56, 1, 65, &r3, &eb), TH_ETYPE);
	CHECK_EQ(statedb_open("kv.table", 0x4b56, 1, 64, NULL, &eb), TH_EINVAL);
	CHECK_EQ(statedb_open("kv.table", 0x4b56, 1, 0, &r3, &eb), TH_EINVAL);
	CHECK_EQ(statedb_open("big", 1, 1, 4096, &r3, &eb), TH_ETOOBIG);
	CHECK_EQ(info_of(r1).weak, 6);

	/* close gives handles back; one too many is an error. */
	for (int i = 0; i < 6; i++)
		CHECK_EQ(statedb_close(r1), TH_OK);
	CHECK_EQ(statedb_close(r1), TH_EINVAL);
	CHECK_EQ(info_of(r1).weak, 0);
	CHECK_EQ(statedb_close(STATEDB_REF_NONE), TH_ESTALE);
	CHECK(lock_free());
}

static void test_replace(void)
{
	struct statedb_ref r1, r2, r3;
	struct th_errbuf eb = {{0}};
	uint8_t *p;
	size_t sz;
	const uint8_t v1[4] = {1, 2, 3, 4};
	const uint8_t v3[2] = {9, 8};

	fresh(4, 256);
	CHECK_EQ(statedb_replace("cfg", 1, 1, 4, v1, &r1, &eb), TH_ENOENT);
	CHECK(strstr(eb.msg, "cfg") != NULL);
	CHECK_EQ(statedb_create("cfg", 1, 1, 4, v1, &r1, &eb), TH_OK);
	CHECK_EQ(statedb_replace("cfg", 1, 2, 8, NULL, NULL, &eb), TH_EINVAL);
	CHECK_EQ(statedb_replace("cfg", 1, 2, 0, NULL, &r2, &eb), TH_EINVAL);

	/* Refused while pinned; nothing changes. */
	CHECK_EQ(statedb_get(r1, 1, 1, (void **)&p, &sz), TH_OK);
	CHECK_EQ(statedb_replace("cfg", 1, 2, 8, NULL, &r2, &eb), TH_EBUSY);
	CHECK(strstr(eb.msg, "strong") != NULL);
	CHECK_EQ(statedb_put(r1), TH_OK);

	/* Grow with bytes NULL: old prefix kept, rest zeroed; old refs stale. */
	CHECK_EQ(statedb_replace("cfg", 1, 2, 8, NULL, &r2, &eb), TH_OK);
	CHECK(r2.slot == r1.slot && r2.gen != r1.gen);
	CHECK_EQ(statedb_get(r1, 1, 1, (void **)&p, &sz), TH_ESTALE);
	CHECK_EQ(statedb_get(r1, 1, 2, (void **)&p, &sz), TH_ESTALE);
	CHECK_EQ(statedb_close(r1), TH_ESTALE);
	CHECK_EQ(statedb_get(r2, 1, 1, (void **)&p, &sz), TH_ETYPE);
	CHECK_EQ(statedb_get(r2, 1, 2, (void **)&p, &sz), TH_OK);
	CHECK_EQ(sz, 8);
	CHECK(p[0] == 1 && p[3] == 4 && p[4] == 0 && p[7] == 0);
	CHECK_EQ(statedb_put(r2), TH_OK);
	CHECK_EQ(info_of(r2).weak, 1);
	CHECK_EQ(statedb_lookup("cfg", &r3, NULL), TH_OK);
	CHECK(r3.gen == r2.gen);

	/* Shrink with new bytes and a new type. */
	CHECK_EQ(statedb_replace("cfg", 5, 3, 2, v3, &r3, &eb), TH_OK);
	CHECK_EQ(statedb_get(r3, 5, 3, (void **)&p, &sz), TH_OK);
	CHECK(sz == 2 && p[0] == 9 && p[1] == 8);
	CHECK_EQ(statedb_put(r3), TH_OK);

	/* Too big, then no room for both versions: old one intact. */
	CHECK_EQ(statedb_replace("cfg", 5, 4, 4096, NULL, &r2, &eb), TH_ETOOBIG);
	struct statedb_stats st;
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(statedb_replace("cfg", 5, 4, st.data_bytes, NULL, &r2, &eb), TH_EFULL);
	CHECK(strstr(eb.msg, "cfg") != NULL);
	CHECK_EQ(statedb_get(r3, 5, 3, (void **)&p, &sz), TH_OK);
	CHECK(sz == 2 && p[0] == 9 && p[1] == 8);
	CHECK_EQ(statedb_put(r3), TH_OK);

	/* Replacing from the entry's own (unpinned) bytes is fine. */
	CHECK_EQ(statedb_get(r3, 5, 3, (void **)&p, &sz), TH_OK);
	CHECK_EQ(statedb_put(r3), TH_OK);
	CHECK_EQ(statedb_replace("cfg", 5, 5, 2, p, &r2, &eb), TH_OK);
	CHECK_EQ(statedb_get(r2, 5, 5, (void **)&p, &sz), TH_OK);
	CHECK(sz == 2 && p[0] == 9 && p[1] == 8);
	CHECK_EQ(statedb_put(r2), TH_OK);
	CHECK(lock_free());
}

static void test_delete(void)
{
	struct statedb_ref r1, r2;
	struct th_errbuf eb = {{0}};
	void *p;

	fresh(2, 256);
	CHECK_EQ(statedb_delete("x", &eb), TH_ENOENT);
	CHECK(strstr(eb.msg, "\"x\"") != NULL);
	CHECK_EQ(statedb_create("x", 1, 1, 16, NULL, &r1, &eb), TH_OK);
	CHECK_EQ(statedb_get(r1, 1, 1, &p, NULL), TH_OK);
	CHECK_EQ(statedb_delete("x", &eb), TH_EBUSY);
	CHECK(strstr(eb.msg, "1 strong") != NULL);
	CHECK_EQ(statedb_put(r1), TH_OK);
	CHECK_EQ(statedb_delete("x", &eb), TH_OK);
	CHECK_EQ(statedb_delete("x", &eb), TH_ENOENT);
	CHECK_EQ(statedb_lookup("x", &r2, &eb), TH_ENOENT);
	CHECK_EQ(statedb_inspect(r1, &(struct statedb_info){0}), TH_ESTALE);
	/* The name and the slot are reused, with a new generation. */
	CHECK_EQ(statedb_create("x", 1, 1, 16, NULL, &r2, &eb), TH_OK);
	CHECK(r2.slot == r1.slot && r2.gen != r1.gen);
	CHECK_EQ(statedb_get(r1, 1, 1, &p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_get(r2, 1, 1, &p, NULL), TH_OK);
	CHECK_EQ(statedb_put(r2), TH_OK);
	CHECK(lock_free());
}

static void test_full(void)
{
	struct statedb_ref r[4];
	struct statedb_stats st;
	struct th_errbuf eb = {{0}};
	char name[16];

	fresh(4, 256);
	CHECK_EQ(statedb_stats(&st), TH_OK);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "s%d", i);
		CHECK_EQ(statedb_create(name, 1, 1, 16, NULL, &r[i], &eb), TH_OK);
	}
	CHECK_EQ(statedb_create("s4", 1, 1, 16, NULL, &r[0], &eb), TH_EFULL);
	CHECK(strstr(eb.msg, "all 4 entries") != NULL);
	CHECK_EQ(statedb_open("s4", 1, 1, 16, &r[0], &eb), TH_EFULL);
	CHECK_EQ(statedb_shared_create("s4", 1, 1, 16, &r[0], &eb), TH_EFULL);
	CHECK_EQ(statedb_delete("s3", &eb), TH_OK);
	/* Out of bytes: 64 in use, ask for the whole area. */
	CHECK_EQ(statedb_create("s4", 1, 1, st.data_bytes, NULL, &r[3], &eb), TH_EFULL);
	CHECK(strstr(eb.msg, "no free run") != NULL);
	CHECK_EQ(statedb_create("s4", 1, 1, st.data_bytes - 48, NULL, &r[3], &eb), TH_OK);
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 4);
	CHECK_EQ(st.data_used, st.data_bytes);
	CHECK_EQ(st.largest_free, 0);
	CHECK(lock_free());
}

/* Enough bytes in total but no run long enough: TH_EFULL, reported. */
static void test_fragmentation(void)
{
	struct statedb_ref r;
	struct statedb_stats st;
	char name[16];

	int g = 0;

	fresh(32, 256);   /* 16 to 18 granules */
	CHECK_EQ(statedb_stats(&st), TH_OK);
	for (;;) {
		snprintf(name, sizeof name, "f%d", g);
		if (statedb_create(name, 1, 1, 16, NULL, &r, NULL) != TH_OK)
			break;
		g++;
	}
	CHECK_EQ((uint64_t)g * 16, st.data_bytes);
	for (int i = 0; i < g; i += 2) {
		snprintf(name, sizeof name, "f%d", i);
		CHECK_EQ(statedb_delete(name, NULL), TH_OK);
	}
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.data_used, (uint64_t)(g / 2) * 16);
	CHECK_EQ(st.largest_free, 16);
	CHECK_EQ(statedb_create("wide", 1, 1, 32, NULL, &r, NULL), TH_EFULL);
	CHECK_EQ(statedb_delete("f1", NULL), TH_OK);
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.largest_free, 48);
	CHECK_EQ(statedb_create("wide", 1, 1, 48, NULL, &r, NULL), TH_OK);
	CHECK(lock_free());
}

static void test_shared(void)
{
	struct statedb_ref s1, s2, n, tmp;
	struct th_errbuf eb = {{0}};
	uint32_t *p;
	size_t sz;

	fresh(4, 512);
	CHECK_EQ(statedb_shared_create("conn", 9, 1, 12, &s1, &eb), TH_OK);
	CHECK_EQ(statedb_shared_create("conn", 9, 1, 12, &s2, &eb), TH_OK);  /* labels repeat */
	CHECK_EQ(statedb_lookup("conn", &tmp, NULL), TH_ENOENT);  /* not in the namespace */
	CHECK_EQ(statedb_shared_create("conn", 9, 1, 12, NULL, &eb), TH_EINVAL);
	CHECK_EQ(statedb_shared_create("conn", 9, 1, 0, &tmp, &eb), TH_EINVAL);
	CHECK_EQ(statedb_shared_create("conn", 9, 1, (size_t)STATEDB_SIZE_MAX + 1, &tmp, &eb),
		 TH_ETOOBIG);
	CHECK_EQ(statedb_shared_create("conn", 9, 1, 4096, &tmp, &eb), TH_ETOOBIG);

	struct statedb_info in = info_of(s1);
	CHECK_EQ(in.kind, STATEDB_KIND_SHARED);
	CHECK_EQ(in.strong, 1);
	CHECK_EQ(in.weak, 0);
	CHECK_STR(in.name, "conn");

	/* Two clients; bytes shared, zeroed at first. */
	CHECK_EQ(statedb_shared_retain(s1), TH_OK);
	CHECK_EQ(statedb_get(s1, 9, 1, (void **)&p, &sz), TH_OK);
	CHECK(sz == 12 && p[0] == 0 && p[2] == 0);
	p[1] = 42;
	CHECK_EQ(statedb_put(s1), TH_OK);
	CHECK_EQ(statedb_get(s1, 9, 2, (void **)&p, &sz), TH_ETYPE);
	CHECK_EQ(info_of(s1).strong, 2);
	CHECK_EQ(statedb_shared_release(s1), TH_OK);
	CHECK_EQ(statedb_get(s1, 9, 1, (void **)&p, &sz), TH_OK);
	CHECK_EQ(p[1], 42);
	CHECK_EQ(statedb_put(s1), TH_OK);
	CHECK_EQ(statedb_shared_release(s1), TH_OK);   /* last owner: freed */
	CHECK_EQ(statedb_shared_release(s1), TH_ESTALE);
	CHECK_EQ(statedb_shared_retain(s1), TH_ESTALE);
	CHECK_EQ(statedb_get(s1, 9, 1, (void **)&p, &sz), TH_ESTALE);

	/* A shared blob is not a named entry, and the other way round. */
	CHECK_EQ(statedb_close(s2), TH_EINVAL);
	CHECK_EQ(statedb_create("named", 1, 1, 8, NULL, &n, &eb), TH_OK);
	CHECK_EQ(statedb_shared_retain(n), TH_EINVAL);
	CHECK_EQ(statedb_shared_release(n), TH_EINVAL);
	CHECK_EQ(statedb_get(n, 1, 1, (void **)&p, NULL), TH_OK);
	CHECK_EQ(statedb_shared_release(n), TH_EINVAL);   /* a pin is not ownership */
	CHECK_EQ(statedb_put(n), TH_OK);

	/* put on a shared blob drops an owner too; the last one frees it. */
	CHECK_EQ(statedb_put(s2), TH_OK);
	CHECK_EQ(statedb_put(s2), TH_ESTALE);

	/* Overflow of owners. */
	CHECK_EQ(statedb_shared_create("o", 1, 1, 4, &s1, &eb), TH_OK);
	statedb_g.slots[s1.slot].strong = UINT32_MAX - 1;
	CHECK_EQ(statedb_shared_retain(s1), TH_EOVERFLOW);
	statedb_g.slots[s1.slot].strong = 1;
	CHECK_EQ(statedb_shared_release(s1), TH_OK);

	struct statedb_stats st;
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 1);
	CHECK_EQ(st.data_used, 16);
	CHECK(lock_free());
}

/* A shared blob with N owners (retains and gets mixed) stays alive, bytes
 * intact, through N-1 releases and is freed exactly at the last one: the
 * slot and its bytes return, the reference goes stale.  A named entry's
 * strong count reaching zero frees nothing, but allows delete. */
static void test_strong_count_to_zero(void)
{
	struct statedb_ref s, n;
	struct statedb_stats st;
	struct th_errbuf eb = {{0}};
	uint32_t *p = NULL;
	int owners;

	fresh(4, 512);
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 0);
	CHECK_EQ(statedb_shared_create("blob", 5, 1, 40, &s, &eb), TH_OK);
	CHECK_EQ(statedb_shared_retain(s), TH_OK);
	CHECK_EQ(statedb_get(s, 5, 1, (void **)&p, NULL), TH_OK); /* a third strong ref */
	p[9] = 0xfeed;
	for (owners = 3; owners > 1; owners--) {
		CHECK_EQ(info_of(s).strong, (uint32_t)owners);
		CHECK_EQ(owners == 3 ? statedb_put(s) : statedb_shared_release(s), TH_OK);
		CHECK_EQ(statedb_stats(&st), TH_OK);
		CHECK_EQ(st.entries_used, 1);           /* not freed before the last */
		CHECK_EQ(st.data_used, 48);
		CHECK_EQ(statedb_get(s, 5, 1, (void **)&p, NULL), TH_OK);
		CHECK_EQ(p[9], 0xfeed);
		CHECK_EQ(statedb_put(s), TH_OK);
	}
	CHECK_EQ(info_of(s).strong, 1);
	CHECK_EQ(statedb_shared_release(s), TH_OK); /* the last owner: freed now */
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 0);
	CHECK_EQ(st.data_used, 0);
	CHECK_EQ(statedb_get(s, 5, 1, (void **)&p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_shared_release(s), TH_ESTALE);

	/* named: strong 2 -> 0 keeps the entry; delete is refused until then */
	CHECK_EQ(statedb_create("named", 1, 1, 8, NULL, &n, &eb), TH_OK);
	CHECK_EQ(statedb_get(n, 1, 1, (void **)&p, NULL), TH_OK);
	CHECK_EQ(statedb_get(n, 1, 1, (void **)&p, NULL), TH_OK);
	CHECK_EQ(statedb_put(n), TH_OK);
	CHECK_EQ(statedb_delete("named", &eb), TH_EBUSY);
	CHECK(strstr(eb.msg, "1 strong") != NULL);
	CHECK_EQ(statedb_put(n), TH_OK);
	CHECK_EQ(info_of(n).strong, 0);
	CHECK_EQ(statedb_put(n), TH_EINVAL);        /* never below zero */
	CHECK_EQ(info_of(n).strong, 0);
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 1);
	CHECK_EQ(statedb_delete("named", &eb), TH_OK);
	CHECK_EQ(statedb_get(n, 1, 1, (void **)&p, NULL), TH_ESTALE);
	/* the slot is reused: the old reference stays stale (generation) */
	CHECK_EQ(statedb_create("named", 1, 1, 8, NULL, &s, &eb), TH_OK);
	CHECK_EQ(s.slot, n.slot);
	CHECK(s.gen != n.gen);
	CHECK_EQ(statedb_get(n, 1, 1, (void **)&p, NULL), TH_ESTALE);
	CHECK(lock_free());
}

static void test_iterate(void)
{
	struct statedb_ref a, b, c;
	struct statedb_info in;
	uint32_t cursor = 0;
	int seen = 0, found_a = 0, found_c = 0;
	void *p;

	fresh(8, 1024);
	CHECK_EQ(statedb_create("a", 11, 3, 100, NULL, &a, NULL), TH_OK);
	CHECK_EQ(statedb_create("b", 12, 1, 10, NULL, &b, NULL), TH_OK);
	CHECK_EQ(statedb_shared_create("c", 13, 1, 20, &c, NULL), TH_OK);
	CHECK_EQ(statedb_delete("b", NULL), TH_OK);
	CHECK_EQ(statedb_get(a, 11, 3, &p, NULL), TH_OK);
	CHECK_EQ(statedb_next(NULL, &in), TH_EINVAL);
	CHECK_EQ(statedb_next(&cursor, NULL), TH_EINVAL);
	while (statedb_next(&cursor, &in) == TH_OK) {
		seen++;
		if (strcmp(in.name, "a") == 0) {
			found_a = in.kind == STATEDB_KIND_NAMED && in.type == 11 &&
				  in.version == 3 && in.size == 100 && in.strong == 1 &&
				  in.weak == 1 && in.ref.slot == a.slot && in.ref.gen == a.gen;
		} else if (strcmp(in.name, "c") == 0) {
			found_c = in.kind == STATEDB_KIND_SHARED && in.type == 13 &&
				  in.size == 20 && in.strong == 1 && in.weak == 0;
		}
	}
	CHECK_EQ(seen, 2);
	CHECK(found_a && found_c);
	CHECK_EQ(statedb_next(&cursor, &in), TH_ENOENT);
	cursor = UINT32_MAX;
	CHECK_EQ(statedb_next(&cursor, &in), TH_ENOENT);
	CHECK_EQ(statedb_inspect(a, NULL), TH_EINVAL);
	CHECK_EQ(statedb_inspect(b, &in), TH_ESTALE);
	CHECK_EQ(statedb_stats(NULL), TH_EINVAL);
	CHECK_EQ(statedb_put(a), TH_OK);
	CHECK(lock_free());
}

/* Refs do not survive statedb_init. */
static void test_reinit(void)
{
	struct statedb_ref a, b;
	void *p;

	fresh(4, 256);
	CHECK_EQ(statedb_create("a", 1, 1, 8, NULL, &a, NULL), TH_OK);
	fresh(4, 256);
	CHECK_EQ(statedb_get(a, 1, 1, &p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_create("a", 1, 1, 8, NULL, &b, NULL), TH_OK);
	CHECK(a.gen != b.gen);
	CHECK_EQ(statedb_get(a, 1, 1, &p, NULL), TH_ESTALE);
}

/* Many names in a large table: all found, hash chains unlinked right. */
static void test_many_names(void)
{
	struct statedb_ref r;
	struct statedb_stats st;
	char name[32];

	fresh(2000, 2000 * 16);
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "mod/entry.%d", i);
		CHECK_EQ(statedb_create(name, 1, 1, 16, NULL, &r, NULL), TH_OK);
	}
	for (int i = 0; i < 2000; i += 3) {
		snprintf(name, sizeof name, "mod/entry.%d", i);
		CHECK_EQ(statedb_delete(name, NULL), TH_OK);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "mod/entry.%d", i);
		CHECK_EQ(statedb_lookup(name, &r, NULL), i % 3 ? TH_OK : TH_ENOENT);
	}
	CHECK_EQ(statedb_stats(&st), TH_OK);
	CHECK_EQ(st.entries_used, 2000 - 667);
}

/* ---- transactions (statedb_txn_*) ------------------------------------ */

static uint64_t data_used(void)
{
	struct statedb_stats st;
	CHECK_EQ(statedb_stats(&st), TH_OK);
	return st.data_used;
}

static uint32_t entries_used(void)
{
	struct statedb_stats st;
	CHECK_EQ(statedb_stats(&st), TH_OK);
	return st.entries_used;
}

/* The migration of the README (v1 -> v2 with statedb_replace) inside a
 * transaction that aborts: the v1 entry is back exactly, its old refs work,
 * the refs from inside stay stale, the new bytes are freed. */
static void test_txn_abort_restores_replace(void)
{
	struct statedb_ref r1, r2, r;
	struct statedb_info before, after;
	struct statedb_txn t;
	uint8_t v1[24], *p;
	uint32_t abandoned = 99;
	uint64_t used;

	fresh(8, 1024);
	for (size_t i = 0; i < sizeof v1; i++)
		v1[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(statedb_create("xf.state", 0x78, 1, sizeof v1, v1, &r1, NULL), TH_OK);
	CHECK_EQ(statedb_open("xf.state", 0x78, 1, sizeof v1, &r, NULL), TH_OK); /* weak 2 */
	before = info_of(r1);
	used = data_used();
	CHECK_EQ(statedb_txn_begin(&t), TH_OK);
	CHECK_EQ(statedb_replace("xf.state", 0x78, 2, 40, NULL, &r2, NULL), TH_OK);
	CHECK_EQ(data_used(), used + 48); /* both versions while it is open */
	CHECK_EQ(statedb_get(r1, 0x78, 1, (void **)&p, NULL), TH_ESTALE);
	CHECK_EQ(statedb_txn_abort(&t, &abandoned), TH_OK);
	CHECK_EQ(abandoned, 0);
	CHECK_EQ(data_used(), used);
	after = info_of(r1);
	CHECK(memcmp(&before, &after, sizeof before) == 0);
	CHECK_EQ(after.version, 1);
	CHECK_EQ(after.size, sizeof v1);
	CHECK_EQ(after.weak, 2);
	CHECK_EQ(statedb_get(r1, 0x78, 1, (void **)&p, NULL), TH_OK);
	CHECK(memcmp(p, v1, sizeof v1) == 0);
	CHECK_EQ(statedb_put(r1), TH_OK);
	CHECK_EQ(statedb_lookup("xf.state", &r, NULL), TH_OK);
	CHECK(r.slot == r1.slot && r.gen == r1.gen);
	/* The ref from inside never comes back, not even after more replaces. */
	CHECK_EQ(statedb_inspect(r2, &after), TH_ESTALE);
	CHECK_EQ(statedb_replace("xf.state", 0x78, 2, 40, NULL, &r, NULL), TH_OK);
	CHECK(r.gen != r2.gen);
	CHECK_EQ(statedb_inspect(r2, &after), TH_ESTALE);
	CHECK(lock_free());
}

/* A committed transaction frees what the old versions used. */
static void test_txn_commit_frees_old(void)
{
	struct statedb_ref r1, r2, rd;
	struct statedb_txn t;
	uint64_t used;

	fresh(8, 1024);
	CHECK_EQ(statedb_create("a", 1, 1, 32, NULL, &r1, NULL), TH_OK);
	CHECK_EQ(statedb_create("gone", 1, 1, 64, NULL, &rd, NULL), TH_OK);
	used = data_used();
	CHECK_EQ(statedb_txn_begin(&t), TH_OK);
	CHECK_EQ(statedb_replace("a", 1, 2, 48, NULL, &r2, NULL), TH_OK);
	CHECK_EQ(statedb_delete("gone", NULL), TH_OK);
	CHECK_EQ(statedb_lookup("gone", &rd, NULL), TH_ENOENT);
	CHECK_EQ(entries_used(), 2);           /* the deleted slot is held */
	CHECK_EQ(data_used(), used + 48);      /* nothing freed yet */
	CHECK_EQ(statedb_txn_commit(&t), TH_OK);
	CHECK_EQ(data_used(), 48);             /* old a and gone freed */
	CHECK_EQ(entries_used(), 1);
	CHECK_EQ(info_of(r2).version, 2);
	CHECK_EQ(statedb_txn_commit(&t), TH_EINVAL); /* ended already */
	CHECK(lock_free());
}

/* Creates, opens, deletes and closes are undone; nested savepoints. */
static void test_txn_create_delete_nested(void)
{
	struct statedb_ref ra, rb, rn, r;
	struct statedb_txn outer, inner;
	struct statedb_info a0;
	uint32_t ab = 9;
	uint64_t used;

	fresh(8, 1024);
	CHECK_EQ(statedb_create("a", 1, 1, 16, NULL, &ra, NULL), TH_OK);
	CHECK_EQ(statedb_create("c", 1, 1, 16, NULL, &r, NULL), TH_OK);
	a0 = info_of(ra);
	used = data_used();
	CHECK_EQ(statedb_txn_begin(&outer), TH_OK);
	CHECK_EQ(statedb_open("c", 1, 1, 16, &r, NULL), TH_OK);  /* weak 2 */
	CHECK_EQ(statedb_close(r), TH_OK);
	CHECK_EQ(statedb_close(r), TH_OK);                       /* weak 0 */
	CHECK_EQ(statedb_delete("a", NULL), TH_OK);
	CHECK_EQ(statedb_open("a", 1, 2, 16, &rn, NULL), TH_OK);  /* a new "a" */
	CHECK_EQ(statedb_create("b", 1, 1, 16, NULL, &rb, NULL), TH_OK);
	CHECK_EQ(statedb_txn_begin(&inner), TH_OK);
	CHECK_EQ(statedb_txn_commit(&outer), TH_EINVAL);         /* not innermost */
	CHECK_EQ(statedb_delete("b", NULL), TH_OK);
	CHECK_EQ(statedb_txn_abort(&inner, &ab), TH_OK);         /* b is back */
	CHECK_EQ(ab, 0);
	CHECK_EQ(statedb_lookup("b", &r, NULL), TH_OK);
	CHECK(r.slot == rb.slot && r.gen == rb.gen);
	/* Handles: the inner level's open is undone by the inner abort even
	 * though the outer level recorded handles of the same entry. */
	CHECK_EQ(statedb_open("c", 1, 1, 16, &r, NULL), TH_OK);  /* weak 1 */
	CHECK_EQ(statedb_txn_begin(&inner), TH_OK);
	CHECK_EQ(statedb_open("c", 1, 1, 16, &r, NULL), TH_OK);  /* weak 2 */
	CHECK_EQ(statedb_txn_abort(&inner, NULL), TH_OK);
	CHECK_EQ(info_of(r).weak, 1);
	CHECK_EQ(statedb_txn_abort(&outer, NULL), TH_OK);
	CHECK_EQ(statedb_lookup("b", &r, NULL), TH_ENOENT);
	CHECK_EQ(statedb_inspect(rn, &a0), TH_ESTALE);
	a0 = info_of(ra);
	CHECK_EQ(a0.version, 1);
	CHECK_EQ(statedb_lookup("c", &r, NULL), TH_OK);
	CHECK_EQ(info_of(r).weak, 1);
	CHECK_EQ(entries_used(), 2);
	CHECK_EQ(data_used(), used);
	CHECK(lock_free());
}

/* Shared blobs: a release that freed one, retains, and a blob made inside. */
static void test_txn_shared(void)
{
	struct statedb_ref s1, s2;
	struct statedb_txn t;
	struct statedb_info in;
	void *p;
	uint64_t used;

	fresh(8, 1024);
	CHECK_EQ(statedb_shared_create("buf", 3, 1, 32, &s1, NULL), TH_OK);
	used = data_used();
	CHECK_EQ(statedb_txn_begin(&t), TH_OK);
	CHECK_EQ(statedb_shared_retain(s1), TH_OK);
	CHECK_EQ(statedb_get(s1, 3, 1, &p, NULL), TH_OK);         /* a pin */
	CHECK_EQ(statedb_shared_release(s1), TH_OK);
	CHECK_EQ(statedb_shared_release(s1), TH_OK);
	CHECK_EQ(statedb_put(s1), TH_OK);                         /* freed: held */
	CHECK_EQ(statedb_inspect(s1, &in), TH_ESTALE);
	CHECK_EQ(statedb_shared_create("tmp", 3, 1, 16, &s2, NULL), TH_OK);
	CHECK_EQ(statedb_txn_abort(&t, NULL), TH_OK);
	in = info_of(s1);                                         /* the owner is back */
	CHECK_EQ(in.strong, 1);
	CHECK_EQ(in.kind, STATEDB_KIND_SHARED);
	CHECK_EQ(statedb_inspect(s2, &in), TH_ESTALE);
	CHECK_EQ(data_used(), used);
	CHECK_EQ(entries_used(), 1);
	/* Committed: the release frees it for good. */
	CHECK_EQ(statedb_txn_begin(&t), TH_OK);
	CHECK_EQ(statedb_shared_release(s1), TH_OK);
	CHECK_EQ(entries_used(), 1);
	CHECK_EQ(statedb_txn_commit(&t), TH_OK);
	CHECK_EQ(entries_used(), 0);
	CHECK_EQ(data_used(), 0);
	CHECK(lock_free());
}

/* An entry made inside and still pinned at the abort: gone from the
 * namespace, its bytes never freed under the pointer (abandoned). */
static void test_txn_abort_pinned(void)
{
	struct statedb_ref r;
	struct statedb_txn t;
	uint32_t ab = 0;
	uint8_t *p;

	fresh(8, 1024);
	CHECK_EQ(statedb_txn_begin(&t), TH_OK);
	CHECK_EQ(statedb_create("p", 1, 1, 32, NULL, &r, NULL), TH_OK);
	CHECK_EQ(statedb_get(r, 1, 1, (void **)&p, NULL), TH_OK);
	CHECK_EQ(statedb_txn_abort(&t, &ab), TH_OK);
	CHECK_EQ(ab, 1);
	CHECK_EQ(statedb_lookup("p", &r, NULL), TH_ENOENT);
	memset(p, 0x5a, 32);                       /* still allocated */
	CHECK_EQ(data_used(), 32);
	CHECK_EQ(statedb_put(r), TH_ESTALE);
	CHECK_EQ(statedb_create("q", 1, 1, 32, NULL, &r, NULL), TH_OK);
	CHECK_EQ(statedb_get(r, 1, 1, (void **)&p, NULL), TH_OK);
	CHECK(p[0] == 0);                          /* q did not get p's bytes */
	CHECK_EQ(statedb_put(r), TH_OK);
	CHECK(lock_free());
}

/* The journal is bounded: a change it cannot record fails with TH_EFULL
 * and changes nothing; repeated opens of one entry share a record. */
static void test_txn_journal_full(void)
{
	struct statedb_ref r, old;
	struct statedb_txn t;
	struct th_errbuf eb = {{0}};
	char name[16];
	int i;

	fresh(STATEDB_TXN_RECORDS + 8, 64 * 1024);
	CHECK_EQ(statedb_create("old", 1, 1, 16, NULL, &old, NULL), TH_OK);
	CHECK_EQ(statedb_txn_begin(&t), TH_OK);
	for (i = 0; i < STATEDB_TXN_RECORDS; i++) {
		snprintf(name, sizeof name, "n%d", i);
		CHECK_EQ(statedb_create(name, 1, 1, 16, NULL, &r, NULL), TH_OK);
		CHECK_EQ(statedb_open(name, 1, 1, 16, &r, NULL), TH_OK); /* no record */
	}
	CHECK_EQ(statedb_create("one.more", 1, 1, 16, NULL, &r, &eb), TH_EFULL);
	CHECK(strstr(eb.msg, "journal is full") != NULL);
	CHECK_EQ(statedb_lookup("one.more", &r, NULL), TH_ENOENT);
	CHECK_EQ(statedb_replace("old", 1, 2, 16, NULL, &r, &eb), TH_EFULL);
	CHECK_EQ(statedb_delete("old", &eb), TH_EFULL);
	CHECK_EQ(statedb_open("old", 1, 1, 16, &r, &eb), TH_EFULL);
	CHECK_EQ(statedb_close(old), TH_EFULL);
	CHECK_EQ(info_of(old).version, 1);
	CHECK_EQ(info_of(old).weak, 1);
	CHECK_EQ(entries_used(), STATEDB_TXN_RECORDS + 1);
	CHECK_EQ(statedb_txn_abort(&t, NULL), TH_OK);
	CHECK_EQ(entries_used(), 1);
	CHECK_EQ(data_used(), 16);
	/* Nesting is bounded too. */
	struct statedb_txn n[STATEDB_TXN_DEPTH + 1];
	for (i = 0; i < STATEDB_TXN_DEPTH; i++)
		CHECK_EQ(statedb_txn_begin(&n[i]), TH_OK);
	CHECK_EQ(statedb_txn_begin(&n[i]), TH_EBUSY);
	while (i-- > 0)
		CHECK_EQ(statedb_txn_commit(&n[i]), TH_OK);
	CHECK_EQ(statedb_txn_begin(NULL), TH_EINVAL);
	CHECK(lock_free());
}

static void test_model_random(void)
{
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct sdbm_src src;

		sdbm_src_random(&src, seed);
		int failures = statedb_model_run(&src, 5000, 0);
		if (failures)
			fprintf(stderr, "  seed %llu: %d mismatches\n",
				(unsigned long long)seed, failures);
		CHECK_EQ(failures, 0);
	}
	CHECK(lock_free());
}

int main(void)
{
	RUN(test_before_init);
	RUN(test_init_errors);
	RUN(test_init_sizes);
	RUN(test_names);
	RUN(test_create_get_put);
	RUN(test_get_put_errors);
	RUN(test_open);
	RUN(test_replace);
	RUN(test_delete);
	RUN(test_full);
	RUN(test_fragmentation);
	RUN(test_shared);
	RUN(test_strong_count_to_zero);
	RUN(test_iterate);
	RUN(test_reinit);
	RUN(test_many_names);
	RUN(test_txn_abort_restores_replace);
	RUN(test_txn_commit_frees_old);
	RUN(test_txn_create_delete_nested);
	RUN(test_txn_shared);
	RUN(test_txn_abort_pinned);
	RUN(test_txn_journal_full);
	RUN(test_model_random);
	free(arena_mem);
	return check_summary("statedb");
}
