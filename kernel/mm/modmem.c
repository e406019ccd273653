/*
 * modmem.c - memory for module sections (see modmem.h): whole frames from
 * the frame allocator, identity-mapped, with permissions set by vmm_protect.
 */
#include "modmem.h"

#include "frame.h"
#include "klibc.h"
#include "log.h"

static size_t in_use;

static size_t pages_of(size_t bytes) { return (bytes + FRAME_SIZE - 1) / FRAME_SIZE; }

int modmem_alloc(size_t bytes, void **out)
{
	uint64_t phys;
	if (!bytes || !out)
		return TH_EINVAL;
	int err = frame_alloc(pages_of(bytes), &phys);
	if (err)
		return err;
	memset((void *)phys, 0, pages_of(bytes) * FRAME_SIZE);
	in_use += pages_of(bytes) * FRAME_SIZE;
	*out = (void *)phys;
	return TH_OK;
}

int modmem_protect(void *p, size_t bytes, unsigned prot)
{
	return vmm_protect(p, pages_of(bytes) * FRAME_SIZE, prot);
}

void modmem_free(void *p, size_t bytes)
{
	if (!p || !bytes)
		return;
	size_t n = pages_of(bytes);
	if (vmm_protect(p, n * FRAME_SIZE, VMM_R | VMM_W) || frame_free((uint64_t)p, n)) {
		log_error("modmem", "refused to free %zu pages at %p (not module memory)", n, p);
		return;
	}
	in_use -= n * FRAME_SIZE;
}

size_t modmem_in_use(void) { return in_use; }
