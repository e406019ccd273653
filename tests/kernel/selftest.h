/*
 * selftest.h - the test image's self-tests (build/theseus-test.elf only; the
 * production kernel has none), chosen with selftest=NAME on the command line
 * so the QEMU tests can prove the fault report, W^X, the scheduler and the
 * swap engine work from inside the kernel:
 *   pagefault  read an unmapped address        -> fault report, exit 37
 *   wx         write to kernel text            -> fault report, exit 37
 *   nx         jump into a data page           -> fault report, exit 37
 *   null       read address 0                  -> fault report, exit 37
 *   stack      overflow the boot stack         -> double fault on the guard page
 *   heap       double free / overflow detected -> logged; exit 33 if caught
 *   swapstress 100 swaps under a calling task  (swap_stress.c)
 *   sched_*    the scheduler's tests           (sched_selftest.c)
 *   smp_*      several CPUs' tests             (smp_selftest.c)
 *   irqstorm   a level line that storms is masked (irq_selftest.c)
 */
#ifndef THESEUS_SELFTEST_H
#define THESEUS_SELFTEST_H

#include "bootinfo.h"

/* The boot information, for tests that swap in boot modules (hooks.c). */
extern const struct boot_info *selftest_boot;

/* Runs the named test; returns only if it is not a fault test. */
void selftest_run(const char *name);
/* selftest=sched_* (sched_selftest.c).  Never returns: powers off. */
__attribute__((noreturn)) void sched_selftest_run(const char *name);
/* selftest=smp_* (smp_selftest.c, boot with -smp 4).  Never returns. */
__attribute__((noreturn)) void smp_selftest_run(const char *name);
/* selftest=irqstorm (irq_selftest.c; an e1000, no driver).  Never returns. */
__attribute__((noreturn)) void irq_selftest_storm(void);
/* selftest=swapstress (swap_stress.c; after swap_boot_run).  Never returns. */
__attribute__((noreturn)) void swap_selftest_stress(void);

#endif
