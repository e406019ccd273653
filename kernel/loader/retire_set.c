/*
 * retire_set.c - retire and free several modules at once: a set of modules
 * that link into each other (a dependency cycle, e.g. a weak definition
 * overridden by a module that calls back into it) can never be retired or
 * freed one by one, since each waits for the other to go first.
 *
 *   loader_retire_set        unload without replacements: every module of
 *                            the set leaves the namespace and the list
 *                            together; refused while a module outside the
 *                            set links into one of them
 *   loader_retired_free_set  free retired modules whose incoming edges all
 *                            come from within the set
 */
#include "loader_impl.h"

static bool in_set(struct module *const *mods, size_t n, const struct module *m)
{
	for (size_t i = 0; i < n; i++)
		if (mods[i] == m)
			return true;
	return false;
}

int loader_retire_set(struct module *const *mods, size_t n, struct th_errbuf *eb)
{
	struct loader_edge *e;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!mods[i] || mods[i]->retired || mods[i]->staged || in_set(mods, i, mods[i]))
			return th_errf(eb, TH_EINVAL, "retire: not a set of loaded modules");
		for (e = mods[i]->in_head; e; e = e->next_in)
			if (!e->dependent->retired && !in_set(mods, n, e->dependent))
				return th_errf(eb, TH_EDEPEND, "%s: used by %s", mods[i]->name,
					       e->dependent->name);
	}
	if (!loader_enter())
		return th_errf(eb, TH_EBUSY, "loader busy");
	for (i = 0; i < n; i++) {
		for (j = 0; j < mods[i]->n_exports; j++)
			symtab_remove(&mods[i]->exports[j]);
		loader_list_del(mods[i]);
		mods[i]->retired = true;
	}
	loader_leave();
	return TH_OK; /* no log: the caller may hold interrupts off */
}

bool loader_retired_set_closed(struct module *const *mods, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (struct loader_edge *e = mods[i]->in_head; e; e = e->next_in)
			if (!in_set(mods, n, e->dependent))
				return false;
	return true;
}

int loader_retired_free_set(struct module *const *mods, size_t n, struct th_errbuf *eb)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!mods[i] || !mods[i]->retired || in_set(mods, i, mods[i]))
			return th_errf(eb, TH_EINVAL, "not a set of retired modules");
	if (!loader_retired_set_closed(mods, n))
		return th_errf(eb, TH_EBUSY, "sites of retired modules outside the set still "
			       "link into it");
	if (!loader_enter())
		return th_errf(eb, TH_EBUSY, "loader busy");
	for (i = 0; i < n; i++)
		deps_drop_out(mods[i]);
	for (i = 0; i < n; i++)
		loader_module_destroy(mods[i], false);
	loader_leave();
	return TH_OK;
}
