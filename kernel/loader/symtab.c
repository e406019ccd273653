/*
 * symtab.c - the flat symbol namespace: a chained hash table of struct lsym
 * (kernel exports and module exports), so each lookup is O(1) on average and
 * a load stays linear in its number of relocations.
 *
 * Entries are owned by their creators (loader.c for kernel exports, each
 * module for its exports); the table only links them.  Inserting a name that
 * exists is TH_EDUPSYM naming the current owner.
 */
#include "loader_impl.h"

static struct lsym **buckets;
static size_t nbuckets, count;

uint32_t symtab_hash(const char *name)
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h;
}

static int grow(void)
{
	size_t nn = nbuckets ? nbuckets * 2 : 256, i;
	struct lsym **nb = kcalloc(nn, sizeof *nb);

	if (!nb)
		return TH_ENOMEM;
	for (i = 0; i < nbuckets; i++) {
		struct lsym *s = buckets[i], *next;
		for (; s; s = next) {
			next = s->hnext;
			s->hnext = nb[s->hash & (nn - 1)];
			nb[s->hash & (nn - 1)] = s;
		}
	}
	kfree(buckets);
	buckets = nb;
	nbuckets = nn;
	return TH_OK;
}

struct lsym *symtab_find(const char *name)
{
	struct lsym *s;
	uint32_t h;

	if (!nbuckets)
		return NULL;
	h = symtab_hash(name);
	for (s = buckets[h & (nbuckets - 1)]; s; s = s->hnext)
		if (s->hash == h && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

int symtab_insert(struct lsym *s, struct th_errbuf *eb)
{
	struct lsym *old;

	s->hash = symtab_hash(s->name);
	old = symtab_find(s->name);
	if (old)
		return th_errf(eb, TH_EDUPSYM, "%s: duplicate symbol %s (already exported by %s)",
			       s->owner ? s->owner->name : "kernel", s->name,
			       old->owner ? old->owner->name : "the kernel");
	if (count + 1 > nbuckets / 4 * 3 && grow())
		return th_errf(eb, TH_ENOMEM, "no memory for the symbol table");
	s->hnext = buckets[s->hash & (nbuckets - 1)];
	buckets[s->hash & (nbuckets - 1)] = s;
	count++;
	return TH_OK;
}

void symtab_remove(struct lsym *s)
{
	struct lsym **pp;

	if (!nbuckets)
		return;
	for (pp = &buckets[s->hash & (nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			s->hnext = NULL;
			count--;
			return;
		}
}

int symtab_reserve(size_t extra)
{
	while (count + extra > nbuckets / 4 * 3)
		if (grow())
			return TH_ENOMEM;
	return TH_OK;
}

size_t symtab_count(void)
{
	return count;
}

void symtab_reset(void)
{
	kfree(buckets);
	buckets = NULL;
	nbuckets = count = 0;
}
