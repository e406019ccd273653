/*
 * vmm.h - virtual memory: 4-level paging with W^X.
 *
 * Physical memory is identity-mapped (virtual == physical) and non-executable;
 * the kernel image is mapped with per-section permissions (text R-X, rodata
 * R--, data/bss RW-).  Only RAM (below IDENTITY_MAP_BYTES, from the boot
 * memory map) is mapped: holes between and above it are left unmapped, so a
 * wild pointer or stack pointer there faults instead of reading or writing
 * nothing.  Whoever uses a device range maps it first: drivers their
 * registers (PCI BARs, the local and I/O APIC, the screen) with
 * vmm_map_mmio(), firmware tables are read through vmm_map_firmware() and
 * unmapped with vmm_unmap_firmware() once parsed.
 * DMA buffers come from frame_alloc() and their physical address is their
 * virtual address.
 */
#ifndef THESEUS_VMM_H
#define THESEUS_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "frame.h" /* struct mem_region */

enum vmm_prot {
	VMM_R = 1,
	VMM_W = 2,
	VMM_X = 4,
};

/* Build the kernel's page tables: identity-map the RAM regions (the boot
 * memory map's available entries), nothing else, then switch to them. */
void vmm_init(const struct mem_region *ram, size_t n);
/* Map device registers [phys, phys+len) uncached, RW, NX; *out is the
 * virtual address (== phys).  TH_EINVAL for an empty or wrapping range or
 * one beyond the physical address width, TH_ENOMEM without page tables. */
int vmm_map_mmio(uint64_t phys, size_t len, volatile void **out) TH_MUST_CHECK;
/* Make firmware memory [phys, phys+len) readable (ACPI and MP tables, the
 * BIOS area): pages not mapped yet become read-only, NX; pages already
 * mapped (RAM, a device) keep their protection.  *out == phys.  Errors as
 * vmm_map_mmio(); the range must lie below IDENTITY_MAP_BYTES. */
int vmm_map_firmware(uint64_t phys, size_t len, const void **out) TH_MUST_CHECK;
/* Unmap again every page vmm_map_firmware mapped (when the tables have been
 * parsed: their contents were copied); returns how many pages. */
size_t vmm_unmap_firmware(void);
/* Change the protection of whole pages in the identity map (W and X never both). */
int vmm_protect(void *addr, size_t len, unsigned prot) TH_MUST_CHECK;
/* Protection of the page holding addr (VMM_* bits), 0 if unmapped. */
unsigned vmm_query(const void *addr);
/* Frames taken for page tables so far (splitting a 2 MiB page costs one; they
 * are kept): lets memory tests tell page tables from leaks. */
size_t vmm_table_count(void);

/* How much of [base, base+len) the regions cover (host-tested helper). */
enum ram_cover { RAM_NONE, RAM_PARTIAL, RAM_FULL };
enum ram_cover ram_cover(const struct mem_region *ram, size_t n, uint64_t base, uint64_t len);

#endif
