/*
 * lint.c - loader_lint(): the loader's complete check of an object without
 * loading it, for theseus-lint (`theseusctl lint`): everything elf_parse()
 * checks (headers, sections, symbols, relocation types, module record and
 * API version, COMMON, the kit's flags in every file, TH_EXPORT records),
 * state spill, and, given the target's export list, what the linker would
 * refuse: imports nothing exports (with what to change) and exports that
 * clash with a strong definition there.  Uses only elf_parse.c and reloc.c,
 * so it links without the rest.
 */
#include "loader_impl.h"

static void say(void (*report)(void *, const char *, const char *), void *ctx,
		const char *level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void say(void (*report)(void *, const char *, const char *), void *ctx,
		const char *level, const char *fmt, ...)
{
	char line[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	report(ctx, level, line);
}

int loader_parse_spill_policy(const char *s, enum loader_spill_policy *out)
{
	if (s && strcmp(s, "reject") == 0)
		*out = LOADER_SPILL_REJECT;
	else if (s && strcmp(s, "warn") == 0)
		*out = LOADER_SPILL_WARN;
	else
		return TH_EINVAL;
	return TH_OK;
}

/* Imports as phase 2 resolves them: every symbol a loaded section's
 * relocation names that the object does not define; an undefined weak one
 * may stay unresolved (0).  Returns the first error. */
static int lint_imports(struct elf_obj *o, const struct loader_lint_target *t,
			void (*report)(void *, const char *, const char *), void *ctx)
{
	uint8_t *seen = kcalloc(o->nsym, 1);
	size_t i, j;
	int first = TH_OK;

	if (!seen) {
		say(report, ctx, "error", "%s: no memory", o->info.name);
		return TH_ENOMEM;
	}
	for (i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		const struct elf64_rela *r;

		if (s->type != SHT_RELA || o->cls[s->info] == SEC_NONE)
			continue;
		r = (const struct elf64_rela *)(o->data + s->offset);
		for (j = 0; j < s->size / sizeof *r; j++) {
			uint32_t si = ELF_R_SYM(r[j].info);
			const struct elf64_sym *y = &o->sym[si];
			const char *name = elf_sym_name(o, si);

			if (si == 0 || seen[si] || y->shndx != SHN_UNDEF ||
			    ELF_R_TYPE(r[j].info) == R_X86_64_NONE)
				continue;
			seen[si] = 1;
			if (t->lookup(t->ctx, name))
				continue;
			if (ELF_ST_BIND(y->info) == STB_WEAK) {
				say(report, ctx, "info", "%s: weak import %s is not exported: it will be 0",
				    o->info.name, name);
				continue;
			}
			say(report, ctx, "error", "%s: undefined symbol %s (used in %s)%s [ENOSYM]%s",
			    o->info.name, name, elf_sec_name(o, i), loader_undef_hint(name),
			    strncmp(name, "__", 2) ? " (lint: name the module that exports it with "
			    "--with OBJ)" : "");
			if (!first)
				first = TH_ENOSYM;
		}
	}
	for (i = 1; i < o->nsym; i++) {
		const char *owner;
		if (!elf_sym_is_export(o, i) || ELF_ST_BIND(o->sym[i].info) == STB_WEAK)
			continue;
		owner = t->lookup(t->ctx, elf_sym_name(o, i));
		if (owner && strcmp(owner, o->info.name) != 0 && t->strong && t->strong(t->ctx, elf_sym_name(o, i))) {
			say(report, ctx, "error", "%s: duplicate symbol %s (already exported by %s) "
			    "[EDUPSYM]", o->info.name, elf_sym_name(o, i), owner);
			if (!first)
				first = TH_EDUPSYM;
		}
	}
	kfree(seen);
	return first;
}

int loader_lint(const void *data, size_t len, enum loader_spill_policy policy,
		const struct loader_lint_target *target,
		void (*report)(void *ctx, const char *level, const char *text), void *ctx)
{
	struct th_errbuf eb = {{0}};
	struct elf_obj o;
	size_t i, spill = 0, undef = 0, debug;
	int err;

	err = elf_parse(data, len, NULL, &o, &eb);
	if (err) {
		say(report, ctx, "error", "%s [%s]", eb.msg, th_err_name(err));
		return err;
	}
	say(report, ctx, "info", "module %s %s: \"%s\" (module API %u)", o.info.name,
	    o.info.version, o.info.description, (unsigned)o.info.abi);
	for (i = 1; i < o.shnum; i++) {
		if (o.cls[i] != SEC_DATA || o.sh[i].size == 0)
			continue;
		spill += o.sh[i].size;
		say(report, ctx, policy == LOADER_SPILL_REJECT ? "error" : "warning",
		    "%s: state spill: section %s holds %llu bytes (keep state in statedb)",
		    o.info.name, elf_sec_name(&o, i), (unsigned long long)o.sh[i].size);
	}
	for (i = 1, debug = 0; i < o.shnum; i++)
		if (strncmp(elf_sec_name(&o, i), ".debug", 6) == 0)
			debug += o.sh[i].size;
	if (debug)
		say(report, ctx, "warning", "%s: %zu bytes of debug info: push it stripped (objcopy "
		    "--strip-debug --keep-file-symbols; the kit's builds write NAME.o so and keep "
		    "NAME.debug for gdb)", o.info.name, debug);
	for (i = 1; i < o.nsym; i++)
		if (o.sym[i].shndx == SHN_UNDEF && o.sym[i].name && elf_sym_name(&o, i)[0])
			undef++;
	say(report, ctx, "info", "%s: %zu exports, %zu imports, %zu relocations, %zu spill bytes",
	    o.info.name, o.n_exports, undef, o.n_relocs, spill);
	if (target && target->lookup)
		err = lint_imports(&o, target, report, ctx);
	elf_release(&o);
	if (!err && spill && policy == LOADER_SPILL_REJECT)
		err = TH_ESPILL;
	return err;
}

int loader_lint_exports(const void *data, size_t len,
			void (*each)(void *ctx, const char *module, const char *name, bool weak),
			void *ctx, struct th_errbuf *eb)
{
	struct elf_obj o;
	size_t i;
	int err = elf_parse(data, len, NULL, &o, eb);

	if (err)
		return err;
	for (i = 1; i < o.nsym; i++)
		if (elf_sym_is_export(&o, i))
			each(ctx, o.info.name, elf_sym_name(&o, i),
			     ELF_ST_BIND(o.sym[i].info) == STB_WEAK);
	elf_release(&o);
	return TH_OK;
}

unsigned loader_module_api(void)
{
	return TH_MODULE_API;
}
