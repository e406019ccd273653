/*
 * ksyms.c - symbol lookup over the generated kernel table (sorted by
 * address, text symbols only) and the module resolver.
 */
#include "ksyms.h"

#include "klibc.h"

extern const struct ksym ksyms_table[];
extern const size_t ksyms_count;
extern char _text_start[], _text_end[];
static ksyms_resolver_fn module_resolver;

void ksyms_set_module_resolver(ksyms_resolver_fn fn) { module_resolver = fn; }

bool ksyms_lookup(uint64_t addr, const char **name, uint64_t *offset)
{
	if (addr < (uint64_t)_text_start || addr >= (uint64_t)_text_end || !ksyms_count)
		return false;
	size_t lo = 0, hi = ksyms_count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_table[lo].addr > addr)
		return false;
	*name = ksyms_table[lo].name;
	*offset = addr - ksyms_table[lo].addr;
	return true;
}

bool ksyms_resolve(uint64_t addr, const char **name, uint64_t *offset, const char **module)
{
	if (module_resolver && module_resolver(addr, name, offset, module))
		return true;
	*module = NULL;
	return ksyms_lookup(addr, name, offset);
}

void ksyms_format(uint64_t addr, char *buf, size_t cap)
{
	const char *name, *module;
	uint64_t off;
	if (module_resolver && module_resolver(addr, &name, &off, &module))
		snprintf(buf, cap, "%s+%#llx [%s]", name, (unsigned long long)off, module);
	else if (ksyms_lookup(addr, &name, &off))
		snprintf(buf, cap, "%s+%#llx", name, (unsigned long long)off);
	else
		snprintf(buf, cap, "%#llx", (unsigned long long)addr);
}
