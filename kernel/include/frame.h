/*
 * frame.h - the physical frame allocator (4 KiB frames, bitmap).
 *
 * Built from the boot memory map; never hands out the kernel image, the boot
 * information, boot modules, or the first MiB.  Contiguous runs can be
 * allocated (DMA rings, module sections).  Only memory below FRAME_LIMIT is
 * managed, so that every kernel and module address fits a signed 32-bit
 * displacement (see kernel/include/param.h).  Host-testable: frame_init_at()
 * takes the bitmap storage and an address bias.
 */
#ifndef THESEUS_FRAME_H
#define THESEUS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define FRAME_SIZE 4096u
/* Storage frame_init_at() needs: two bits per frame (in use, allocatable). */
#define FRAME_BITMAP_BYTES(base, limit) ((((limit) - (base)) / FRAME_SIZE + 7) / 8 * 2)

struct mem_region {
	uint64_t base, len;
};

/* Initialise from usable RAM regions minus reserved regions, managing only
 * [base, limit).  bitmap must hold one bit per frame of that range.  Returns
 * TH_EINVAL on nonsense input (unaligned base, too small a bitmap).
 * bitmap_bytes must be at least FRAME_BITMAP_BYTES(base, limit). */
int frame_init_at(const struct mem_region *usable, size_t n_usable,
		  const struct mem_region *reserved, size_t n_reserved,
		  uint64_t base, uint64_t limit, uint8_t *bitmap, size_t bitmap_bytes) TH_MUST_CHECK;

/* n contiguous frames; *phys is page-aligned.  TH_ENOMEM if no run is free. */
int frame_alloc(size_t n, uint64_t *phys) TH_MUST_CHECK;
/* Free n frames at phys; freeing a free or reserved frame is refused (TH_EINVAL). */
int frame_free(uint64_t phys, size_t n) TH_MUST_CHECK;

size_t frame_free_count(void);
size_t frame_total_count(void);

#endif
