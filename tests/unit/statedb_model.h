/*
 * statedb_model.h - a randomized model test of statedb: operations drawn
 * from a byte source (a seeded PRNG, or libFuzzer's bytes) run against the
 * real statedb and against a naive reference model; every result, every
 * entry's bytes and the inspection views must agree.
 * Used by tests/unit/statedb_test.c and tests/fuzz/statedb_ops.c.
 */
#ifndef THESEUS_STATEDB_MODEL_H
#define THESEUS_STATEDB_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct sdbm_src {
	const uint8_t *data;  /* NULL: PRNG */
	size_t len, pos;
	uint64_t state;
	int done;             /* bytes exhausted */
};

void sdbm_src_random(struct sdbm_src *src, uint64_t seed);
void sdbm_src_bytes(struct sdbm_src *src, const uint8_t *data, size_t len);

/*
 * Initialize statedb on a fresh arena and run up to max_ops operations
 * (until the source is exhausted for byte sources), then release and delete
 * everything and check that the store is empty again.  Returns the number of
 * mismatches (each printed to stderr); abort_on_error stops at the first.
 */
int statedb_model_run(struct sdbm_src *src, unsigned max_ops, int abort_on_error);

#endif
