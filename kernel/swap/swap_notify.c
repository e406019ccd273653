/*
 * swap_notify.c - what the rest of the kernel sees of the engine's changes:
 * the generation (bumped whenever the namespace changes, so weak symbol
 * references re-resolve: swap_symref_get) and the subscribers called after
 * every transaction that changed which modules run.  Subscribers are a
 * linked list of caller-owned nodes, so there is no limit and no slot that
 * a second subscriber could silently take from the first.
 */
#include "swap_impl.h"

static uint64_t generation = 1;
static struct swap_subscriber *subs;

uint64_t swap_generation(void)
{
	return generation;
}

void swap_generation_bump(void)
{
	generation++;
}

int swap_symref_get(struct swap_symref *r, uintptr_t *addr)
{
	uintptr_t a;
	int err;

	if (!r || !r->name || !addr)
		return TH_EINVAL;
	if (__atomic_load_n(&r->gen, __ATOMIC_ACQUIRE) != generation) {
		/* Not while a transaction on another CPU changes the namespace. */
		swap_plat_engine_lock();
		err = loader_lookup_symbol(r->name, &a, NULL);
		if (!err) {
			__atomic_store_n(&r->addr, a, __ATOMIC_RELAXED);
			__atomic_store_n(&r->gen, generation, __ATOMIC_RELEASE); /* after addr */
		} else {
			__atomic_store_n(&r->gen, 0, __ATOMIC_RELEASE);
		}
		swap_plat_engine_unlock();
		if (err)
			return err;
		*addr = a;
		return TH_OK;
	}
	*addr = __atomic_load_n(&r->addr, __ATOMIC_RELAXED);
	return TH_OK;
}

int swap_subscribe(struct swap_subscriber *s)
{
	struct swap_subscriber **pp;

	if (!s || !s->fn)
		return TH_EINVAL;
	for (pp = &subs; *pp; pp = &(*pp)->next)
		if (*pp == s)
			return TH_EEXIST;
	s->next = NULL;
	*pp = s; /* last: called in the order of subscription */
	return TH_OK;
}

void swap_unsubscribe(struct swap_subscriber *s)
{
	struct swap_subscriber **pp;

	for (pp = &subs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->next = NULL;
			return;
		}
}

void swap_notify_subscribers(void)
{
	struct swap_subscriber *s, *next;

	for (s = subs; s; s = next) {
		next = s->next; /* a subscriber may unsubscribe itself */
		s->fn(s->ctx);
	}
}
