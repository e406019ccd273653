/*
 * faulty.c (faulty_v2) - TEST module: "faulty" 2.0, swapped in over 1.0 by
 * tests/qemu/test_faults.py; its faulty_null faults, so repeated faults
 * roll it back to 1.0.  faulty_ok answers "ok v2".
 */
#include "theseus.h"

int faulty_ok(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (out_cap < 5)
		return TH_ERANGE;
	memcpy(out, "ok v2", 5);
	*out_len = 5;
	return TH_OK;
}
TH_INVOKE(faulty_ok);

int faulty_null(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	const int *volatile p = NULL;
	return *p;
}
TH_INVOKE(faulty_null);

static int faulty_v2_transfer(const struct th_module_info *old)
{
	log_info("faulty", "faulty 2.0 takes over from %s", old->version);
	return TH_OK;
}

TH_MODULE("faulty", "2.0", "TEST module: faults on purpose, version 2",
	  .transfer = faulty_v2_transfer);
