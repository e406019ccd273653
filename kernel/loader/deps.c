/*
 * deps.c - dependency records: one struct loader_edge per relocation that
 * resolves into another module.
 *
 * Each dependent owns an array of its edges (sized before relocation to the
 * number of its relocations against undefined symbols, so edges never move);
 * each target threads the edges that point into it on a doubly linked list,
 * so "all sites in other modules that point into M" is a direct walk and an
 * edge is unlinked in O(1) when its dependent goes away.
 */
#include "loader_impl.h"

int deps_reserve(struct module *dep, size_t n)
{
	if (n == 0)
		return TH_OK;
	dep->edges = kcalloc(n, sizeof *dep->edges);
	if (!dep->edges)
		return TH_ENOMEM;
	dep->cap_edges = n;
	return TH_OK;
}

int deps_add(struct module *dep, struct module *target, const char *sym, uintptr_t site,
	     uint32_t type, int64_t addend)
{
	struct loader_edge *e;

	if (dep->n_edges >= dep->cap_edges)
		return TH_EFULL; /* cannot happen: reserved from the same count */
	e = &dep->edges[dep->n_edges++];
	e->target = target;
	e->symbol = sym;
	e->dependent = dep;
	e->site = site;
	e->type = type;
	e->addend = addend;
	e->prev_in = NULL;
	e->next_in = target->in_head;
	if (target->in_head)
		target->in_head->prev_in = e;
	target->in_head = e;
	target->n_in++;
	return TH_OK;
}

void deps_drop_out(struct module *dep)
{
	size_t i;

	for (i = 0; i < dep->n_edges; i++) {
		struct loader_edge *e = &dep->edges[i];
		if (e->prev_in)
			e->prev_in->next_in = e->next_in;
		else
			e->target->in_head = e->next_in;
		if (e->next_in)
			e->next_in->prev_in = e->prev_in;
		e->target->n_in--;
	}
	kfree(dep->edges);
	dep->edges = NULL;
	dep->n_edges = dep->cap_edges = 0;
}

struct loader_edge *loader_edges_in(const struct module *m)
{
	return m->in_head;
}

struct loader_edge *loader_edges_out(const struct module *m, size_t *n)
{
	*n = m->n_edges;
	return m->edges;
}

/* Move edge e from its target's incoming list to new_target's (a swap). */
void deps_move(struct loader_edge *e, struct module *new_target)
{
	struct module *t = e->target;

	if (e->prev_in)
		e->prev_in->next_in = e->next_in;
	else
		t->in_head = e->next_in;
	if (e->next_in)
		e->next_in->prev_in = e->prev_in;
	t->n_in--;
	e->prev_in = NULL;
	e->next_in = new_target->in_head;
	if (new_target->in_head)
		new_target->in_head->prev_in = e;
	new_target->in_head = e;
	new_target->n_in++;
	e->target = new_target;
}
