/*
 * lint.c - loader_lint(): the loader's complete check of an object without
 * loading it, for theseus-lint (`theseusctl lint`): everything elf_parse()
 * checks (headers, sections, symbols, relocation types, module record and
 * API version, COMMON, the kit's flags in every file, TH_EXPORT records),
 * state spill, and, given the target's export list, what the linker would
 * refuse: imports nothing exports (with what to change) and exports that
 * clash with a strong definition there.  Then it links the object as the
 * kernel does, into a scratch copy laid out at a kernel-like address: the
 * module size limit (layout_plan.c), every relocation with its overflow
 * check (relocate.c) and the records' code pointers (records.c).  Uses only
 * those files, elf_parse.c and reloc.c, so it links without the rest.
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
			    /* the generic hint (what the empty name gets): another module's */
			    strcmp(loader_undef_hint(name), loader_undef_hint("")) == 0
			    ? " (lint: name the module that exports it with --with OBJ)" : "");
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

/* Lint lays the module out where the kernel would put it: module memory is
 * identity-mapped below 2 GiB (modmem.h) and the kernel image sits at 1 MiB
 * (kernel/arch/linker.ld).  Imports resolve to the kernel's address; only a
 * relocation whose fit depends on where exactly things land (an addend near
 * the limit of its field) can still differ from the kernel's verdict. */
#define LINT_MODULE_BASE ((uintptr_t)0x01000000u)
#define LINT_IMPORT_ADDR ((uintptr_t)0x00100000u)

struct lint_link {
	const struct elf_obj *o;
	const struct loader_lint_target *t;
	const size_t *sec_off;
};

/* As phase 2 resolves: the object's own definitions at their place in the
 * layout, imports at the kernel's address (an import nothing exports is
 * lint_imports' finding; here it stands in for wherever it will be), an
 * undefined weak one nothing exports 0. */
static int lint_resolve(void *ctx, uint32_t si, const char *relsec, uintptr_t *addr,
			struct th_errbuf *eb)
{
	const struct lint_link *l = ctx;
	const struct elf64_sym *y = &l->o->sym[si];

	(void)relsec;
	(void)eb;
	if (si == 0)
		*addr = 0;
	else if (y->shndx == SHN_ABS)
		*addr = (uintptr_t)y->value;
	else if (y->shndx != SHN_UNDEF)
		*addr = LINT_MODULE_BASE + l->sec_off[y->shndx] + (uintptr_t)y->value;
	else if (ELF_ST_BIND(y->info) == STB_WEAK &&
		 (!l->t || !l->t->lookup || !l->t->lookup(l->t->ctx, elf_sym_name(l->o, si))))
		*addr = 0;
	else
		*addr = LINT_IMPORT_ADDR;
	return TH_OK;
}

/* What the kernel checks once it places the module: the layout and its
 * limit, every relocation applied (into a scratch copy) with its overflow
 * check, and the code pointers of the relocated records. */
static int lint_link(const struct elf_obj *o, const struct loader_lint_target *t,
		     void (*report)(void *, const char *, const char *), void *ctx)
{
	struct th_errbuf eb = {{0}};
	struct region reg[SEC_NCLASS];
	size_t *sec_off = kcalloc(o->shnum, sizeof *sec_off), total = 0, i;
	struct lint_link l = { o, t, sec_off };
	struct link_resolver rs = { lint_resolve, NULL, &l };
	uint8_t *buf = NULL;
	int err;

	memset(reg, 0, sizeof reg);
	if (!sec_off) {
		err = th_errf(&eb, TH_ENOMEM, "%s: no memory for the layout", o->info.name);
		goto out;
	}
	err = layout_plan(o, sec_off, reg, &total, &eb);
	if (err)
		goto out;
	buf = kcalloc(total ? total : 1, 1);
	if (!buf) {
		err = th_errf(&eb, TH_ENOMEM, "%s: no memory for a %zu-byte scratch copy",
			      o->info.name, total);
		goto out;
	}
	for (i = 1; i < o->shnum; i++)
		if (o->cls[i] != SEC_NONE && o->sh[i].type != SHT_NOBITS && o->sh[i].size)
			memcpy(buf + sec_off[i], o->data + o->sh[i].offset, o->sh[i].size);
	err = link_relocate(o, buf, LINT_MODULE_BASE, sec_off, o->info.name, &rs, &eb);
	if (!err)
		err = link_check_records(o, buf, LINT_MODULE_BASE, sec_off, &reg[SEC_TEXT],
					 o->info.name, &eb);
out:
	if (err)
		say(report, ctx, "error", "%s [%s]", eb.msg, th_err_name(err));
	kfree(buf);
	kfree(sec_off);
	return err;
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
	{
		int lerr = lint_link(&o, target, report, ctx);
		if (!err)
			err = lerr;
	}
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
