/*
 * swap_retire.c - safe retirement of swapped-out module versions.
 *
 * After a commit no live site points into an old version, so no new call
 * can enter it; but a task may still be executing in it or hold a return
 * address into it.  swap_reap() collects every address a task can execute
 * at or return to (swap_plat_walk_current: in the kernel every task's RIP
 * and stack through task_foreach_return_address), and frees
 * each retiring version that none of them points into and that no other
 * retiring version still links into (the loader refuses those); versions
 * that link only into each other (a dependency cycle, unloaded or swapped
 * out together) are freed together once no task uses any of them.  The
 * walk and the frees run with interrupts off, so the snapshot cannot go
 * stale.
 */
#include "log.h"
#include "swap_impl.h"

static struct module *retiring[SWAP_MAX_RETIRING];
static size_t n_retiring;

size_t swap_retire_room(void)
{
	return SWAP_MAX_RETIRING - n_retiring;
}

void swap_retire_add(struct module *m)
{
	if (m && n_retiring < SWAP_MAX_RETIRING)
		retiring[n_retiring++] = m;
}

size_t swap_retiring_count(void)
{
	return n_retiring;
}

static void mark_addr(void *ctx, uintptr_t addr)
{
	bool *busy = ctx;
	size_t i;

	for (i = 0; i < n_retiring; i++)
		if (loader_module_contains(retiring[i], addr))
			busy[i] = true;
}

static size_t reap(void);

size_t swap_reap(void)
{
	swap_plat_engine_lock();
	size_t n = reap();
	swap_plat_engine_unlock();
	return n;
}

static bool retiring_unused(const bool *keep, const struct module *m)
{
	for (size_t i = 0; i < n_retiring; i++)
		if (retiring[i] == m)
			return !keep[i];
	return false;
}

/* Free together the unused retiring versions whose incoming edges all come
 * from each other (what is left of a cycle once the rest is freed). */
static void reap_group(const bool *busy)
{
	struct module *set[SWAP_MAX_RETIRING];
	bool keep[SWAP_MAX_RETIRING];
	bool changed = true;
	struct th_errbuf eb;
	size_t i, n = 0;

	for (i = 0; i < n_retiring; i++)
		keep[i] = busy[i];
	while (changed) {
		changed = false;
		for (i = 0; i < n_retiring; i++) {
			struct loader_edge *e;
			for (e = loader_edges_in(retiring[i]); e && !keep[i]; e = e->next_in)
				if (!retiring_unused(keep, e->dependent))
					keep[i] = changed = true;
		}
	}
	for (i = 0; i < n_retiring; i++)
		if (!keep[i])
			set[n++] = retiring[i];
	if (!n || loader_retired_free_set(set, n, &eb))
		return;
	for (i = n_retiring; i-- > 0;)
		if (!keep[i])
			retiring[i] = retiring[--n_retiring];
}

static size_t reap(void)
{
	bool busy[SWAP_MAX_RETIRING] = {false};
	struct th_errbuf eb;
	bool progress = true;
	uint64_t flags;
	size_t i;

	if (!n_retiring)
		return 0;
	flags = swap_plat_irq_save();
	swap_plat_walk_current(mark_addr, busy);
	while (progress) {
		progress = false;
		for (i = 0; i < n_retiring; i++) {
			if (busy[i] || loader_retired_free(retiring[i], &eb))
				continue;
			retiring[i] = retiring[n_retiring - 1];
			busy[i] = busy[n_retiring - 1];
			n_retiring--;
			progress = true;
			i--;
		}
	}
	reap_group(busy);
	swap_plat_irq_restore(flags);
	return n_retiring;
}
