/*
 * counter.c - an out-of-tree example module (tests/kit/counter/, built by
 * tests/qemu/test_kit.py against an installed module kit): counts how often
 * it was started in a statedb entry, so a reload or swap carries the count on.
 */
#include "theseus.h"

#define COUNTER_TYPE 0x636f756e   /* "coun" */

static int counter_init(void)
{
	struct statedb_ref ref;
	uint64_t *starts;
	int err = statedb_open("counter.starts", COUNTER_TYPE, 1, sizeof *starts, &ref, NULL);
	if (err)
		return err;
	err = statedb_get(ref, COUNTER_TYPE, 1, (void **)&starts, NULL);
	if (!err) {
		uint64_t n = ++*starts;
		err = statedb_put(ref);
		if (!err)
			log_info("counter", "counter 1.0 ready: start #%llu", (unsigned long long)n);
	}
	if (statedb_close(ref) && !err)
		err = TH_EIO;
	return err;
}

TH_MODULE("counter", "1.0", "an out-of-tree example: counts its starts in statedb",
	  .init = counter_init);
