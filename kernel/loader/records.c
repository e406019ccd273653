/*
 * records.c - link_check_records(): after relocation, every code pointer a
 * module hands the kernel must point into its own code: the init, fini and
 * transfer hooks of its record, its TH_INVOKE records, and the entries of
 * its .init_array / .fini_array (0 and -1 entries are skipped, as old
 * runtimes did; these sections hold whole pointers).  Reads the relocated
 * copy buf of a module laid out at address base; shared by the kernel
 * (loader.c, on the module's memory) and lint (lint.c, on a scratch copy),
 * so both refuse the same objects with the same message.
 */
#include "loader_impl.h"

static bool in_text(uintptr_t base, const struct region *text, uintptr_t a)
{
	uintptr_t t = base + text->off;
	return a >= t && a - t < text->size;
}

static uintptr_t ptr_at(const uint8_t *p)
{
	uintptr_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static int check_hooks(const struct elf_obj *o, const uint8_t *buf, uintptr_t base,
		       const size_t *sec_off, const struct region *text, const char *name,
		       struct th_errbuf *eb)
{
	static const struct {
		size_t off;
		const char *what;
	} hooks[] = {
		{ offsetof(struct th_module_info, init), "init" },
		{ offsetof(struct th_module_info, fini), "fini" },
		{ offsetof(struct th_module_info, transfer), "transfer" },
	};
	const uint8_t *rec = buf + sec_off[o->info_idx];

	for (size_t k = 0; k < sizeof hooks / sizeof hooks[0]; k++) {
		uintptr_t fn = ptr_at(rec + hooks[k].off);
		if (fn && !in_text(base, text, fn))
			return th_errf(eb, TH_EBADELF, "%s: %s function outside the module's code",
				       name, hooks[k].what);
	}
	return TH_OK;
}

static int check_invokes(const struct elf_obj *o, const uint8_t *buf, uintptr_t base,
			 const size_t *sec_off, const struct region *text, const char *name,
			 struct th_errbuf *eb)
{
	size_t n;

	if (!o->invoke_idx)
		return TH_OK;
	n = o->sh[o->invoke_idx].size / sizeof(th_invoke_fn);
	for (size_t i = 0; i < n; i++)
		if (!in_text(base, text, ptr_at(buf + sec_off[o->invoke_idx] + i * sizeof(th_invoke_fn))))
			return th_errf(eb, TH_EBADELF, "%s: TH_INVOKE record %zu outside the module's "
				       "code", name, i);
	return TH_OK;
}

static int check_ctor_tables(const struct elf_obj *o, const uint8_t *buf, uintptr_t base,
			     const size_t *sec_off, const struct region *text, const char *name,
			     struct th_errbuf *eb)
{
	for (size_t i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];

		if ((s->type != SHT_INIT_ARRAY && s->type != SHT_FINI_ARRAY) ||
		    o->cls[i] == SEC_NONE)
			continue;
		if (s->size % sizeof(th_ctor_fn))
			return th_errf(eb, TH_EBADELF, "%s: section %s: size %llu not a multiple of %zu",
				       name, elf_sec_name(o, i), (unsigned long long)s->size,
				       sizeof(th_ctor_fn));
		for (size_t k = 0; k < s->size / sizeof(th_ctor_fn); k++) {
			uintptr_t a = ptr_at(buf + sec_off[i] + k * sizeof(th_ctor_fn));
			if (a != 0 && a != UINTPTR_MAX && !in_text(base, text, a))
				return th_errf(eb, TH_EBADELF, "%s: %s entry %zu points outside the "
					       "module's code", name, elf_sec_name(o, i), k);
		}
	}
	return TH_OK;
}

int link_check_records(const struct elf_obj *o, const uint8_t *buf, uintptr_t base,
		       const size_t *sec_off, const struct region *text, const char *name,
		       struct th_errbuf *eb)
{
	int err = check_hooks(o, buf, base, sec_off, text, name, eb);

	if (!err)
		err = check_invokes(o, buf, base, sec_off, text, name, eb);
	if (!err)
		err = check_ctor_tables(o, buf, base, sec_off, text, name, eb);
	return err;
}
