/*
 * swap_deps.c - who depends on whom among the loaded modules, for the
 * engine's unloads and their refusals: the dependents outside a set of
 * modules being unloaded, and the cycles that forbid taking a module out
 * alone (module A overrides a weak symbol of B and calls B: each waits for
 * the other to go first), with the set that has to go together.
 */
#include "swap_impl.h"

static bool in_set(struct module *const *set, size_t n, const struct module *m)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == m)
			return true;
	return false;
}

/* A live module (not a retired version that still links into m). */
static bool live(const struct module *m)
{
	return loader_find(loader_module_name(m)) == m;
}

size_t swap_dependents(struct module *m, struct module *const *set, size_t nset, char *buf,
		       size_t len)
{
	struct module *seen[SWAP_DEPS_MAX];
	size_t pos = 0, n = 0;

	buf[0] = '\0';
	for (struct loader_edge *e = loader_edges_in(m); e; e = e->next_in) {
		struct module *d = e->dependent;
		if (!live(d) || in_set(set, nset, d) || in_set(seen, n < SWAP_DEPS_MAX ? n : SWAP_DEPS_MAX, d))
			continue;
		if (n < SWAP_DEPS_MAX)
			seen[n] = d;
		th_appendf(buf, len, &pos, "%s%s", n ? ", " : "", loader_module_name(d));
		n++;
	}
	return n;
}

size_t swap_dependent_closure(struct module *m, struct module **out, size_t max)
{
	size_t n = 0, i;

	if (!max)
		return 0;
	out[n++] = m;
	for (i = 0; i < n; i++) /* breadth first over incoming edges */
		for (struct loader_edge *e = loader_edges_in(out[i]); e; e = e->next_in) {
			if (!live(e->dependent) || in_set(out, n, e->dependent))
				continue;
			if (n == max)
				return max + 1;
			out[n++] = e->dependent;
		}
	return n;
}

bool swap_depends_on(struct module *from, struct module *to)
{
	struct module *seen[SWAP_DEPS_MAX];
	size_t n = 0, i, ne, j;

	seen[n++] = from;
	for (i = 0; i < n; i++) { /* breadth first over outgoing edges */
		struct loader_edge *e = loader_edges_out(seen[i], &ne);
		for (j = 0; j < ne; j++) {
			if (e[j].target == to)
				return true;
			if (!live(e[j].target) || in_set(seen, n, e[j].target) || n == SWAP_DEPS_MAX)
				continue;
			seen[n++] = e[j].target;
		}
	}
	return false;
}
