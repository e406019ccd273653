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

#include <stddef.h>
#include <stdint.h>

/* The module API version: what a module is built against (theseus.h, the
 * kernel's export list, this record, the export rules) and what the loader
 * checks ("built for module API N, kernel has M").  Bump it on any
 * incompatible change.  2: only TH_EXPORT/TH_INVOKE symbols are exported. */
#define TH_MODULE_API 2
#define TH_MODULE_ABI TH_MODULE_API
/* The module kit's flags define this absolute symbol in every file they
 * compile (-include kit_mark.h: `.set __theseus_kit_flags, API`, for gcc and
 * clang alike); the loader refuses an
 * object with a file lacking it (built without the kit's flags: red zone,
 * PIC, SSE, stack protector). */
#define TH_KIT_MARK "__theseus_kit_flags"
#define TH_MODULE_SECTION ".theseus.module"
#define TH_MODULE_NAME_MAX 32
#define TH_MODULE_VERSION_MAX 16
#define TH_MODULE_DESC_MAX 80

struct th_module_info;

struct th_module_info {
	uint32_t abi;                        /* TH_MODULE_API it was built for */
	uint32_t reserved;
	char name[TH_MODULE_NAME_MAX];       /* NUL-terminated, [a-z0-9_] */
	char version[TH_MODULE_VERSION_MAX]; /* e.g. "1.0": 1-15 of [A-Za-z0-9_.-] */
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
#ifndef __cplusplus
#define TH_MODULE(name_, version_, desc_, ...)                                  \
	__attribute__((used, section(TH_MODULE_SECTION), aligned(8)))            \
	static const struct th_module_info th_module_info_ = {                   \
		.abi = TH_MODULE_API,                                            \
		.name = name_,                                                   \
		.version = version_,                                             \
		.description = desc_,                                            \
		__VA_ARGS__}
#else
/* C++: the same record (designated initializers in declaration order:
 * .init, .fini, .transfer); the hooks left out are null, which g++ -Wextra
 * would warn about. */
#define TH_MODULE(name_, version_, desc_, ...)                                  \
	_Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")      \
	__attribute__((used, section(TH_MODULE_SECTION), aligned(8)))            \
	static const struct th_module_info th_module_info_ = {                   \
		.abi = TH_MODULE_API,                                            \
		.reserved = 0,                                                   \
		.name = name_,                                                   \
		.version = version_,                                             \
		.description = desc_,                                            \
		__VA_ARGS__}
#endif

/*
 * TH_EXPORT(sym); after sym's definition: sym (a global function or object)
 * is exported, i.e. other modules may link against it.  Every other global
 * of a module is private to it: two modules may bundle the same library
 * without clashing.  The record is a pointer to sym in section
 * ".theseus.export"; the loader reads which symbol its relocation names
 * (so a static sym is refused: it has no name to export).
 */
#define TH_EXPORT_SECTION ".theseus.export"
#define TH_EXPORT(sym_)                                                          \
	__attribute__((used, section(TH_EXPORT_SECTION), aligned(8)))            \
	static __typeof__(sym_) *const th_export_rec_##sym_ = &sym_

/*
 * TH_INVOKE(fn); after fn's definition: fn may be called by name over the
 * network (theseusctl invoke MODULE fn).  It must have the invoke signature
 * (checked here by the compiler).  The record is a pointer to fn in section
 * ".theseus.invoke", which the loader reads; the kernel refuses to invoke
 * any other function ("f is not declared invocable (TH_INVOKE)").  fn is
 * exported as by TH_EXPORT (it must be global).
 */
#define TH_INVOKE_SECTION ".theseus.invoke"
typedef int (*th_invoke_fn)(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
			    size_t *out_len);
#define TH_INVOKE(fn_)                                                           \
	__attribute__((used, section(TH_INVOKE_SECTION), aligned(8)))            \
	static th_invoke_fn const th_invoke_rec_##fn_ = fn_

#endif
