/*
 * stdlib.h (freestanding shim) - malloc/free for the kernel build of the
 * protobuf-c runtime (its default allocator); they are the kernel heap.
 * The endpoint always passes its own bounded allocator, so these are only
 * a fallback.
 */
#ifndef THESEUS_SHIM_STDLIB_H
#define THESEUS_SHIM_STDLIB_H
#include <stddef.h>
#include "heap.h"
static inline void *malloc(size_t n) { return kmalloc(n); }
static inline void free(void *p) { kfree(p); }
#endif
