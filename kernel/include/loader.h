/*
 * loader.h - the nano_core's module loader and linker.
 *
 * A module is one ELF64 relocatable object (built by modules/modules.mk).  The
 * loader validates it completely, lays its sections out in page-aligned
 * regions (text R-X, rodata R--, data/bss RW-, all but text NX), resolves its
 * undefined symbols against one flat namespace (the kernel's export table plus
 * the exports of every loaded module), applies the x86_64 relocations with
 * overflow checks, seals the regions and calls the module's init function.
 *
 * Every relocation that resolves into another module is recorded as a
 * dependency edge (struct loader_edge): per target module the list of sites
 * that point into it (what a live swap rewrites), per dependent module the
 * edges it owns (removed when it is unloaded).
 *
 * Call order:
 *     loader_init(kexports, n, &eb);          once, at boot
 *     loader_set_spill_policy(...);           optional, from the command line
 *     loader_load_batch(blobs, n, mods, &eb); any number of times
 *     loader_unload(m, &eb);                  refused while others depend on m
 *
 * Not reentrant: the caller serialises loader calls (one control task); a call
 * made from a module's init function gets TH_EBUSY.  Builds for the kernel and
 * for the host (tests, theseus-lint).
 */
#ifndef THESEUS_LOADER_H
#define THESEUS_LOADER_H

#include "klibc.h"

/* One entry of the kernel's explicit export list (kernel/core/exports.c). */
struct kexport {
	const char *name;
	void *addr;
};

/* One object file to load: bytes only read during the call (may be freed after).
 * data must be 8-byte aligned.  name is used in messages until the module's
 * own name is known (e.g. the boot module's command line); may be NULL.
 * module, when not NULL, is the module the object must declare in
 * TH_MODULE() (a load that names it): another is refused with TH_EINVAL
 * ("object for 'x' declares module 'y'") while the object is parsed, before
 * anything of it runs. */
struct loader_blob {
	const void *data;
	size_t len;
	const char *name;
	const char *module;
};

/* A loaded module (opaque). */
struct module;

/*
 * What to do with state spill: writable allocated sections (.data, .bss)
 * with a non-zero size.  Default LOADER_SPILL_WARN: each section is logged
 * (module, section, size) and the module loads; LOADER_SPILL_REJECT: the load
 * fails with TH_ESPILL naming the sections.  Kernel command line
 * "spill=reject" / "spill=warn".
 */
enum loader_spill_policy {
	LOADER_SPILL_WARN = 0,
	LOADER_SPILL_REJECT = 1,
};

/* A recorded dependency: the relocation at `site` in `dependent` resolves to
 * symbol `symbol` of module `target` (address + addend, per `type`). */
struct loader_edge {
	struct module *target;
	const char *symbol;          /* name, owned by target */
	struct module *dependent;
	uintptr_t site;              /* address of the patched bytes */
	uint32_t type;               /* R_X86_64_* */
	int64_t addend;
	/* Links: the target's list of incoming edges (doubly linked). */
	struct loader_edge *next_in, *prev_in;
};

/* Set up the namespace with the kernel's exports.  Duplicate or NULL names
 * are TH_EDUPSYM / TH_EINVAL.  May be called again only with no module loaded. */
int loader_init(const struct kexport *exports, size_t n, struct th_errbuf *eb) TH_MUST_CHECK;

void loader_set_spill_policy(enum loader_spill_policy p);
enum loader_spill_policy loader_get_spill_policy(void);
/* "reject" / "warn" -> policy; TH_EINVAL otherwise. */
int loader_parse_spill_policy(const char *s, enum loader_spill_policy *out) TH_MUST_CHECK;

/* Whether loads call init and unloads call fini (default true).  false is for
 * the fuzzer and for verify-only links: nothing of the module runs. */
void loader_set_run_hooks(bool on);

/*
 * Load n objects as one transaction: phase 1 validates, maps and registers the
 * exports of all of them (so they may depend on each other in any order),
 * phase 2 resolves and applies every relocation and records the edges, then
 * the regions are sealed, and phase 3 calls the init functions (dependencies
 * first).  On success out[i] is the module of blobs[i] (out may be NULL).
 * On any failure nothing stays: the namespace, the module list and every
 * dependency record are exactly as before; eb names the module and cause.
 * Errors: TH_EBADELF (malformed), TH_ENOSYM, TH_EDUPSYM, TH_EEXIST (module
 * name taken), TH_ERELOC, TH_EOVERFLOW, TH_ESPILL, TH_ENOTSUP (COMMON),
 * TH_ETOOBIG, TH_ENOMEM, TH_EINIT, TH_EBUSY, TH_EINVAL.
 */
int loader_load_batch(const struct loader_blob *blobs, size_t n, struct module **out,
		      struct th_errbuf *eb) TH_MUST_CHECK;
/* loader_load_batch, and on failure *culprit = the index of the object that
 * failed (refused in a phase, or whose constructor or init failed), or n
 * when no one object is to blame (busy, out of memory, a bad batch). */
int loader_load_batch_blame(const struct loader_blob *blobs, size_t n, struct module **out,
			    size_t *culprit, struct th_errbuf *eb) TH_MUST_CHECK;
/* loader_load_batch_blame, except when the batch fails after its init hooks
 * began (a hook may have started a task that still runs in its module): its
 * modules are then not freed but retired, out of the namespace and the module
 * list with their memory and edges kept, and given in retired[0..*n_retired)
 * (room for n), for the caller to free with loader_retired_free(_set) once
 * no task runs in them.  *n_retired is 0 when nothing was retired. */
int loader_load_batch_retire(const struct loader_blob *blobs, size_t n, struct module **out,
			     size_t *culprit, struct module **retired, size_t *n_retired,
			     struct th_errbuf *eb) TH_MUST_CHECK;
/* One object: loader_load_batch(&blob, 1, out, eb). */
int loader_load(const void *data, size_t len, const char *name, struct module **out,
		struct th_errbuf *eb) TH_MUST_CHECK;

/* Call fini, drop its exports and edges, free its memory.  TH_EDEPEND (eb lists
 * the dependent modules) while another module has an edge into it. */
int loader_unload(struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;

/* Unload a set together (e.g. modules that depend on each other): refused
 * with TH_EDEPEND only for dependents outside the set.  fini in reverse order.
 * The same module twice in mods is TH_EINVAL's caller error: don't. */
int loader_unload_batch(struct module **mods, size_t n, struct th_errbuf *eb) TH_MUST_CHECK;

/* The loaded module called name, or NULL. */
struct module *loader_find(const char *name);
/* Address of a namespace symbol; *owner is the module or NULL for a kernel
 * export (owner may be NULL).  TH_ENOENT if unknown. */
int loader_lookup_symbol(const char *name, uintptr_t *addr, struct module **owner) TH_MUST_CHECK;
/* Number of symbols in the namespace (kernel exports + module exports). */
size_t loader_symbol_count(void);
/* Number of loaded modules. */
size_t loader_module_count(void);
/* The export list modules link against, as `theseusctl exports` shows it:
 * the kernel's exports in table order, then each loaded module's exports in
 * load order.  loader_export_at gives symbol number index: its name, owner
 * (NULL: the kernel) and whether it is weak; TH_ENOENT past the end. */
size_t loader_export_count(void);
/* A number that changes whenever the list does (a load, swap, unload): a
 * reader of several pages starts again when it differs between them. */
uint64_t loader_export_generation(void);
int loader_export_at(size_t index, const char **name, const struct module **owner, bool *weak)
	TH_MUST_CHECK;

/* Iteration in load order: for (m = loader_first(); m; m = loader_next(m)). */
struct module *loader_first(void);
struct module *loader_next(const struct module *m);
/* The index-th module in load order (0-based), NULL past the end. */
struct module *loader_module_at(size_t index);

struct loader_module_desc {
	const char *name, *version, *description;
	uintptr_t base;      /* load address (start of its memory) */
	size_t size;         /* bytes of memory it holds (whole pages) */
	size_t text, rodata, data; /* bytes per region (before page rounding) */
	size_t spill;        /* bytes in writable sections (0 = spill-free) */
	size_t exports;      /* symbols it adds to the namespace */
	size_t edges_out;    /* relocations into other modules */
	size_t edges_in;     /* relocations of other modules into it */
};
void loader_module_describe(const struct module *m, struct loader_module_desc *out);
/* Fill up to max distinct modules m depends on; returns how many there are. */
size_t loader_module_deps(const struct module *m, struct module **out, size_t max);
/* The module's metadata record (in its sealed memory). */
const struct th_module_info *loader_module_info(const struct module *m);
/* Incoming edges of m: for (e = loader_edges_in(m); e; e = e->next_in). */
struct loader_edge *loader_edges_in(const struct module *m);
/* Edges owned by m (its relocations into other modules): an array of *n. */
struct loader_edge *loader_edges_out(const struct module *m, size_t *n);

/* Human-readable module list, one line per module:
 *   "name version size=N base=0x... exports=N deps=a,b  description"
 * Writes at most len bytes (NUL-terminated if len > 0) and returns the length
 * the full text needs, like snprintf. */
size_t loader_format_list(char *buf, size_t len);

/* Re-apply the relocation of edge e with a new symbol address (swap): checks
 * overflow, makes the page writable for the write, restores its protection.
 * Does not move the edge; the swap engine does that. */
int loader_relink_site(const struct loader_edge *e, uintptr_t new_symbol_addr,
		       struct th_errbuf *eb) TH_MUST_CHECK;

/* ---- live swap support (kernel/loader/stage.c; the engine is kernel/swap) ---
 *
 *   loader_stage_batch(blobs, old, n, &st, eb);  load beside old[0..n-1]
 *   loader_stage_verify(st, eb);                 dependents' symbols all there?
 *   (interrupts off) loader_stage_commit(st, eb); hooks; maybe _revert(st)
 *   loader_stage_end(st, retired);               always, exactly once
 *
 * Blob i replaces old[i] and must declare the same module name.  Staging
 * validates, maps, resolves (references among the batch resolve to the new
 * objects, all others as usual; a reference to a replaced module's symbol
 * that the batch does not export is TH_ENOSYM), relocates and seals the new
 * objects, but registers no export, lists no module and calls no hook; the
 * loader stays held (other loader calls get TH_EBUSY) until loader_stage_end.
 * Nothing visible changes before the commit; loader_stage_end without a
 * commit frees the new modules and leaves everything exactly as before.
 */
struct loader_stage;
int loader_stage_batch(const struct loader_blob *blobs, struct module *const *old, size_t n,
		       struct loader_stage **out, struct th_errbuf *eb) TH_MUST_CHECK;
/* Every symbol a live dependent (a listed module outside the set) uses in
 * old[i] must be exported by the new batch: else TH_ENOSYM naming the
 * dependent, the symbol and the module.  Changes nothing. */
int loader_stage_verify(struct loader_stage *st, struct th_errbuf *eb) TH_MUST_CHECK;
/* The switch-over: relink every recorded site into the old modules to the
 * new addresses (loader_relink_site, W^X restored), move the edges, replace
 * the old exports by the new ones in the namespace and the old modules by the
 * new ones in the module list (same position).  No hooks run.  The caller
 * keeps interrupts off so no call sees a half-done state.  On failure
 * everything is as before. */
int loader_stage_commit(struct loader_stage *st, struct th_errbuf *eb) TH_MUST_CHECK;
/* Undo a successful commit exactly: sites, edges, namespace, list. */
void loader_stage_revert(struct loader_stage *st);
size_t loader_stage_count(const struct loader_stage *st);
struct module *loader_stage_new(const struct loader_stage *st, size_t i);
/* Sites relinked by the commit. */
size_t loader_stage_sites(const struct loader_stage *st);
/* Release st and the loader.  Committed: retired[i] = old[i] (unlisted, no
 * exports, memory and out-edges kept: free with loader_retired_free once no
 * task can run in it).  Not committed: the new modules are freed and
 * retired[i] = NULL.  retired may be NULL. */
void loader_stage_end(struct loader_stage *st, struct module **retired);
/* Retire a listed module without a replacement (an unload by the swap
 * engine, which calls its fini): its exports leave the namespace and it
 * leaves the module list; memory and out-edges are kept until
 * loader_retired_free, once no task can run in it.  TH_EDEPEND naming them
 * while listed modules link into it; TH_EINVAL if m is not listed. */
int loader_retire(struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
/* Free a retired module.  TH_EBUSY while sites of other retired modules
 * still point into it (free those first), or while the loader is busy. */
int loader_retired_free(struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
/* Retire the n listed modules mods[] together, like loader_retire each,
 * but edges between them do not hold them back (modules that depend on
 * each other, a cycle, can only go together).  TH_EDEPEND naming them while
 * a listed module outside the set links into one; TH_EINVAL if one is not
 * listed or named twice. */
int loader_retire_set(struct module *const *mods, size_t n, struct th_errbuf *eb) TH_MUST_CHECK;
/* Whether every edge into the retired modules mods[] comes from one of them. */
bool loader_retired_set_closed(struct module *const *mods, size_t n);
/* Free the n retired modules mods[] together (they may link into each
 * other).  TH_EBUSY while sites of a module outside the set point into one
 * of them (loader_retired_set_closed is false), or while the loader is busy. */
int loader_retired_free_set(struct module *const *mods, size_t n, struct th_errbuf *eb)
	TH_MUST_CHECK;
/* Whether addr lies in m's memory (code, rodata, data). */
bool loader_module_contains(const struct module *m, uintptr_t addr);
const char *loader_module_name(const struct module *m);
/* A number unique to this load of the module (never reused). */
uint64_t loader_module_serial(const struct module *m);
const char *loader_module_version(const struct module *m);

/* m's constructors (.init_array), each a guarded call, in order: run them
 * before its init or transfer hook; an error (a fault: TH_EFAULT) names
 * which.  Its destructors (.fini_array) run after its fini hook.  The
 * loader does both itself for loads and unloads; the swap engine for the
 * versions it switches. */
int loader_run_ctors(const struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
void loader_run_dtors(const struct module *m);

/* Whether addr is one of m's TH_INVOKE functions (module_abi.h). */
bool loader_module_invocable(const struct module *m, uintptr_t addr);
/* The listed module whose code holds addr, or NULL. */
struct module *loader_module_of_addr(uintptr_t addr);
/* The function of a module's own symbol table (static ones too) that holds
 * addr: name, offset, module name (a ksyms resolver).  Listed modules
 * first, then any still in memory (staged, or swapped out and not freed
 * yet: a retired version's fini or task).  false if addr is in no module's
 * code. */
bool loader_symbolize(uint64_t addr, const char **name, uint64_t *offset, const char **module);

/* What lint resolves an object against (theseus-lint: the kernel's export
 * list, exports.txt, plus the objects expected to be loaded with it).
 * lookup(ctx, name) names who exports name ("the kernel", a module) or is
 * NULL; strong(ctx, name) says whether that definition is strong (a clash
 * with the object's own strong export is EDUPSYM), NULL: all are. */
struct loader_lint_target {
	const char *(*lookup)(void *ctx, const char *name);
	bool (*strong)(void *ctx, const char *name);
	void *ctx;
};

/* Host-side complete check of an object without loading it (theseus-lint):
 * everything the loader checks before placing it (structure, record and
 * module API, COMMON, the kit's flags, relocation types, TH_EXPORT records),
 * spill, with a target (may be NULL) the imports and exports as linking
 * would see them, and what the loader checks once it places it (the module
 * size limit, relocation overflow, the record's code pointers), on a scratch
 * copy laid out at a kernel-like address.  Each finding is passed to report(level, text)
 * ("error"/"warning"/"info").  Returns the first error (spill is an error
 * only under LOADER_SPILL_REJECT). */
int loader_lint(const void *data, size_t len, enum loader_spill_policy policy,
		const struct loader_lint_target *target,
		void (*report)(void *ctx, const char *level, const char *text), void *ctx)
	TH_MUST_CHECK;
/* The module API version this loader accepts (TH_MODULE_API). */
unsigned loader_module_api(void);
/* The exports of an object (after the same checks as loader_lint, which
 * fail with eb naming the cause): each(ctx, module, name, weak). */
int loader_lint_exports(const void *data, size_t len,
			void (*each)(void *ctx, const char *module, const char *name, bool weak),
			void *ctx, struct th_errbuf *eb) TH_MUST_CHECK;

#endif
