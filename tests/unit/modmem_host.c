/*
 * modmem_host.c - modmem.h for host tests: module memory from
 * mmap(MAP_32BIT) (below 2 GiB, like the kernel's identity map, so 32-bit
 * relocations reach and loaded code can really run) and mprotect().
 * It also records the protection given to every page (modmem_host.h), so
 * tests can assert W^X directly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "modmem.h"
#include "modmem_host.h"

#define HOST_PAGE 4096u

static size_t in_use;

/* One record per live allocation: its pages' protections. */
struct alloc_rec {
	uintptr_t base;
	size_t pages;
	unsigned char *prot;
	struct alloc_rec *next;
};
static struct alloc_rec *recs;
static unsigned long protect_calls;

static struct alloc_rec *rec_of(uintptr_t addr)
{
	struct alloc_rec *r;

	for (r = recs; r; r = r->next)
		if (addr >= r->base && (addr - r->base) / HOST_PAGE < r->pages)
			return r;
	return NULL;
}

unsigned modmem_host_prot(uintptr_t addr)
{
	struct alloc_rec *r = rec_of(addr);

	return r ? r->prot[(addr - r->base) / HOST_PAGE] : MODMEM_HOST_NOT_MODMEM;
}

unsigned modmem_host_range_prot(uintptr_t addr, size_t len)
{
	unsigned p = modmem_host_prot(addr);
	uintptr_t a;

	for (a = addr & ~(uintptr_t)(HOST_PAGE - 1); a < addr + len; a += HOST_PAGE)
		if (modmem_host_prot(a) != p)
			return MODMEM_HOST_NOT_MODMEM;
	return p;
}

unsigned long modmem_host_protect_calls(void)
{
	return protect_calls;
}

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
	{
		struct alloc_rec *r = malloc(sizeof *r);
		size_t i;

		if (!r || !(r->prot = malloc(len / HOST_PAGE))) {
			free(r);
			munmap(p, len);
			return TH_ENOMEM;
		}
		r->base = (uintptr_t)p;
		r->pages = len / HOST_PAGE;
		for (i = 0; i < r->pages; i++)
			r->prot[i] = VMM_R | VMM_W;
		r->next = recs;
		recs = r;
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
	protect_calls++;
	if (mprotect(p, round_pages(bytes), hp))
		return TH_EINVAL;
	{
		uintptr_t a, end = (uintptr_t)p + round_pages(bytes);

		for (a = (uintptr_t)p; a < end; a += HOST_PAGE) {
			struct alloc_rec *r = rec_of(a);
			if (r)
				r->prot[(a - r->base) / HOST_PAGE] = (unsigned char)prot;
		}
	}
	return TH_OK;
}

void modmem_free(void *p, size_t bytes)
{
	size_t len = round_pages(bytes);
	struct alloc_rec **pp;

	if (!p)
		return;
	for (pp = &recs; *pp; pp = &(*pp)->next)
		if ((*pp)->base == (uintptr_t)p) {
			struct alloc_rec *r = *pp;
			*pp = r->next;
			free(r->prot);
			free(r);
			break;
		}
	munmap(p, len);
	in_use -= len;
}

size_t modmem_in_use(void)
{
	return in_use;
}
