/*
 * swap_plat_host.c - the swap engine's platform hooks for host tests:
 * clock_gettime for the TSC, no interrupt flag, and a current "stack" made
 * of addresses the test sets (swap_host_pretend_running) so retirement can
 * be tested without tasks.
 */
#include <time.h>

#include "../../kernel/swap/swap_impl.h"
#include "swap_plat_host.h"

static uintptr_t pretend[8];
static size_t n_pretend;

void swap_host_pretend_running(uintptr_t addr)
{
	if (n_pretend < 8)
		pretend[n_pretend++] = addr;
}

void swap_host_pretend_clear(void)
{
	n_pretend = 0;
}

uint64_t swap_plat_tsc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t swap_plat_tsc_ns(uint64_t delta)
{
	return delta;
}

uint64_t swap_plat_now_ns(void)
{
	return swap_plat_tsc();
}

static uint64_t pause_start, pause_total;

uint64_t swap_plat_irq_save(void)
{
	pause_start = swap_plat_tsc();
	return 0;
}

void swap_plat_irq_restore(uint64_t flags)
{
	(void)flags;
	pause_total += swap_plat_tsc() - pause_start;
}

uint64_t swap_plat_pause_ns(void)
{
	return pause_total;
}

unsigned swap_plat_cpus(void)
{
	return 1;
}

void swap_plat_engine_lock(void)
{
}

void swap_plat_engine_unlock(void)
{
}

void swap_plat_walk_current(swap_addr_fn fn, void *ctx)
{
	size_t i;

	for (i = 0; i < n_pretend; i++)
		fn(ctx, pretend[i]);
}
