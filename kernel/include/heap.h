/*
 * heap.h - the kernel heap: kmalloc/kfree.
 *
 * Small blocks come from per-size-class slabs, large ones straight from the
 * frame allocator.  Every block carries a header magic and a trailing canary:
 * a double free or a write past the end is detected at kfree() and reported
 * in the log (the block is then left alone, never reused).
 * All functions are safe to call with interrupts disabled.
 */
#ifndef THESEUS_HEAP_H
#define THESEUS_HEAP_H

#include <stddef.h>
#include <stdint.h>

void *kmalloc(size_t size);            /* NULL when out of memory or size is 0 */
void *kcalloc(size_t n, size_t size);  /* zeroed; NULL on overflow */
void kfree(void *p);                   /* NULL is fine; misuse is logged, not fatal */

struct heap_stats {
	size_t bytes_in_use;     /* sum of requested sizes of live blocks */
	size_t blocks_in_use;
	size_t pages_held;       /* pages the heap holds from the frame allocator */
	size_t errors;           /* double frees, overflows, bad pointers seen */
};
#ifndef THESEUS_MODULE_VIEW /* kernel only: not exported to modules */
void heap_get_stats(struct heap_stats *out);
#endif

#endif
