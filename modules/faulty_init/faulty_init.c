/*
 * faulty_init.c - a TEST module whose init dereferences NULL: its load must
 * fail with the fault reported (EINIT ... EFAULT ... page fault at
 * faulty_init_init+0x...) and the kernel must boot on (tests/qemu/test_faults.py).
 */
#include "theseus.h"

static int faulty_init_init(void)
{
	const int *volatile p = NULL;
	return *p;
}

TH_MODULE("faulty_init", "1.0", "TEST module: init faults", .init = faulty_init_init);
