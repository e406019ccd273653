/*
 * symtab.c - symbol tables: chained hash tables of struct lsym, so each
 * lookup is O(1) on average and a load stays linear in its number of
 * relocations.  One is the namespace (kernel exports and module exports);
 * a swap keeps another for the exports of the batch it stages (stage.c).
 *
 * Names resolve as a linker resolves them: a strong definition beats weak
 * ones, of several weak ones the oldest wins, and two strong definitions of
 * one name are TH_EDUPSYM naming the current owner.  A shadowed weak entry
 * stays in the table and takes over when the strong one leaves.
 *
 * Entries are owned by their creators (loader.c for kernel exports, each
 * module for its exports); a table only links them.
 */
#include "loader_impl.h"

static struct symtab ns;
static uint64_t ns_generation;   /* bumped on every change of the namespace */

uint32_t symtab_hash(const char *name)
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h;
}

static int grow(struct symtab *t)
{
	size_t nn = t->nbuckets ? t->nbuckets * 2 : 256, i;
	struct lsym **nb = kcalloc(nn, sizeof *nb);

	if (!nb)
		return TH_ENOMEM;
	/* Walk each chain from its tail so that chain order (newest first) stays. */
	for (i = 0; i < t->nbuckets; i++) {
		struct lsym *s = t->buckets[i], *rev = NULL, *next;
		for (; s; s = next) {
			next = s->hnext;
			s->hnext = rev;
			rev = s;
		}
		for (s = rev; s; s = next) {
			next = s->hnext;
			s->hnext = nb[s->hash & (nn - 1)];
			nb[s->hash & (nn - 1)] = s;
		}
	}
	kfree(t->buckets);
	t->buckets = nb;
	t->nbuckets = nn;
	return TH_OK;
}

struct lsym *symtab_find_in(const struct symtab *t, const char *name)
{
	struct lsym *s, *weak = NULL;
	uint32_t h;

	if (!t->nbuckets)
		return NULL;
	h = symtab_hash(name);
	for (s = t->buckets[h & (t->nbuckets - 1)]; s; s = s->hnext) {
		if (s->hash != h || strcmp(s->name, name) != 0)
			continue;
		if (!s->weak)
			return s;
		weak = s; /* newest first: the last one seen is the oldest */
	}
	return weak;
}

int symtab_insert_in(struct symtab *t, struct lsym *s, struct th_errbuf *eb)
{
	struct lsym *old;

	s->hash = symtab_hash(s->name);
	old = symtab_find_in(t, s->name);
	if (old && !old->weak && !s->weak)
		return th_errf(eb, TH_EDUPSYM, "%s: duplicate symbol %s (already exported by %s)",
			       s->owner ? s->owner->name : "kernel", s->name,
			       old->owner ? old->owner->name : "the kernel");
	if (t->count + 1 > t->nbuckets / 4 * 3 && grow(t))
		return th_errf(eb, TH_ENOMEM, "no memory for the symbol table");
	s->hnext = t->buckets[s->hash & (t->nbuckets - 1)];
	t->buckets[s->hash & (t->nbuckets - 1)] = s;
	t->count++;
	return TH_OK;
}

void symtab_remove_in(struct symtab *t, struct lsym *s)
{
	struct lsym **pp;

	if (!t->nbuckets)
		return;
	for (pp = &t->buckets[s->hash & (t->nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			s->hnext = NULL;
			t->count--;
			return;
		}
}

int symtab_reserve_in(struct symtab *t, size_t extra)
{
	while (t->count + extra > t->nbuckets / 4 * 3)
		if (grow(t))
			return TH_ENOMEM;
	return TH_OK;
}

void symtab_free(struct symtab *t)
{
	kfree(t->buckets);
	t->buckets = NULL;
	t->nbuckets = t->count = 0;
}

/* ---- the namespace ---------------------------------------------------------- */

struct lsym *symtab_find(const char *name)
{
	return symtab_find_in(&ns, name);
}

struct lsym *symtab_find_owned(const char *name, const struct module *owner)
{
	struct lsym *s;
	uint32_t h;

	if (!ns.nbuckets)
		return NULL;
	h = symtab_hash(name);
	for (s = ns.buckets[h & (ns.nbuckets - 1)]; s; s = s->hnext)
		if (s->owner == owner && s->hash == h && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

int symtab_insert(struct lsym *s, struct th_errbuf *eb)
{
	ns_generation++;
	return symtab_insert_in(&ns, s, eb);
}

void symtab_remove(struct lsym *s)
{
	ns_generation++;
	symtab_remove_in(&ns, s);
}

uint64_t symtab_generation(void)
{
	return ns_generation;
}

int symtab_reserve(size_t extra)
{
	return symtab_reserve_in(&ns, extra);
}

size_t symtab_count(void)
{
	return ns.count;
}

void symtab_reset(void)
{
	ns_generation++;
	symtab_free(&ns);
}
