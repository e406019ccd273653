/*
 * relocate.c - link_relocate(): apply every relocation of an object's
 * loaded sections to a copy of the module laid out at an address, asking
 * a resolver for each symbol's address.  One loop for the kernel (the
 * module's own memory, symbols from the namespace, an edge recorded per
 * relocation into another module: loader.c) and for lint (a scratch copy
 * laid out at a kernel-like address: lint.c), so both refuse the same
 * overflows with the same message.
 */
#include "loader_impl.h"

/* What a relocation's symbol is, for messages: its name, "section X" for a
 * section symbol (which has none), or its index. */
static const char *sym_desc(const struct elf_obj *o, uint32_t si, char *buf, size_t len)
{
	const struct elf64_sym *y = &o->sym[si];

	if (si == 0)
		return "0";
	if (elf_sym_name(o, si)[0])
		return elf_sym_name(o, si);
	if (ELF_ST_TYPE(y->info) == STT_SECTION && y->shndx && y->shndx < o->shnum)
		snprintf(buf, len, "section %s", elf_sec_name(o, y->shndx));
	else
		snprintf(buf, len, "symbol #%u", (unsigned)si);
	return buf;
}

int link_relocate(const struct elf_obj *o, uint8_t *buf, uintptr_t base, const size_t *sec_off,
		  const char *name, const struct link_resolver *rs, struct th_errbuf *eb)
{
	size_t i, j;
	int err = TH_OK;

	for (i = 1; i < o->shnum && !err; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		const struct elf64_rela *r;
		size_t n;

		if (s->type != SHT_RELA || o->cls[s->info] == SEC_NONE)
			continue;
		r = (const struct elf64_rela *)(o->data + s->offset);
		n = s->size / sizeof *r;
		for (j = 0; j < n && !err; j++) {
			uint32_t si = ELF_R_SYM(r[j].info), type = ELF_R_TYPE(r[j].info);
			size_t off;
			uintptr_t addr;
			char desc[80];

			/* NONE carries no checked offset: skip it before computing an address. */
			if (type == R_X86_64_NONE)
				continue;
			off = sec_off[s->info] + (size_t)r[j].offset;
			err = rs->resolve(rs->ctx, si, elf_sec_name(o, i), &addr, eb);
			if (err)
				break;
			err = reloc_apply(type, buf + off, base + off, addr, r[j].addend);
			if (err) {
				err = th_errf(eb, err, "%s: %s[%zu]: %s to %s (addend %lld) does not fit",
					      name, elf_sec_name(o, i), j, reloc_type_name(type),
					      sym_desc(o, si, desc, sizeof desc), (long long)r[j].addend);
				break;
			}
			if (rs->applied)
				err = rs->applied(rs->ctx, si, base + off, type, r[j].addend, eb);
		}
	}
	return err;
}
