/*
 * paging.c - the kernel's page tables (see vmm.h).
 *
 * Replaces boot.S's early tables with: the RAM of the boot memory map below
 * IDENTITY_MAP_BYTES identity-mapped RW+NX (2 MiB pages where a whole block
 * is RAM, 4 KiB pages in blocks that are only partly RAM), everything else
 * unmapped (device ranges are mapped by their users: vmm_map_mmio,
 * vmm_map_firmware), page 0 unmapped (NULL dereferences fault), the kernel
 * image mapped per section (text R-X, rodata R--, data/bss RW-), and the
 * boot stack's guard page unmapped.  Large pages are split on demand when a
 * range needs finer permissions.
 */
#include "vmm.h"

#include "cpu.h"
#include "frame.h"
#include "klibc.h"
#include "lock.h"
#include "log.h"
#include "param.h"
#include "smp.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_AD (3ull << 5) /* accessed, dirty: set by the CPU */
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull
#define PAGE 4096ull
#define BIG (2ull << 20)

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], boot_stack_guard[];

static uint64_t *pml4;
static struct spinlock vmm_lock = SPINLOCK_INIT;

static size_t tables_allocated; /* frames taken for page tables (vmm_table_count) */

/* Pages vmm_map_firmware mapped, for vmm_unmap_firmware: runs of pages. */
#define FIRMWARE_RUNS 32
struct fw_run {
	uint64_t va, pages;
};
static struct fw_run fw_runs[FIRMWARE_RUNS];
static size_t fw_count, fw_kept; /* runs recorded; runs that found no slot (stay mapped) */

size_t vmm_table_count(void) { return tables_allocated; }

static uint64_t *new_table(void)
{
	uint64_t phys;
	if (frame_alloc(1, &phys))
		return NULL;
	tables_allocated++;
	memset((void *)phys, 0, PAGE);
	return (uint64_t *)phys;
}

/* Entry of the next level for index i of table t, creating the table. */
static uint64_t *next_level(uint64_t *t, unsigned i)
{
	if (!(t[i] & PTE_P)) {
		uint64_t *n = new_table();
		if (!n)
			return NULL;
		t[i] = (uint64_t)n | PTE_P | PTE_W;
	}
	return (uint64_t *)(t[i] & PTE_ADDR);
}

/* The 4 KiB PTE for va, splitting a 2 MiB page if needed; NULL if no memory. */
static uint64_t *pte_for(uint64_t va)
{
	uint64_t *pdpt = next_level(pml4, (va >> 39) & 511);
	if (!pdpt)
		return NULL;
	uint64_t *pd = next_level(pdpt, (va >> 30) & 511);
	if (!pd)
		return NULL;
	uint64_t *pde = &pd[(va >> 21) & 511];
	if ((*pde & PTE_P) && (*pde & PTE_PS)) {
		uint64_t *pt = new_table();
		if (!pt)
			return NULL;
		uint64_t base = *pde & PTE_ADDR, flags = *pde & ~PTE_ADDR & ~PTE_PS;
		for (unsigned i = 0; i < 512; i++)
			pt[i] = (base + i * PAGE) | flags;
		*pde = (uint64_t)pt | PTE_P | PTE_W;
	}
	uint64_t *pt = next_level(pd, (va >> 21) & 511);
	return pt ? &pt[(va >> 12) & 511] : NULL;
}

static uint64_t prot_flags(unsigned prot)
{
	if (!prot)
		return 0;
	return PTE_P | ((prot & VMM_W) ? PTE_W : 0) | ((prot & VMM_X) ? 0 : PTE_NX);
}

static int set_range(uint64_t va, uint64_t len, uint64_t flags, uint64_t keep_mask)
{
	uint64_t end = (va + len + PAGE - 1) & ~(PAGE - 1);
	for (va &= ~(PAGE - 1); va < end; va += PAGE) {
		uint64_t *pte = pte_for(va);
		if (!pte)
			return TH_ENOMEM;
		*pte = va | flags | (*pte & keep_mask);
		if (pml4 == (uint64_t *)read_cr3())
			invlpg((void *)va);
	}
	return TH_OK;
}

int vmm_protect(void *addr, size_t len, unsigned prot)
{
	if ((prot & VMM_W) && (prot & VMM_X))
		return TH_EINVAL; /* W^X */
	if ((uint64_t)addr % PAGE || !len)
		return TH_EINVAL;
	uint64_t flags = spin_lock_irqsave(&vmm_lock);
	int err = set_range((uint64_t)addr, len, prot_flags(prot), PTE_PCD | PTE_PWT);
	spin_unlock_irqrestore(&vmm_lock, flags);
	smp_tlb_changed(); /* other CPUs flush before their next task switch */
	return err;
}

int vmm_map_mmio(uint64_t phys, size_t len, volatile void **out)
{
	if (!len || !out || phys + len < phys || phys + len > (1ull << 46))
		return TH_EINVAL;
	uint64_t flags = spin_lock_irqsave(&vmm_lock);
	int err = set_range(phys, len + (phys & (PAGE - 1)), PTE_P | PTE_W | PTE_NX | PTE_PCD | PTE_PWT, 0);
	spin_unlock_irqrestore(&vmm_lock, flags);
	if (!err)
		*out = (volatile void *)phys;
	return err;
}

/* Is va mapped in our tables (any level present down to its page)? */
static bool mapped(uint64_t va)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return false;
		if (shift == 12 || (shift < 39 && (e & PTE_PS)))
			return true;
		t = (uint64_t *)(e & PTE_ADDR);
	}
	return true;
}

int vmm_map_firmware(uint64_t phys, size_t len, const void **out)
{
	if (!len || !out || phys + len < phys || phys + len > IDENTITY_MAP_BYTES)
		return TH_EINVAL;
	int err = TH_OK;
	uint64_t end = (phys + len + PAGE - 1) & ~(PAGE - 1);
	uint64_t flags = spin_lock_irqsave(&vmm_lock);
	for (uint64_t va = phys & ~(PAGE - 1); va < end && !err; va += PAGE) {
		if (mapped(va))
			continue; /* RAM, a device, or mapped by an earlier call: keep it */
		uint64_t *pte = pte_for(va);
		if (!pte) {
			err = TH_ENOMEM;
			break;
		}
		*pte = va | PTE_P | PTE_NX;
		if (fw_count && fw_runs[fw_count - 1].va + fw_runs[fw_count - 1].pages * PAGE == va)
			fw_runs[fw_count - 1].pages++;
		else if (fw_count < FIRMWARE_RUNS)
			fw_runs[fw_count++] = (struct fw_run){ va, 1 };
		else
			fw_kept++;
	}
	spin_unlock_irqrestore(&vmm_lock, flags);
	if (!err)
		*out = (const void *)(uintptr_t)phys;
	return err;
}

size_t vmm_unmap_firmware(void)
{
	size_t pages = 0;
	uint64_t flags = spin_lock_irqsave(&vmm_lock);
	for (size_t i = 0; i < fw_count; i++)
		for (uint64_t k = 0; k < fw_runs[i].pages; k++) {
			uint64_t va = fw_runs[i].va + k * PAGE;
			uint64_t *pte = pte_for(va); /* exists: mapped by vmm_map_firmware */
			if (pte && (*pte & ~PTE_AD) == (va | PTE_P | PTE_NX)) {
				*pte = 0;
				invlpg((void *)va);
				pages++;
			}
		}
	fw_count = 0;
	spin_unlock_irqrestore(&vmm_lock, flags);
	smp_tlb_changed();
	if (fw_kept)
		log_warn("vmm", "%zu firmware pages stay mapped read-only (more than %d runs)",
			 fw_kept, FIRMWARE_RUNS);
	fw_kept = 0;
	return pages;
}

unsigned vmm_query(const void *addr)
{
	uint64_t va = (uint64_t)addr, e = 0;
	uint64_t *t = (uint64_t *)(read_cr3() & PTE_ADDR);
	if (va >= (1ull << 47))
		return 0; /* only the lower canonical half is ever mapped */
	for (int shift = 39; shift >= 12; shift -= 9) {
		e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return 0;
		if (shift == 12 || (shift < 39 && (e & PTE_PS)))
			break;
		t = (uint64_t *)(e & PTE_ADDR);
	}
	return VMM_R | ((e & PTE_W) ? VMM_W : 0) | ((e & PTE_NX) ? 0 : VMM_X);
}

static void must(int err, const char *what)
{
	if (err) {
		log_error("vmm", "cannot build page tables (%s): %s", what, th_strerror(err));
		for (;;)
			cpu_halt();
	}
}

/* The 2 MiB block at va: one large page if it is all RAM, else a table of
 * 4 KiB pages mapping only the pages that hold some RAM. */
static void map_block(uint64_t *pd, uint64_t va, const struct mem_region *ram, size_t n,
		      uint64_t *big, uint64_t *small)
{
	enum ram_cover c = ram_cover(ram, n, va, BIG);
	uint64_t *pde = &pd[(va >> 21) & 511];
	if (c == RAM_FULL) {
		*pde = va | PTE_P | PTE_W | PTE_PS | PTE_NX;
		++*big;
	} else if (c == RAM_PARTIAL) {
		uint64_t *pt = new_table();
		if (!pt)
			must(TH_ENOMEM, "page table");
		for (unsigned i = 0; i < 512; i++) {
			uint64_t a = va + i * PAGE;
			if (ram_cover(ram, n, a, PAGE) != RAM_NONE) {
				pt[i] = a | PTE_P | PTE_W | PTE_NX;
				++*small;
			}
		}
		*pde = (uint64_t)pt | PTE_P | PTE_W;
	}
}

void vmm_init(const struct mem_region *ram, size_t n)
{
	uint64_t big = 0, small = 0;
	pml4 = new_table();
	uint64_t *pdpt = pml4 ? next_level(pml4, 0) : NULL;
	if (!pdpt)
		must(TH_ENOMEM, "top level");
	for (uint64_t gb = 0; gb < IDENTITY_MAP_BYTES >> 30; gb++) {
		if (ram_cover(ram, n, gb << 30, 1ull << 30) == RAM_NONE)
			continue; /* no RAM in this GiB: no page directory */
		uint64_t *pd = next_level(pdpt, (unsigned)gb);
		if (!pd)
			must(TH_ENOMEM, "page directory");
		for (unsigned i = 0; i < 512; i++)
			map_block(pd, (gb << 30) + i * BIG, ram, n, &big, &small);
	}
	must(set_range(0, PAGE, 0, 0), "null page");
	uint64_t ts = (uint64_t)_text_start & ~(PAGE - 1);
	must(set_range(ts, (uint64_t)_text_end - ts, prot_flags(VMM_R | VMM_X), 0), "text");
	must(set_range((uint64_t)_rodata_start, (uint64_t)(_rodata_end - _rodata_start),
		       prot_flags(VMM_R), 0), "rodata");
	must(set_range((uint64_t)_data_start, (uint64_t)(_data_end - _data_start),
		       prot_flags(VMM_R | VMM_W), 0), "data");
	must(set_range((uint64_t)boot_stack_guard, PAGE, 0, 0), "stack guard");
	write_cr3((uint64_t)pml4);
	log_info("vmm", "paging on: RAM identity NX (%llu MiB: %llu 2 MiB + %llu 4 KiB pages, "
		 "holes unmapped), text %p-%p R-X, rodata R--, data RW-",
		 (unsigned long long)((big * BIG + small * PAGE) >> 20), (unsigned long long)big,
		 (unsigned long long)small, (void *)ts, (void *)_text_end);
}
