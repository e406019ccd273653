/*
 * faulty.c (faulty_v2) - TEST module: "faulty" 2.0, swapped in over 1.0 by
 * tests/qemu/test_faults.py; its faulty_null faults, so repeated faults
 * roll it back to 1.0.  faulty_ok answers "ok v2".  Variant 2
 * (build/modules/faulty_v2fini.o, version 2.1) has a fini that reads NULL:
 * swapped out, its fault must be reported as 2.1's, not blamed on the
 * version swapped in.
 */
#include "theseus.h"

#ifndef FAULTY_V2_VARIANT
#define FAULTY_V2_VARIANT 1
#endif
#if FAULTY_V2_VARIANT == 2
#define FAULTY_V2_VERSION "2.1"
#else
#define FAULTY_V2_VERSION "2.0"
#endif

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
	log_info("faulty", "faulty " FAULTY_V2_VERSION " takes over from %s", old->version);
	return TH_OK;
}

#if FAULTY_V2_VARIANT == 2
static void faulty_v2_fini(void)
{
	const volatile int *volatile p = NULL;
	(void)*p;
}
TH_MODULE("faulty", FAULTY_V2_VERSION, "TEST module: faults on purpose, version 2",
	  .transfer = faulty_v2_transfer, .fini = faulty_v2_fini);
#else
TH_MODULE("faulty", FAULTY_V2_VERSION, "TEST module: faults on purpose, version 2",
	  .transfer = faulty_v2_transfer);
#endif
