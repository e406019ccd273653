/*
 * layout_plan.c - where a validated object's loaded sections go: each
 * section's offset within one of three page-aligned regions (text, rodata,
 * data, in that order), the regions' sizes and the total, refused above the
 * limit one module may take.  Arithmetic only, no memory: layout.c places
 * the module this way in the kernel, lint.c lays it out the same way at a
 * kernel-like address (so lint refuses what the kernel refuses).
 */
#include "loader_impl.h"

static size_t align_up(size_t x, size_t a)
{
	return a > 1 ? (x + a - 1) & ~(a - 1) : x;
}

int layout_plan(const struct elf_obj *o, size_t *sec_off, struct region reg[SEC_NCLASS],
		size_t *total, struct th_errbuf *eb)
{
	size_t sz[SEC_NCLASS] = {0}, i, sum = 0;
	int c;

	/* Offsets within each region (sizes are bounded by classify()). */
	for (i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		c = o->cls[i];
		if (c == SEC_NONE)
			continue;
		sz[c] = align_up(sz[c], s->addralign);
		sec_off[i] = sz[c];
		sz[c] += s->size;
		if (sz[c] > LOADER_MAX_MODULE_BYTES)
			return th_errf(eb, TH_ETOOBIG, "%s: more than %u bytes of sections",
				       o->label, LOADER_MAX_MODULE_BYTES);
	}
	for (c = SEC_TEXT; c < SEC_NCLASS; c++) {
		reg[c].off = sum;
		reg[c].size = sz[c];
		reg[c].pages_bytes = align_up(sz[c], LOADER_PAGE);
		sum += reg[c].pages_bytes;
	}
	if (sum > LOADER_MAX_MODULE_BYTES)
		return th_errf(eb, TH_ETOOBIG, "%s: %zu bytes of sections, above the limit of %u "
			       "bytes for a module", o->label, sum, LOADER_MAX_MODULE_BYTES);
	/* Section offsets within the module. */
	for (i = 1; i < o->shnum; i++)
		if (o->cls[i] != SEC_NONE)
			sec_off[i] += reg[o->cls[i]].off;
	*total = sum;
	return TH_OK;
}
