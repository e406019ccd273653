/*
 * ramcover.c - how much of an address range the boot memory map calls RAM
 * (see vmm.h: ram_cover).  vmm_init() asks it for every 2 MiB of the
 * identity map, and for every 4 KiB page of a 2 MiB block that is only
 * partly RAM, so that only RAM is mapped and holes fault.  The regions may
 * be unsorted, overlap or touch; lengths that would wrap are clamped.
 * Host-tested in tests/unit/mm_test.c.
 */
#include "vmm.h"

static uint64_t region_end(const struct mem_region *r)
{
	return r->base + r->len < r->base ? UINT64_MAX : r->base + r->len;
}

enum ram_cover ram_cover(const struct mem_region *ram, size_t n, uint64_t base, uint64_t len)
{
	if (!ram || !len)
		return RAM_NONE;
	uint64_t end = base + len < base ? UINT64_MAX : base + len;
	bool any = false;
	for (size_t i = 0; i < n && !any; i++)
		any = ram[i].len && ram[i].base < end && region_end(&ram[i]) > base;
	if (!any)
		return RAM_NONE;
	/* Walk from base through regions that contain the current point. */
	uint64_t p = base;
	for (size_t round = 0; round <= n && p < end; round++) {
		uint64_t next = p;
		for (size_t i = 0; i < n; i++)
			if (ram[i].len && ram[i].base <= p && region_end(&ram[i]) > next)
				next = region_end(&ram[i]);
		if (next == p)
			return RAM_PARTIAL;
		p = next;
	}
	return p >= end ? RAM_FULL : RAM_PARTIAL;
}
