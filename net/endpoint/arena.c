/*
 * arena.c - the bounded bump allocator that protobuf-c decodes each request
 * into (and replies are built from).  It is reset before every datagram, so
 * a hostile message can use at most EP_ARENA_BYTES and never leaks: when the
 * arena is exhausted protobuf-c's unpack fails and the request is malformed.
 */
#include "endpoint_impl.h"

static void *arena_pbc_alloc(void *data, size_t n)
{
	return ep_arena_alloc(data, n);
}

static void arena_pbc_free(void *data, void *p)
{
	(void)data;
	(void)p;  /* freed all at once by ep_arena_reset() */
}

int ep_arena_init(struct ep_arena *a, size_t size)
{
	a->base = kmalloc(size);
	if (!a->base)
		return TH_ENOMEM;
	a->size = size;
	a->used = 0;
	a->pbc.alloc = arena_pbc_alloc;
	a->pbc.free = arena_pbc_free;
	a->pbc.allocator_data = a;
	return TH_OK;
}

void ep_arena_fini(struct ep_arena *a)
{
	kfree(a->base);
	a->base = NULL;
	a->size = a->used = 0;
}

void ep_arena_reset(struct ep_arena *a)
{
	a->used = 0;
}

void *ep_arena_alloc(struct ep_arena *a, size_t n)
{
	size_t start = (a->used + 15u) & ~(size_t)15u;
	if (n == 0)
		n = 1;
	if (start > a->size || n > a->size - start)
		return NULL;
	a->used = start + n;
	memset(a->base + start, 0, n);
	return a->base + start;
}

char *ep_arena_strdup(struct ep_arena *a, const char *s)
{
	static char empty[1];
	size_t n = s ? strlen(s) : 0;
	char *p = ep_arena_alloc(a, n + 1);
	if (!p)
		return empty;
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}
