/*
 * stubborn.c - a test module of the task rules around a swap
 * (tests/qemu/test_module_tasks.py, stubborn_blocking_rules): version 1.0
 * starts a task that ignores every stop request (it sleeps in a loop and
 * never looks at the result); version 2.0 (STUBBORN_VARIANT=2,
 * build/modules/stubborn_v2.o) tries to sleep and to yield in its transfer
 * hook, which runs with interrupts off, and logs what it got.  The kernel
 * must refuse the sleep (EBUSY) and keep the ignored stop from spinning a
 * CPU (each sleep after the stop lasts its whole time).
 */
#include "theseus.h"

#ifndef STUBBORN_VARIANT
#define STUBBORN_VARIANT 1
#endif
#if STUBBORN_VARIANT == 2
#define SB_VERSION "2.0"
#else
#define SB_VERSION "1.0"
#endif

#if STUBBORN_VARIANT == 1
static int stubborn_loop(void *arg)
{
	(void)arg;
	int r = 0;
	for (unsigned i = 0; i != ~0u; i++)
		r |= th_task_sleep_ms(20);   /* wrong on purpose: ESTALE changes nothing */
	return r;
}

static int sb_init(void)
{
	return th_task_create("sb_loop", stubborn_loop, NULL, NULL);
}

TH_MODULE("stubborn", SB_VERSION, "TEST module: a task that ignores stop requests",
	  .init = sb_init);
#else
static int sb_transfer(const struct th_module_info *old)
{
	(void)old;
	int err = th_task_sleep_ms(50);
	log_info("stubborn", "stubborn 2.0 transfer: sleep -> %s", th_err_name(err));
	return TH_OK;
}

TH_MODULE("stubborn", SB_VERSION, "TEST module: blocking in a transfer hook",
	  .transfer = sb_transfer);
#endif
