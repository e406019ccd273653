/*
 * statedb_ops.c - libFuzzer target: the fuzz input is a sequence of statedb
 * operations (see tests/unit/statedb_model.c), run against the real store
 * and the reference model.  Any mismatch, crash or sanitizer report is a
 * finding; mismatches abort with a message naming the operation.
 */
#include <stddef.h>
#include <stdint.h>

#include "statedb_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdbm_src src;

	sdbm_src_bytes(&src, data, size);
	(void)statedb_model_run(&src, 100000, 1);
	return 0;
}
