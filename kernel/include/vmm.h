/*
 * vmm.h - virtual memory: 4-level paging with W^X.
 *
 * Physical memory is identity-mapped (virtual == physical) and non-executable;
 * the kernel image is mapped with per-section permissions (text R-X, rodata
 * R--, data/bss RW-).  Drivers map device registers with vmm_map_mmio();
 * DMA buffers come from frame_alloc() and their physical address is their
 * virtual address.
 */
#ifndef THESEUS_VMM_H
#define THESEUS_VMM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum vmm_prot {
	VMM_R = 1,
	VMM_W = 2,
	VMM_X = 4,
};

void vmm_init(void);
/* Map [phys, phys+len) uncached, RW, NX; *out is the virtual address. */
int vmm_map_mmio(uint64_t phys, size_t len, volatile void **out) TH_MUST_CHECK;
/* Change the protection of whole pages in the identity map (W and X never both). */
int vmm_protect(void *addr, size_t len, unsigned prot) TH_MUST_CHECK;
/* Protection of the page holding addr (VMM_* bits), 0 if unmapped. */
unsigned vmm_query(const void *addr);
/* Frames taken for page tables so far (splitting a 2 MiB page costs one; they
 * are kept): lets memory tests tell page tables from leaks. */
size_t vmm_table_count(void);

#endif
