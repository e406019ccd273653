/*
 * module_abi.h - what a module object carries for the loader: its metadata
 * record in the ELF section ".theseus.module", written with TH_MODULE().
 *
 * Shared by the kernel's loader, the host-side lint, and modules (through
 * theseus.h).  The record is read after relocation, so its function pointers
 * may point anywhere in the module.
 */
#ifndef THESEUS_MODULE_ABI_H
#define THESEUS_MODULE_ABI_H

#include <stdint.h>

#define TH_MODULE_ABI 1
#define TH_MODULE_SECTION ".theseus.module"
#define TH_MODULE_NAME_MAX 32
#define TH_MODULE_VERSION_MAX 16
#define TH_MODULE_DESC_MAX 80

struct th_module_info;

struct th_module_info {
	uint32_t abi;                        /* TH_MODULE_ABI */
	uint32_t reserved;
	char name[TH_MODULE_NAME_MAX];       /* NUL-terminated, [a-z0-9_] */
	char version[TH_MODULE_VERSION_MAX]; /* e.g. "1.0" */
	char description[TH_MODULE_DESC_MAX];
	/* Optional: called after linking; an error fails (and undoes) the load. */
	int (*init)(void);
	/* Optional: called before the module is unloaded or swapped out. */
	void (*fini)(void);
	/* Optional: called on the new version during a live swap, with the old
	 * version's record; an error rolls the swap back. */
	int (*transfer)(const struct th_module_info *old);
};

/*
 * TH_MODULE("name", "version", "one line", .init = f, ...): the one macro that
 * declares a module.  The record is static, so modules never collide on it.
 */
#define TH_MODULE(name_, version_, desc_, ...)                                  \
	__attribute__((used, section(TH_MODULE_SECTION), aligned(8)))            \
	static const struct th_module_info th_module_info_ = {                   \
		.abi = TH_MODULE_ABI,                                            \
		.name = name_,                                                   \
		.version = version_,                                             \
		.description = desc_,                                            \
		__VA_ARGS__}

#endif
