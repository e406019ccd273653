/*
 * modmem_host.c - modmem.h for host tests: module memory from
 * mmap(MAP_32BIT) (below 2 GiB, like the kernel's identity map, so 32-bit
 * relocations reach and loaded code can really run) and mprotect().
 */
#include <stdint.h>
#include <sys/mman.h>

#include "modmem.h"

#define HOST_PAGE 4096u

static size_t in_use;

static size_t round_pages(size_t b)
{
	return (b + HOST_PAGE - 1) & ~(size_t)(HOST_PAGE - 1);
}

int modmem_alloc(size_t bytes, void **out)
{
	size_t len = round_pages(bytes);
	void *p;

	if (bytes == 0 || len < bytes)
		return TH_EINVAL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		 -1, 0);
	if (p == MAP_FAILED)
		return TH_ENOMEM;
	if ((uintptr_t)p + len > (1ull << 31)) {
		munmap(p, len);
		return TH_ENOMEM;
	}
	in_use += len;
	*out = p;
	return TH_OK;
}

int modmem_protect(void *p, size_t bytes, unsigned prot)
{
	int hp = 0;

	if ((prot & VMM_W) && (prot & VMM_X))
		return TH_EINVAL;
	if ((uintptr_t)p % HOST_PAGE)
		return TH_EINVAL;
	if (prot & VMM_R)
		hp |= PROT_READ;
	if (prot & VMM_W)
		hp |= PROT_WRITE;
	if (prot & VMM_X)
		hp |= PROT_EXEC;
	return mprotect(p, round_pages(bytes), hp) ? TH_EINVAL : TH_OK;
}

void modmem_free(void *p, size_t bytes)
{
	size_t len = round_pages(bytes);

	if (!p)
		return;
	munmap(p, len);
	in_use -= len;
}

size_t modmem_in_use(void)
{
	return in_use;
}
