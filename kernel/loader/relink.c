/*
 * relink.c - loader_relink_site(): re-apply one recorded relocation with a
 * new symbol address, the primitive a live swap uses to point exactly the
 * recorded sites of dependents at the new version of a module.
 *
 * The value is computed and overflow-checked before anything changes; the
 * page(s) holding the site are made RW for the write and then given back the
 * protection of the region they belong to.
 */
#include "loader_impl.h"
#include "modmem.h"

int loader_relink_site(const struct loader_edge *e, uintptr_t new_symbol_addr,
		       struct th_errbuf *eb)
{
	struct module *m;
	uint8_t tmp[8];
	size_t w;
	uintptr_t page_lo, page_hi;
	int c, err;
	const struct region *reg = NULL;

	if (!e || !e->dependent)
		return th_errf(eb, TH_EINVAL, "relink: no edge");
	m = e->dependent;
	w = reloc_width(e->type);
	if (!w)
		return th_errf(eb, TH_ERELOC, "%s: relink: relocation type %u", m->name,
			       (unsigned)e->type);
	for (c = SEC_TEXT; c < SEC_NCLASS; c++) {
		uintptr_t lo = (uintptr_t)m->mem + m->reg[c].off;
		if (e->site >= lo && e->site - lo <= m->reg[c].size &&
		    w <= m->reg[c].size - (e->site - lo))
			reg = &m->reg[c];
	}
	if (!reg)
		return th_errf(eb, TH_EINVAL, "%s: relink: site 0x%lx outside the module", m->name,
			       (unsigned long)e->site);
	/* Compute into a scratch buffer first: nothing changes on overflow. */
	err = reloc_apply(e->type, tmp, e->site, new_symbol_addr, e->addend);
	if (err)
		return th_errf(eb, err, "%s: relink %s at 0x%lx: %s to 0x%lx does not fit", m->name,
			       e->symbol, (unsigned long)e->site, reloc_type_name(e->type),
			       (unsigned long)new_symbol_addr);
	page_lo = e->site & ~(uintptr_t)(LOADER_PAGE - 1);
	page_hi = (e->site + w + LOADER_PAGE - 1) & ~(uintptr_t)(LOADER_PAGE - 1);
	if (reg->prot & VMM_W) {
		memcpy((void *)e->site, tmp, w);
		return TH_OK;
	}
	err = modmem_protect((void *)page_lo, page_hi - page_lo, VMM_R | VMM_W);
	if (err)
		return th_errf(eb, err, "%s: relink: cannot unprotect site", m->name);
	memcpy((void *)e->site, tmp, w);
	err = modmem_protect((void *)page_lo, page_hi - page_lo, reg->prot);
	if (err)
		return th_errf(eb, err, "%s: relink: cannot restore protection", m->name);
	return TH_OK;
}
