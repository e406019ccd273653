/*
 * loader_impl.h - private to kernel/loader: the ELF64 definitions the loader
 * needs (written from the System V ABI, since the kernel has no <elf.h>), the
 * parsed-object view, the module and namespace structures.
 *
 * Files: elf_parse.c (validation), layout_plan.c (where sections go),
 * layout.c (module memory), symtab.c (namespace hash table), reloc.c (x86_64
 * relocations), relocate.c (the relocation pass), records.c (the record's
 * code pointers), loader.c (batches, unload), deps.c (edges), introspect.c
 * (listing), lint.c (host check).
 */
#ifndef THESEUS_LOADER_IMPL_H
#define THESEUS_LOADER_IMPL_H

#include "klibc.h"
#include "loader.h"
#include "module_abi.h"

typedef void (*th_ctor_fn)(void);

/* ---- ELF64 ------------------------------------------------------------- */
struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};
struct elf64_sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};
struct elf64_rela {
	uint64_t offset, info;
	int64_t addend;
};

#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_ET_REL 1
#define ELF_EM_X86_64 62

#define SHT_NULL 0
#define SHT_PROGBITS 1
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define SHT_RELA 4
#define SHT_NOBITS 8
#define SHT_NOTE 7
#define SHT_REL 9
#define SHT_INIT_ARRAY 14
#define SHT_FINI_ARRAY 15
#define SHT_PREINIT_ARRAY 16
#define SHT_X86_64_UNWIND 0x70000001u

#define SHF_WRITE 0x1
#define SHF_ALLOC 0x2
#define SHF_EXECINSTR 0x4
#define SHF_TLS 0x400

#define SHN_UNDEF 0
#define SHN_LORESERVE 0xff00
#define SHN_ABS 0xfff1
#define SHN_COMMON 0xfff2
#define SHN_XINDEX 0xffff

#define STB_LOCAL 0
#define STB_GLOBAL 1
#define STB_WEAK 2
#define STT_NOTYPE 0
#define STT_OBJECT 1
#define STT_FUNC 2
#define STT_SECTION 3
#define STT_FILE 4
#define STT_COMMON 5
#define STT_TLS 6
#define STT_GNU_IFUNC 10
#define STV_DEFAULT 0
#define STV_PROTECTED 3

#define ELF_ST_BIND(i) ((i) >> 4)
#define ELF_ST_TYPE(i) ((i)&0xf)
#define ELF_ST_VIS(o) ((o)&0x3)
#define ELF_R_SYM(i) ((uint32_t)((i) >> 32))
#define ELF_R_TYPE(i) ((uint32_t)(i))

#define R_X86_64_NONE 0
#define R_X86_64_64 1
#define R_X86_64_PC32 2
#define R_X86_64_GOT32 3
#define R_X86_64_PLT32 4
#define R_X86_64_GOTPCREL 9
#define R_X86_64_32 10
#define R_X86_64_32S 11
#define R_X86_64_PC64 24
#define R_X86_64_GOTOFF64 25
#define R_X86_64_GOTPC32 26
#define R_X86_64_GOTPCRELX 41
#define R_X86_64_REX_GOTPCRELX 42
/* Refused with what to change (reloc_type_check). */
#define R_X86_64_COPY 5
#define R_X86_64_GLOB_DAT 6
#define R_X86_64_JUMP_SLOT 7
#define R_X86_64_RELATIVE 8
#define R_X86_64_16 12
#define R_X86_64_PC16 13
#define R_X86_64_8 14
#define R_X86_64_PC8 15
#define R_X86_64_DTPMOD64 16
#define R_X86_64_DTPOFF64 17
#define R_X86_64_TPOFF64 18
#define R_X86_64_TLSGD 19
#define R_X86_64_TLSLD 20
#define R_X86_64_DTPOFF32 21
#define R_X86_64_GOTTPOFF 22
#define R_X86_64_TPOFF32 23
#define R_X86_64_GOT64 27
#define R_X86_64_GOTPCREL64 28
#define R_X86_64_GOTPC64 29
#define R_X86_64_GOTPLT64 30
#define R_X86_64_PLTOFF64 31
#define R_X86_64_SIZE32 32
#define R_X86_64_SIZE64 33
#define R_X86_64_GOTPC32_TLSDESC 34
#define R_X86_64_TLS_DESC_CALL 35
#define R_X86_64_TLSDESC 36
#define R_X86_64_IRELATIVE 37

/* ---- limits --------------------------------------------------------------- */
#define LOADER_PAGE 4096u
#define LOADER_MAX_MODULE_BYTES (64u << 20) /* memory one module may take */
#define LOADER_MAX_SECTIONS 4096u
#define LOADER_MAX_BATCH 64u

/* Section classes = regions, in layout order. */
enum sec_class { SEC_NONE = 0, SEC_TEXT, SEC_RODATA, SEC_DATA, SEC_NCLASS };

/* ---- a parsed, validated object (points into the caller's bytes) ---------- */
struct elf_obj {
	const uint8_t *data;
	size_t len;
	const char *label;                 /* for messages: blob name or module name */
	const struct elf64_ehdr *eh;
	const struct elf64_shdr *sh;       /* shnum entries */
	size_t shnum;
	const char *shstr;                 /* section name table */
	size_t shstr_len;
	const struct elf64_sym *sym;       /* the one SHT_SYMTAB */
	size_t nsym;
	const char *str;                   /* its string table */
	size_t str_len;
	size_t symtab_idx;
	uint8_t *cls;                      /* per section: enum sec_class (kcalloc) */
	size_t info_idx;                   /* section ".theseus.module" */
	size_t invoke_idx;                 /* section ".theseus.invoke" (0 = none) */
	size_t export_idx;                 /* section ".theseus.export" (0 = none) */
	uint8_t *exp;                      /* per symbol: exported (kcalloc) */
	struct th_module_info info;        /* copy of the record as in the file */
	size_t n_relocs;                   /* relocations applying to loaded sections */
	size_t n_undef_relocs;             /* ... of which against undefined or weak symbols */
	size_t n_exports;
	size_t export_name_bytes;
};

/* Parse and validate everything that does not depend on addresses. */
int elf_parse(const void *data, size_t len, const char *label, struct elf_obj *o,
	      struct th_errbuf *eb) TH_MUST_CHECK;
void elf_release(struct elf_obj *o);
/* Section name (validated at parse time). */
const char *elf_sec_name(const struct elf_obj *o, size_t idx);
/* Symbol name (validated at parse time). */
const char *elf_sym_name(const struct elf_obj *o, size_t idx);
/* Whether symbol idx is one this object exports (TH_EXPORT / TH_INVOKE). */
bool elf_sym_is_export(const struct elf_obj *o, size_t idx);
/* Whether a relocation type is one reloc.c applies; refusals get a message. */
int reloc_type_check(const struct elf_obj *o, size_t relsec, uint32_t type,
		     struct th_errbuf *eb) TH_MUST_CHECK;
const char *reloc_type_name(uint32_t type);
/* ": what to change" for an undefined symbol nothing exports. */
const char *loader_undef_hint(const char *name);

/* ---- symbol tables (symtab.c) ------------------------------------------------ */
struct lsym {
	const char *name;
	uintptr_t addr;
	struct module *owner;              /* NULL: kernel export */
	bool weak;                         /* a weak definition: a strong one beats it */
	uint32_t hash;
	struct lsym *hnext;
};
struct symtab {
	struct lsym **buckets;
	size_t nbuckets, count;
};
/* A table: find prefers a strong entry, else the oldest weak one; insert is
 * TH_EDUPSYM only for a second strong entry of a name. */
int symtab_insert_in(struct symtab *t, struct lsym *s, struct th_errbuf *eb) TH_MUST_CHECK;
void symtab_remove_in(struct symtab *t, struct lsym *s);
struct lsym *symtab_find_in(const struct symtab *t, const char *name);
int symtab_reserve_in(struct symtab *t, size_t extra) TH_MUST_CHECK;
void symtab_free(struct symtab *t);       /* drops the table, not the entries */
/* The namespace. */
int symtab_insert(struct lsym *s, struct th_errbuf *eb) TH_MUST_CHECK;
void symtab_remove(struct lsym *s);
/* Changes whenever the namespace does (insert, remove, reset). */
uint64_t symtab_generation(void);
struct lsym *symtab_find(const char *name);
/* The namespace entry of name that owner exports (even if shadowed). */
struct lsym *symtab_find_owned(const char *name, const struct module *owner);
size_t symtab_count(void);
void symtab_reset(void);
uint32_t symtab_hash(const char *name);

/* ---- a loaded module ------------------------------------------------------- */
struct region {
	size_t off, size;                  /* within module memory; size unrounded */
	size_t pages_bytes;                /* page-rounded */
	unsigned prot;
};

struct module {
	char name[TH_MODULE_NAME_MAX];
	char version[TH_MODULE_VERSION_MAX];
	char description[TH_MODULE_DESC_MAX];
	const struct th_module_info *info; /* in mem, valid after relocation */
	uint8_t *mem;
	size_t mem_bytes;
	struct region reg[SEC_NCLASS];
	size_t spill;
	size_t *sec_off;                   /* per section offset in mem (during load) */
	struct lsym *exports;
	size_t n_exports;
	char *names;                       /* storage of export names */
	struct loader_edge *edges;         /* owned (out) edges */
	size_t n_edges, cap_edges;
	struct loader_edge *in_head;       /* incoming edges */
	size_t n_in;
	struct module *next, *prev;        /* load order */
	const th_invoke_fn *invokes;       /* TH_INVOKE records (in mem) */
	size_t n_invokes;
	th_ctor_fn *ctors;                 /* .init_array, in run order (ctors.c) */
	size_t n_ctors;
	th_ctor_fn *dtors;                 /* .fini_array, in run order */
	size_t n_dtors;
	struct lfunc *funcs;               /* every function symbol, by address */
	size_t n_funcs;
	char *fnames;
	bool inited;
	bool staged;                       /* loaded beside, not yet committed (stage.c) */
	bool retired;                      /* swapped out: unlisted, memory kept until freed */
	struct module *mem_next, *mem_prev; /* every module in memory, listed or not
					    * (loader_module_in_memory_of) */
	uint64_t serial;                   /* unique per load (never reused) */
	unsigned mark;                     /* scratch for walks */
};

/* loader.c: the module in memory, listed, staged or retired, whose code
 * holds addr (naming the code of a swapped-out version that still runs,
 * e.g. its fini); NULL if none. */
const struct module *loader_module_in_memory_of(uintptr_t addr);

/* funcs.c: the module's own function symbols (for fault reports) and its
 * TH_INVOKE records. */
struct lfunc {
	uintptr_t addr;
	size_t size;
	const char *name;
};
int funcs_collect(const struct elf_obj *o, struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
void funcs_bind_invokes(const struct elf_obj *o, struct module *m);
void funcs_free(struct module *m);

/* ctors.c: the module's .init_array / .fini_array (after relocation). */
int ctors_collect(const struct elf_obj *o, struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
void ctors_free(struct module *m);

/* layout_plan.c: each loaded section's offset in the module (sec_off, per
 * section), the regions and the total; TH_ETOOBIG above the module limit. */
int layout_plan(const struct elf_obj *o, size_t *sec_off, struct region reg[SEC_NCLASS],
		size_t *total, struct th_errbuf *eb) TH_MUST_CHECK;

/* relocate.c: apply every relocation of the loaded sections into buf, the
 * module laid out (layout_plan) at address base.  resolve gives symbol si's
 * address (or an error); applied, if set, is told of each site written. */
struct link_resolver {
	int (*resolve)(void *ctx, uint32_t si, const char *relsec, uintptr_t *addr,
		       struct th_errbuf *eb);
	int (*applied)(void *ctx, uint32_t si, uintptr_t site, uint32_t type, int64_t addend,
		       struct th_errbuf *eb);
	void *ctx;
};
int link_relocate(const struct elf_obj *o, uint8_t *buf, uintptr_t base, const size_t *sec_off,
		  const char *name, const struct link_resolver *rs, struct th_errbuf *eb)
	TH_MUST_CHECK;

/* records.c: after relocation, the record's hooks, the TH_INVOKE records and
 * the .init_array/.fini_array entries must point into the text region. */
int link_check_records(const struct elf_obj *o, const uint8_t *buf, uintptr_t base,
		       const size_t *sec_off, const struct region *text, const char *name,
		       struct th_errbuf *eb) TH_MUST_CHECK;

/* layout.c: place sections, allocate memory, copy contents. */
int layout_map(struct elf_obj *o, struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
int layout_seal(struct module *m, struct th_errbuf *eb) TH_MUST_CHECK;
void layout_unmap(struct module *m);

/* reloc.c: compute and write one relocation value. */
int reloc_apply(uint32_t type, uint8_t *where, uintptr_t p, uintptr_t s, int64_t a) TH_MUST_CHECK;
size_t reloc_width(uint32_t type);

/* deps.c */
int deps_reserve(struct module *dep, size_t n) TH_MUST_CHECK;
int deps_add(struct module *dep, struct module *target, const char *sym, uintptr_t site,
	     uint32_t type, int64_t addend) TH_MUST_CHECK;
void deps_drop_out(struct module *dep);
void deps_move(struct loader_edge *e, struct module *new_target);

/* loader.c: module list. */
extern struct module *loader_mods_head;

/* loader.c: the phases, shared with stage.c (loads beside a running set). */
struct pending {
	struct elf_obj o;
	struct module *m;
	bool parsed;
};
struct load_mode {
	struct module *const *replaces; /* beside: the module blob i replaces; NULL: normal */
	struct pending *batch;          /* beside: the batch, whose exports resolve first */
	struct symtab *tab;             /* beside: the batch's exports */
	size_t n;
};
int loader_phase1(struct pending *p, size_t idx, const struct loader_blob *b,
		  const struct load_mode *mode, struct th_errbuf *eb) TH_MUST_CHECK;
int loader_phase2(struct elf_obj *o, struct module *m, const struct load_mode *mode,
		  struct th_errbuf *eb) TH_MUST_CHECK;
void loader_module_destroy(struct module *m, bool listed);
/* Take m out of the load order (nothing else). */
void loader_list_del(struct module *m);
void loader_list_replace(struct module *o, struct module *n);
/* The loader's not-reentrant flag: false if a call is under way. */
bool loader_enter(void) TH_MUST_CHECK;
void loader_leave(void);
bool loader_runs_hooks(void);
/* symtab.c: grow so that `extra` more entries insert without allocating. */
int symtab_reserve(size_t extra) TH_MUST_CHECK;

#endif
