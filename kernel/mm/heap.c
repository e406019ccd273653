/*
 * heap.c - the kernel heap (see heap.h).
 *
 * Blocks up to HEAP_SLAB_MAX bytes come from size classes (32 B .. 4 KiB
 * with header and canary), carved from whole frames and kept on per-class
 * free lists; larger blocks get their own run of frames, returned on kfree.
 * Every block: a 16-byte header {magic, size, class, pages} before the
 * user bytes and an 8-byte canary after them.  kfree() checks both, so a
 * double free, a bad pointer or an overflow is logged and counted, and the
 * block is quarantined instead of corrupting the free lists.
 */
#include "heap.h"

#include "frame.h"
#include "klibc.h"
#include "lock.h"
#include "log.h"
#include "param.h"

#ifndef THESEUS_KERNEL
/* Host unit tests build this file as it is; klibc.h maps kmalloc to malloc there. */
#undef kmalloc
#undef kcalloc
#undef kfree
#endif

#define MAGIC_LIVE 0x4b4d414cu  /* "LAMK" */
#define MAGIC_FREE 0x4b465245u
#define CANARY 0xC0FFEE5AFEC0DE42ull
#define LARGE 0xffu
#define HDR 16u

struct hdr {
	uint32_t magic;
	uint32_t size;   /* requested bytes */
	uint32_t class;  /* size-class index, or LARGE */
	uint32_t pages;  /* frames held (LARGE only) */
};

/* A free slab object keeps its header (magic = MAGIC_FREE, so a second kfree
 * is caught) and links to the next free object through its user bytes. */
struct free_link {
	struct hdr *next;
};

static struct hdr *link_next(struct hdr *h) { return ((struct free_link *)((char *)h + HDR))->next; }
static void link_set(struct hdr *h, struct hdr *next) { ((struct free_link *)((char *)h + HDR))->next = next; }

static const uint32_t class_size[] = { 32, 64, 128, 256, 512, 1024, 2048, 4096 };
#define NCLASS (sizeof class_size / sizeof class_size[0])

static struct hdr *free_list[NCLASS];
static struct heap_stats stats;
static struct spinlock heap_lock = SPINLOCK_INIT;

static int class_of(size_t total)
{
	for (unsigned i = 0; i < NCLASS; i++)
		if (total <= class_size[i])
			return (int)i;
	return -1;
}

static bool refill(unsigned c)
{
	uint64_t phys;
	if (frame_alloc(1, &phys))
		return false;
	stats.pages_held++;
	char *page = (char *)phys;
	for (uint32_t off = 0; off + class_size[c] <= FRAME_SIZE; off += class_size[c]) {
		struct hdr *h = (struct hdr *)(page + off);
		h->magic = MAGIC_FREE;
		h->class = c;
		link_set(h, free_list[c]);
		free_list[c] = h;
	}
	return true;
}

static void *finish(struct hdr *h, size_t size, uint32_t class, uint32_t pages)
{
	h->magic = MAGIC_LIVE;
	h->size = (uint32_t)size;
	h->class = class;
	h->pages = pages;
	uint64_t canary = CANARY;
	memcpy((char *)h + HDR + size, &canary, sizeof canary);
	stats.bytes_in_use += size;
	stats.blocks_in_use++;
	return (char *)h + HDR;
}

void *kmalloc(size_t size)
{
	if (!size || size > (1u << 30))
		return NULL;
	size_t total = size + HDR + sizeof(uint64_t);
	void *p = NULL;
	uint64_t flags = spin_lock_irqsave(&heap_lock);
	int c = size <= HEAP_SLAB_MAX ? class_of(total) : -1;
	if (c >= 0) {
		if (free_list[c] || refill((unsigned)c)) {
			struct hdr *h = free_list[c];
			free_list[c] = link_next(h);
			p = finish(h, size, (uint32_t)c, 0);
		}
	} else {
		size_t pages = (total + FRAME_SIZE - 1) / FRAME_SIZE;
		uint64_t phys;
		if (!frame_alloc(pages, &phys)) {
			stats.pages_held += pages;
			p = finish((struct hdr *)phys, size, LARGE, (uint32_t)pages);
		}
	}
	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = kmalloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	if ((uintptr_t)p % 16 || (uintptr_t)p < FRAME_SIZE + HDR) {
		stats.errors++;
		log_error("heap", "kfree(%p): not a heap pointer", p);
		return;
	}
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	uint64_t flags = spin_lock_irqsave(&heap_lock);
	const char *problem = NULL;
	uint64_t canary;
	if (h->magic == MAGIC_FREE)
		problem = "double free";
	else if (h->magic != MAGIC_LIVE || (h->class >= NCLASS && h->class != LARGE) ||
		 (uint64_t)h->size + HDR + sizeof canary >
			 (h->class == LARGE ? (uint64_t)h->pages * FRAME_SIZE : class_size[h->class]))
		problem = "not a heap pointer (bad header)";
	else if (memcpy(&canary, (char *)p + h->size, sizeof canary), canary != CANARY)
		problem = "heap overflow: canary after the block overwritten";
	if (problem) {
		stats.errors++;
		spin_unlock_irqrestore(&heap_lock, flags);
		log_error("heap", "kfree(%p): %s; block quarantined", p, problem);
		return;
	}
	stats.bytes_in_use -= h->size;
	stats.blocks_in_use--;
	h->magic = MAGIC_FREE;
	if (h->class == LARGE) {
		uint32_t pages = h->pages;
		stats.pages_held -= pages;
		if (frame_free((uint64_t)(uintptr_t)h, pages))
			stats.errors++;
	} else {
		memset(p, 0xDD, h->size); /* poison: use-after-free reads garbage, not data */
		link_set(h, free_list[h->class]);
		free_list[h->class] = h;
	}
	spin_unlock_irqrestore(&heap_lock, flags);
}

void heap_get_stats(struct heap_stats *out)
{
	uint64_t flags = spin_lock_irqsave(&heap_lock);
	*out = stats;
	spin_unlock_irqrestore(&heap_lock, flags);
}
