/*
 * ksyms.h - address to symbol name, for fault reports and backtraces.
 * The kernel's own table is generated at link time (second link pass);
 * the module loader adds a resolver for addresses inside modules.
 */
#ifndef THESEUS_KSYMS_H
#define THESEUS_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
};

/* Name of the symbol containing addr (largest start <= addr) and the offset. */
bool ksyms_lookup(uint64_t addr, const char **name, uint64_t *offset);

/* A second resolver consulted first (modules); returns false if not its address. */
typedef bool (*ksyms_resolver_fn)(uint64_t addr, const char **name, uint64_t *offset,
				  const char **module);
void ksyms_set_module_resolver(ksyms_resolver_fn fn);
/* Either resolver: *module is NULL for a kernel symbol. */
bool ksyms_resolve(uint64_t addr, const char **name, uint64_t *offset, const char **module);
/* "name+0x12 [module]" or "0x1234" into buf. */
void ksyms_format(uint64_t addr, char *buf, size_t cap);

#endif
