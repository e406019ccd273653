/*
 * selftest.c - the test image's selftest=NAME dispatch and its deliberate
 * faults (see selftest.h).
 */
#include "selftest.h"

#include "heap.h"
#include "klibc.h"
#include "log.h"
#include "shutdown.h"
#include "swap.h"
#include "task.h"

extern char _text_start[], _data_start[];

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t recurse(uint64_t n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	if (n == UINT64_MAX) /* never: the guard page stops it first */
		return 0;
	return recurse(n + 1) + pad[0];
}

static void heap_check(void)
{
	struct heap_stats before, after;
	heap_get_stats(&before);
	char *p = kmalloc(40);
	if (!p)
		shutdown(SHUTDOWN_FAILURE);
	kfree(p);
	kfree(p); /* double free: must be caught */
	p = kmalloc(40);
	if (!p)
		shutdown(SHUTDOWN_FAILURE);
	p[40] = 'X'; /* one past the end: caught at kfree */
	kfree(p);
	heap_get_stats(&after);
	unsigned long caught = (unsigned long)(after.errors - before.errors);
	kprintf("selftest heap: %lu of 2 misuses caught\n", caught);
	shutdown(caught == 2 ? SHUTDOWN_SUCCESS : SHUTDOWN_FAILURE);
}

void selftest_run(const char *name)
{
	log_info("selftest", "running selftest=%s", name);
	if (!strcmp(name, "pagefault")) {
		sink = *(volatile uint64_t *)0x7FFFFFFF000ull;
	} else if (!strcmp(name, "null")) {
		sink = *(volatile uint64_t *)(uintptr_t)sink;
	} else if (!strcmp(name, "wx")) {
		*(volatile uint8_t *)(_text_start + 0x100) = 0xCC;
	} else if (!strcmp(name, "nx")) {
		*(volatile uint8_t *)_data_start = 0xC3; /* ret */
		((void (*)(void))(uintptr_t)_data_start)();
	} else if (!strcmp(name, "stack")) {
		sink = recurse(0);
	} else if (!strcmp(name, "heap")) {
		heap_check();
	} else if (!strcmp(name, "swapstress")) {
		swap_selftest_stress(); /* swap_stress.c */
	} else if (!strncmp(name, "sched_", 6)) {
		sched_selftest_run(name); /* sched_selftest.c */
	} else if (!strcmp(name, "irqstorm")) {
		irq_selftest_storm(); /* irq_selftest.c */
	} else if (!strncmp(name, "smp_", 4)) {
		smp_selftest_run(name); /* smp_selftest.c */
	} else {
		log_error("selftest", "unknown selftest '%s' (pagefault, null, wx, nx, stack, heap, swapstress, irqstorm, sched_*, smp_*)", name);
		shutdown(SHUTDOWN_FAILURE);
	}
	log_error("selftest", "selftest=%s did not fault", name);
	shutdown(SHUTDOWN_FAILURE);
}
