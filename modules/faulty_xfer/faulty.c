/*
 * faulty.c (faulty_xfer) - TEST module: "faulty" 3.0 whose transfer hook
 * reads address 0: a live swap to it must fail, be undone, and leave the
 * running version serving (tests/qemu/test_faults.py).
 */
#include "theseus.h"

int faulty_ok(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	*out_len = 0;
	return TH_OK;
}
TH_INVOKE(faulty_ok);

static int faulty_xfer_transfer(const struct th_module_info *old)
{
	const int *volatile p = NULL;
	return *p;
}

TH_MODULE("faulty", "3.0", "TEST module: transfer faults", .transfer = faulty_xfer_transfer);
