/*
 * introspect.c - what the loader can tell about loaded modules: iteration,
 * one module's description and dependencies, and the formatted module list
 * the kernel prints at boot and later serves over the network.
 */
#include "loader_impl.h"

struct module *loader_first(void)
{
	return loader_mods_head;
}

struct module *loader_next(const struct module *m)
{
	return m ? m->next : NULL;
}

struct module *loader_module_at(size_t index)
{
	struct module *m = loader_first();
	for (size_t i = 0; m && i < index; i++)
		m = loader_next(m);
	return m;
}

const struct th_module_info *loader_module_info(const struct module *m)
{
	return m->info;
}

void loader_module_describe(const struct module *m, struct loader_module_desc *out)
{
	memset(out, 0, sizeof *out);
	out->name = m->name;
	out->version = m->version;
	out->description = m->description;
	out->base = (uintptr_t)m->mem;
	out->size = m->mem_bytes;
	out->text = m->reg[SEC_TEXT].size;
	out->rodata = m->reg[SEC_RODATA].size;
	out->data = m->reg[SEC_DATA].size;
	out->spill = m->spill;
	out->exports = m->n_exports;
	out->edges_out = m->n_edges;
	out->edges_in = m->n_in;
}

size_t loader_module_deps(const struct module *m, struct module **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < m->n_edges; i++)
		m->edges[i].target->mark = 0;
	for (i = 0; i < m->n_edges; i++) {
		struct module *t = m->edges[i].target;
		if (t->mark)
			continue;
		t->mark = 1;
		if (n < max && out)
			out[n] = t;
		n++;
	}
	for (i = 0; i < m->n_edges; i++)
		m->edges[i].target->mark = 0;
	return n;
}

size_t loader_format_list(char *buf, size_t len)
{
	const struct module *m;
	size_t pos = 0, i;

	if (len)
		buf[0] = '\0';
	for (m = loader_mods_head; m; m = m->next) {
		struct loader_module_desc d;
		struct module *deps[16];
		size_t nd;

		loader_module_describe(m, &d);
		th_appendf(buf, len, &pos, "%-12s %-6s size=%zu base=0x%lx exports=%zu deps=", d.name,
		    d.version, d.size, (unsigned long)d.base, d.exports);
		nd = loader_module_deps(m, deps, 16);
		if (!nd)
			th_appendf(buf, len, &pos, "-");
		for (i = 0; i < nd && i < 16; i++)
			th_appendf(buf, len, &pos, "%s%s", i ? "," : "", deps[i]->name);
		if (nd > 16)
			th_appendf(buf, len, &pos, ",...");
		if (d.spill)
			th_appendf(buf, len, &pos, " spill=%zu", d.spill);
		th_appendf(buf, len, &pos, "  %s\n", d.description);
	}
	return pos;
}
