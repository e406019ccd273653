/*
 * funcs.c - what a module's own symbol table says about its code: every
 * function symbol (static ones too) with address and size, kept for fault
 * reports and backtraces ("hello_greet+0x9"), and the module's TH_INVOKE
 * records: the functions it declares invocable (module_abi.h; that each
 * points into the module's code is checked by records.c).
 */
#include "loader_impl.h"

int funcs_collect(const struct elf_obj *o, struct module *m, struct th_errbuf *eb)
{
	size_t i, n = 0, bytes = 0, pos = 0;

	for (i = 1; i < o->nsym; i++) {
		const struct elf64_sym *y = &o->sym[i];
		if (ELF_ST_TYPE(y->info) != STT_FUNC || y->shndx == SHN_UNDEF ||
		    y->shndx >= o->shnum || o->cls[y->shndx] != SEC_TEXT || !y->name)
			continue;
		n++;
		bytes += strlen(elf_sym_name(o, i)) + 1;
	}
	if (!n)
		return TH_OK;
	m->funcs = kcalloc(n, sizeof *m->funcs);
	m->fnames = kmalloc(bytes);
	if (!m->funcs || !m->fnames)
		return th_errf(eb, TH_ENOMEM, "%s: no memory for its symbol table", m->name);
	for (i = 1; i < o->nsym; i++) {
		const struct elf64_sym *y = &o->sym[i];
		if (ELF_ST_TYPE(y->info) != STT_FUNC || y->shndx == SHN_UNDEF ||
		    y->shndx >= o->shnum || o->cls[y->shndx] != SEC_TEXT || !y->name)
			continue;
		struct lfunc *f = &m->funcs[m->n_funcs++];
		size_t l = strlen(elf_sym_name(o, i)) + 1;
		memcpy(m->fnames + pos, elf_sym_name(o, i), l);
		f->name = m->fnames + pos;
		pos += l;
		f->addr = (uintptr_t)(m->mem + m->sec_off[y->shndx] + y->value);
		f->size = (size_t)y->size;
	}
	return TH_OK;
}

static bool in_text(const struct module *m, uintptr_t a)
{
	uintptr_t t = (uintptr_t)m->mem + m->reg[SEC_TEXT].off;
	return a >= t && a < t + m->reg[SEC_TEXT].size;
}

void funcs_bind_invokes(const struct elf_obj *o, struct module *m)
{
	if (!o->invoke_idx)
		return;
	m->invokes = (const th_invoke_fn *)(m->mem + m->sec_off[o->invoke_idx]);
	m->n_invokes = o->sh[o->invoke_idx].size / sizeof(th_invoke_fn);
}

void funcs_free(struct module *m)
{
	kfree(m->funcs);
	kfree(m->fnames);
	m->funcs = NULL;
	m->fnames = NULL;
	m->n_funcs = 0;
}

bool loader_module_invocable(const struct module *m, uintptr_t addr)
{
	for (size_t i = 0; m && i < m->n_invokes; i++)
		if ((uintptr_t)m->invokes[i] == addr)
			return true;
	return false;
}

struct module *loader_module_of_addr(uintptr_t addr)
{
	for (struct module *m = loader_first(); m; m = loader_next(m))
		if (in_text(m, addr))
			return m;
	return NULL;
}

bool loader_symbolize(uint64_t addr, const char **name, uint64_t *offset, const char **module)
{
	/* Listed first; else a version no longer listed whose code still runs
	 * (a swapped-out version's fini, a retired version's task). */
	const struct module *m = loader_module_of_addr((uintptr_t)addr);
	if (!m)
		m = loader_module_in_memory_of((uintptr_t)addr);
	const struct lfunc *best = NULL;
	if (!m)
		return false;
	for (size_t i = 0; i < m->n_funcs; i++) {
		const struct lfunc *f = &m->funcs[i];
		if (f->addr <= addr && (!best || f->addr > best->addr))
			best = f;
	}
	*module = m->name;
	*name = best ? best->name : "?";
	*offset = best ? addr - best->addr : addr - ((uintptr_t)m->mem + m->reg[SEC_TEXT].off);
	return true;
}
