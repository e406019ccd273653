/*
 * entropy.h - unpredictable bits for the kernel (kernel/dev/entropy.c): the
 * CPU's RDSEED/RDRAND when CPUID says it has them, else bits mixed from TSC
 * jitter, the RTC and the PIT's phase.  Used for the control endpoint's
 * per-boot epoch; not a general-purpose CSPRNG.
 */
#ifndef THESEUS_ENTROPY_H
#define THESEUS_ENTROPY_H

#include <stdint.h>

/* 64 unpredictable bits; never blocks for long.  Callable any time after
 * the timer is set up (init_time). */
uint64_t entropy_u64(void);
/* "rdseed", "rdrand" or "jitter": what entropy_u64 draws from. */
const char *entropy_source(void);

#endif
