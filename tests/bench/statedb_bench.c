/*
 * statedb_bench.c - micro-benchmark of statedb on the host (-O2, no
 * sanitizers): name look-up, weak-reference upgrade (get + put), open of an
 * existing entry, and create + delete, in a store holding 1024 entries.
 * Prints "BENCH statedb <op> <ops_per_sec> ops/s" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "statedb.h"

#define ENTRIES 1024
#define ROUNDS 2000000u

static char names[ENTRIES][32];
static struct statedb_ref refs[ENTRIES];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const char *op, unsigned n, double t0)
{
	double dt = now() - t0;
	printf("BENCH statedb %s %.0f ops/s\n", op, dt > 0 ? n / dt : 0.0);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "statedb_bench: %s: %s\n", what, th_strerror(err));
	return 1;
}

int main(void)
{
	size_t bytes = statedb_arena_size(ENTRIES * 2, ENTRIES * 2 * 64);
	void *arena = malloc(bytes);
	struct th_errbuf eb = {{0}};
	struct statedb_ref r;
	unsigned i, sink = 0;
	void *p;
	double t0;
	int err;

	if (!arena)
		return 1;
	err = statedb_init(arena, bytes, ENTRIES * 2, &eb);
	if (err)
		return fail(eb.msg, err);
	for (i = 0; i < ENTRIES; i++) {
		snprintf(names[i], sizeof names[i], "bench/entry.%u", i);
		err = statedb_create(names[i], 1, 1, 64, NULL, &refs[i], &eb);
		if (err)
			return fail(eb.msg, err);
	}

	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		err = statedb_lookup(names[i % ENTRIES], &r, NULL);
		if (err)
			return fail("lookup", err);
		sink += r.slot;
	}
	report("lookup", ROUNDS, t0);

	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		err = statedb_get(refs[i % ENTRIES], 1, 1, &p, NULL);
		if (!err)
			err = statedb_put(refs[i % ENTRIES]);
		if (err)
			return fail("upgrade", err);
		sink += (unsigned)(uintptr_t)p;
	}
	report("upgrade", ROUNDS, t0);

	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		err = statedb_open(names[i % ENTRIES], 1, 1, 64, &r, NULL);
		if (!err)
			err = statedb_close(r);
		if (err)
			return fail("open", err);
	}
	report("open", ROUNDS, t0);

	t0 = now();
	for (i = 0; i < ROUNDS / 4; i++) {
		err = statedb_create("bench/tmp", 2, 1, 64 + (i % 8) * 16, NULL, &r, NULL);
		if (!err)
			err = statedb_delete("bench/tmp", NULL);
		if (err)
			return fail("create_delete", err);
	}
	report("create_delete", ROUNDS / 4, t0);

	free(arena);
	return sink == 0xffffffffu ? 2 : 0;
}
