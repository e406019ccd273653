/*
 * profile_agg.c - the profiler's report: groups samples by (function,
 * module) through a resolver callback, counts samples and idle samples per
 * group and per CPU, and sorts the groups.  Pure (no kernel state): the
 * kernel passes ksyms_resolve, the host unit test (tests/unit/
 * profile_agg_test.c) a fake resolver.
 *
 * Groups live in a fixed table of PROFILE_AGG_ENTRIES found through an
 * open-addressing hash of the names (slot[], twice as large, so probes stay
 * short); once all but one entry are taken, samples of further functions
 * go to the last one, PROFILE_OTHER: nothing is dropped silently.  Names
 * longer than PROFILE_NAME_MAX - 1 bytes are cut (and group by the cut
 * name).  Sorting is an insertion sort of the index order[] (the entries
 * themselves never move).
 */
#include "profile.h"

#include "klibc.h"

static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* FNV-1a over the cut names, function then module. */
static uint32_t name_hash(const char *function, const char *module)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < PROFILE_NAME_MAX - 1 && function[i]; i++)
		h = (h ^ (uint8_t)function[i]) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (size_t i = 0; i < PROFILE_MODULE_MAX - 1 && module[i]; i++)
		h = (h ^ (uint8_t)module[i]) * 16777619u;
	return h;
}

static bool same(const struct profile_entry *e, const char *function, const char *module)
{
	return strncmp(e->function, function, PROFILE_NAME_MAX - 1) == 0 &&
	       strncmp(e->module, module, PROFILE_MODULE_MAX - 1) == 0;
}

static struct profile_entry *new_entry(struct profile_agg *a, const char *function,
				       const char *module)
{
	struct profile_entry *e = &a->entries[a->n_entries++];
	copy_name(e->function, sizeof e->function, function);
	copy_name(e->module, sizeof e->module, module);
	return e;
}

/* The group of (function, module): found, new, or PROFILE_OTHER when the
 * table has room for no more. */
static struct profile_entry *group_of(struct profile_agg *a, const char *function,
				      const char *module)
{
	const uint32_t nslots = sizeof a->slot / sizeof a->slot[0];
	uint32_t i = name_hash(function, module) % nslots;
	for (;;) {
		uint16_t s = a->slot[i];
		if (!s)
			break;
		if (same(&a->entries[s - 1], function, module))
			return &a->entries[s - 1];
		i = (i + 1) % nslots;
	}
	if (a->n_entries < PROFILE_AGG_ENTRIES - 1) {
		a->slot[i] = (uint16_t)(a->n_entries + 1);
		return new_entry(a, function, module);
	}
	/* The last entry: the rest, without a slot of its own. */
	if (a->n_entries == PROFILE_AGG_ENTRIES - 1)
		return new_entry(a, PROFILE_OTHER, "");
	return &a->entries[PROFILE_AGG_ENTRIES - 1];
}

/* Whether entry x ranks before entry y. */
static bool before(const struct profile_entry *x, const struct profile_entry *y)
{
	if (x->samples != y->samples)
		return x->samples > y->samples;
	int c = strcmp(x->function, y->function);
	if (c)
		return c < 0;
	return strcmp(x->module, y->module) < 0;
}

static void sort(struct profile_agg *a)
{
	for (uint32_t i = 0; i < a->n_entries; i++)
		a->order[i] = (uint16_t)i;
	for (uint32_t i = 1; i < a->n_entries; i++) {
		uint16_t v = a->order[i];
		uint32_t j = i;
		while (j > 0 && before(&a->entries[v], &a->entries[a->order[j - 1]])) {
			a->order[j] = a->order[j - 1];
			j--;
		}
		a->order[j] = v;
	}
}

int profile_agg_run(struct profile_agg *a, const struct profile_sample *s, size_t n,
		    uint32_t n_cpus, profile_resolve_fn resolve, void *ctx)
{
	if (!a || (n && !s) || !resolve)
		return TH_EINVAL;
	memset(a, 0, sizeof *a);
	a->n_cpus = n_cpus < PROFILE_AGG_CPUS ? n_cpus : PROFILE_AGG_CPUS;
	for (size_t k = 0; k < n; k++) {
		const struct profile_sample *p = &s[k];
		if (!__atomic_load_n(&p->valid, __ATOMIC_ACQUIRE) || p->cpu >= PROFILE_AGG_CPUS) {
			a->skipped++;
			continue;
		}
		const char *function = NULL, *module = NULL;
		if (resolve(ctx, p->rip, &function, &module) && function) {
			if (!module)
				module = PROFILE_KERNEL;
		} else {
			function = PROFILE_UNKNOWN;   /* with its module when one was named */
		}
		struct profile_entry *e = group_of(a, function, module ? module : "");
		e->samples++;
		a->samples++;
		a->cpu[p->cpu].samples++;
		if (p->idle) {
			e->idle++;
			a->idle++;
			a->cpu[p->cpu].idle++;
		}
		if (p->cpu >= a->n_cpus)
			a->n_cpus = p->cpu + 1u;
	}
	sort(a);
	return TH_OK;
}

const struct profile_entry *profile_agg_entry(const struct profile_agg *a, uint32_t i)
{
	return i < a->n_entries ? &a->entries[a->order[i]] : NULL;
}
