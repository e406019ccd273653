/*
 * modmem.h - memory for module sections, with page permissions.
 *
 * The loader allocates each module's sections here (page-granular, zeroed,
 * initially RW), applies relocations, then seals them with the final
 * protection.  In the kernel this is frames + vmm_protect() in the identity
 * map (below 2 GiB, so 32-bit displacements always reach); the host tests
 * provide mmap(MAP_32BIT)/mprotect().
 */
#ifndef THESEUS_MODMEM_H
#define THESEUS_MODMEM_H

#include <stddef.h>

#include "err.h"
#include "vmm.h"

/* bytes rounded up to whole pages; *out page-aligned, zeroed, RW. */
int modmem_alloc(size_t bytes, void **out) TH_MUST_CHECK;
/* prot: VMM_R|VMM_W|VMM_X combination (W and X never both). */
int modmem_protect(void *p, size_t bytes, unsigned prot) TH_MUST_CHECK;
/* Make pages RW again (for relinking during a swap) and free them. */
void modmem_free(void *p, size_t bytes);
/* Bytes currently allocated (memory-flat tests). */
size_t modmem_in_use(void);

#endif
