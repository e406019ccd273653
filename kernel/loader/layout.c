/*
 * layout.c - place a validated object's loaded sections into one modmem
 * allocation of three page-aligned regions (text, rodata, data; where each
 * section goes is layout_plan.c's), copy their contents, and later seal the
 * regions with their final protection: text R-X, rodata R-- (including
 * .data.rel.ro), data/bss RW- (NX).
 */
#include "loader_impl.h"
#include "modmem.h"

static const unsigned region_prot[SEC_NCLASS] = {
	[SEC_TEXT] = VMM_R | VMM_X,
	[SEC_RODATA] = VMM_R,
	[SEC_DATA] = VMM_R | VMM_W,
};

int layout_map(struct elf_obj *o, struct module *m, struct th_errbuf *eb)
{
	size_t i, total;
	int c, err;

	m->sec_off = kcalloc(o->shnum, sizeof *m->sec_off);
	if (!m->sec_off)
		return th_errf(eb, TH_ENOMEM, "%s: no memory for layout", o->label);
	err = layout_plan(o, m->sec_off, m->reg, &total, eb);
	if (err)
		return err;
	for (c = SEC_TEXT; c < SEC_NCLASS; c++)
		m->reg[c].prot = region_prot[c];
	err = modmem_alloc(total, (void **)&m->mem);
	if (err)
		return th_errf(eb, err, "%s: cannot allocate %zu bytes of module memory", o->label,
			       total);
	m->mem_bytes = total;
	for (i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		if (o->cls[i] != SEC_NONE && s->type != SHT_NOBITS && s->size)
			memcpy(m->mem + m->sec_off[i], o->data + s->offset, s->size);
	}
	return TH_OK;
}

int layout_seal(struct module *m, struct th_errbuf *eb)
{
	int c, err;

	for (c = SEC_TEXT; c < SEC_NCLASS; c++) {
		if (!m->reg[c].pages_bytes)
			continue;
		err = modmem_protect(m->mem + m->reg[c].off, m->reg[c].pages_bytes, m->reg[c].prot);
		if (err)
			return th_errf(eb, err, "%s: cannot protect module memory", m->name);
	}
	return TH_OK;
}

void layout_unmap(struct module *m)
{
	if (m->mem)
		modmem_free(m->mem, m->mem_bytes);
	m->mem = NULL;
	m->mem_bytes = 0;
}
