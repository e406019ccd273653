/*
 * elf_parse.c - validate an ELF64 x86_64 relocatable object before any use.
 *
 * elf_parse() checks the identification, every section header (bounds,
 * alignment, names), the one symbol table and its strings, every relocation
 * that applies to a loaded section (symbol index, type, site inside the
 * section), COMMON symbols, symbol types it does not implement (IFUNC, TLS),
 * and the module record in ".theseus.module".
 * After it succeeds, the rest of the loader may index the object's tables
 * without further checks.  Nothing here depends on load addresses.
 */
#include "loader_impl.h"

#define BAD(...) th_errf(eb, TH_EBADELF, __VA_ARGS__)

/* [off, off+size) inside [0, len) without overflow. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static bool is_pow2_or_zero(uint64_t x)
{
	return (x & (x - 1)) == 0;
}

const char *elf_sec_name(const struct elf_obj *o, size_t idx)
{
	return o->shstr + o->sh[idx].name;
}

const char *elf_sym_name(const struct elf_obj *o, size_t idx)
{
	return o->str + o->sym[idx].name;
}

static bool starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool elf_sym_is_export(const struct elf_obj *o, size_t idx)
{
	return o->exp && idx < o->nsym && o->exp[idx];
}

/* Classify one section: which region it goes to, or SEC_NONE if not loaded. */
static int classify(struct elf_obj *o, size_t i, struct th_errbuf *eb)
{
	const struct elf64_shdr *s = &o->sh[i];
	const char *name = elf_sec_name(o, i);

	if (!(s->flags & SHF_ALLOC))
		return SEC_NONE;
	switch (s->type) {
	case SHT_PROGBITS:
	case SHT_NOBITS:
	case SHT_NOTE:
	case SHT_INIT_ARRAY:
	case SHT_FINI_ARRAY:
	case SHT_PREINIT_ARRAY:
	case SHT_X86_64_UNWIND:
		break;
	default:
		return BAD("%s: section %s: unsupported allocated section type %u", o->label,
			   name, (unsigned)s->type);
	}
	if (s->flags & SHF_TLS)
		return th_errf(eb, TH_ENOTSUP, "%s: section %s is thread-local storage, which "
			       "modules cannot have: drop _Thread_local/__thread", o->label, name);
	if (s->addralign > LOADER_PAGE)
		return BAD("%s: section %s: alignment %llu above the page size (%u): align less",
			   o->label, name, (unsigned long long)s->addralign, LOADER_PAGE);
	if (s->size > LOADER_MAX_MODULE_BYTES)
		return th_errf(eb, TH_ETOOBIG, "%s: section %s: %llu bytes, above the limit of %u "
			       "bytes for a whole module: make it smaller (allocate large buffers "
			       "with kmalloc)", o->label, name, (unsigned long long)s->size,
			       LOADER_MAX_MODULE_BYTES);
	if ((s->flags & SHF_WRITE) && (s->flags & SHF_EXECINSTR))
		return BAD("%s: section %s is writable and executable", o->label, name);
	if (s->flags & SHF_EXECINSTR)
		return SEC_TEXT;
	/* Relocated-then-read-only data is sealed like rodata: not spill (the
	 * module's own records and its constructor tables included). */
	if (!(s->flags & SHF_WRITE) || starts_with(name, ".data.rel.ro") ||
	    starts_with(name, ".theseus.") || s->type == SHT_INIT_ARRAY ||
	    s->type == SHT_FINI_ARRAY || s->type == SHT_PREINIT_ARRAY)
		return SEC_RODATA;
	return SEC_DATA;
}

static int parse_headers(struct elf_obj *o, struct th_errbuf *eb)
{
	const struct elf64_ehdr *eh;

	if (!o->data || ((uintptr_t)o->data & 7))
		return th_errf(eb, TH_EINVAL, "%s: object missing or not 8-byte aligned", o->label);
	if (o->len < sizeof(struct elf64_ehdr))
		return BAD("%s: truncated: %zu bytes, no ELF header", o->label, o->len);
	eh = o->eh = (const struct elf64_ehdr *)o->data;
	if ((eh->ident[0] == 'B' && eh->ident[1] == 'C' && eh->ident[2] == 0xc0 &&
	     eh->ident[3] == 0xde) ||
	    (eh->ident[0] == 0xde && eh->ident[1] == 0xc0 && eh->ident[2] == 0x17 &&
	     eh->ident[3] == 0x0b))
		return BAD("%s: LLVM bitcode (an LTO object), not machine code: build without "
			   "-flto", o->label);
	if (eh->ident[0] != 0x7f || eh->ident[1] != 'E' || eh->ident[2] != 'L' ||
	    eh->ident[3] != 'F')
		return BAD("%s: not an ELF file (bad magic)", o->label);
	if (eh->ident[4] != ELF_CLASS64 || eh->ident[5] != ELF_DATA2LSB || eh->ident[6] != 1)
		return BAD("%s: not ELF64 little-endian version 1", o->label);
	if (eh->type != ELF_ET_REL)
		return BAD("%s: ELF type %u, want a relocatable object (ld -r)", o->label,
			   (unsigned)eh->type);
	if (eh->machine != ELF_EM_X86_64)
		return BAD("%s: machine %u, want x86_64", o->label, (unsigned)eh->machine);
	if (eh->shentsize != sizeof(struct elf64_shdr))
		return BAD("%s: section header size %u", o->label, (unsigned)eh->shentsize);
	if (eh->shnum == 0 && eh->shoff != 0)
		return th_errf(eb, TH_ETOOBIG, "%s: 65280 or more sections (extended numbering); "
			       "the loader takes at most %u: build without -ffunction-sections/"
			       "-fdata-sections", o->label, LOADER_MAX_SECTIONS);
	if (eh->shnum == 0)
		return BAD("%s: no section headers", o->label);
	if (eh->shnum > LOADER_MAX_SECTIONS)
		return th_errf(eb, TH_ETOOBIG, "%s: %u sections, the loader takes at most %u: build "
			       "without -ffunction-sections/-fdata-sections (or merge sections with "
			       "ld -r and a linker script)", o->label, (unsigned)eh->shnum,
			       LOADER_MAX_SECTIONS);
	if ((eh->shoff & 7) ||
	    !in_file(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), o->len))
		return BAD("%s: section headers at %llu outside the file or misaligned", o->label,
			   (unsigned long long)eh->shoff);
	o->sh = (const struct elf64_shdr *)(o->data + eh->shoff);
	o->shnum = eh->shnum;
	if (eh->shstrndx == 0 || eh->shstrndx >= o->shnum)
		return BAD("%s: section name table index %u out of range", o->label,
			   (unsigned)eh->shstrndx);
	{
		const struct elf64_shdr *ss = &o->sh[eh->shstrndx];
		if (ss->type != SHT_STRTAB || ss->size == 0 || !in_file(ss->offset, ss->size, o->len))
			return BAD("%s: bad section name table", o->label);
		o->shstr = (const char *)o->data + ss->offset;
		o->shstr_len = ss->size;
		if (o->shstr[o->shstr_len - 1] != '\0')
			return BAD("%s: section name table not NUL-terminated", o->label);
	}
	return TH_OK;
}

static int parse_sections(struct elf_obj *o, struct th_errbuf *eb)
{
	size_t i;

	o->cls = kcalloc(o->shnum, 1);
	if (!o->cls)
		return th_errf(eb, TH_ENOMEM, "%s: no memory for section table", o->label);
	o->symtab_idx = 0;
	o->info_idx = 0;
	o->invoke_idx = 0;
	o->export_idx = 0;
	for (i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		int c;

		if (s->name >= o->shstr_len)
			return BAD("%s: section %zu: name offset %u out of range", o->label, i,
				   (unsigned)s->name);
		if (s->type != SHT_NOBITS && s->type != SHT_NULL &&
		    !in_file(s->offset, s->size, o->len))
			return BAD("%s: section %s: contents outside the file", o->label,
				   elf_sec_name(o, i));
		if (!is_pow2_or_zero(s->addralign))
			return BAD("%s: section %s: alignment %llu not a power of two", o->label,
				   elf_sec_name(o, i), (unsigned long long)s->addralign);
		if (starts_with(elf_sec_name(o, i), ".gnu.lto_"))
			return BAD("%s: an LTO object (GCC's intermediate code in section %s), not "
				   "machine code: build without -flto", o->label, elf_sec_name(o, i));
		c = classify(o, i, eb);
		if (c < 0)
			return c;
		o->cls[i] = (uint8_t)c;
		if (s->type == SHT_SYMTAB) {
			if (o->symtab_idx)
				return BAD("%s: more than one symbol table", o->label);
			o->symtab_idx = i;
		}
		if (strcmp(elf_sec_name(o, i), TH_MODULE_SECTION) == 0) {
			if (o->info_idx)
				return BAD("%s: more than one %s section", o->label, TH_MODULE_SECTION);
			o->info_idx = i;
		}
		if (strcmp(elf_sec_name(o, i), TH_INVOKE_SECTION) == 0) {
			if (o->invoke_idx)
				return BAD("%s: more than one %s section", o->label, TH_INVOKE_SECTION);
			if (o->cls[i] != SEC_RODATA || s->size % sizeof(th_invoke_fn))
				return BAD("%s: %s section malformed (write it with TH_INVOKE())",
					   o->label, TH_INVOKE_SECTION);
			o->invoke_idx = i;
		}
		if (strcmp(elf_sec_name(o, i), TH_EXPORT_SECTION) == 0) {
			if (o->export_idx)
				return BAD("%s: more than one %s section", o->label, TH_EXPORT_SECTION);
			if (o->cls[i] != SEC_RODATA || s->size % sizeof(void *))
				return BAD("%s: %s section malformed (write it with TH_EXPORT())",
					   o->label, TH_EXPORT_SECTION);
			o->export_idx = i;
		}
	}
	return TH_OK;
}

/* The symbol types the loader implements: plain data and code, sections and
 * files.  Any other would be linked as something it is not (an IFUNC's
 * callers would call its resolver), so it is refused saying what to change. */
static int check_sym_type(const struct elf_obj *o, size_t i, struct th_errbuf *eb)
{
	unsigned type = ELF_ST_TYPE(o->sym[i].info);
	const char *name = elf_sym_name(o, i)[0] ? elf_sym_name(o, i) : "(no name)";

	switch (type) {
	case STT_NOTYPE:
	case STT_OBJECT:
	case STT_FUNC:
	case STT_SECTION:
	case STT_FILE:
		return TH_OK;
	case STT_GNU_IFUNC:
		return th_errf(eb, TH_ENOTSUP, "%s: symbol %s is an IFUNC (STT_GNU_IFUNC, "
			       "__attribute__((ifunc))), whose resolver the loader never runs: "
			       "drop the ifunc attribute and call the implementation directly",
			       o->label, name);
	case STT_TLS:
		return th_errf(eb, TH_ENOTSUP, "%s: symbol %s is thread-local storage, which "
			       "modules cannot have: drop _Thread_local/__thread", o->label, name);
	case STT_COMMON:
		return th_errf(eb, TH_ENOTSUP, "%s: symbol %s is COMMON: compile with -fno-common",
			       o->label, name);
	}
	return th_errf(eb, TH_ENOTSUP, "%s: symbol %s has type %u, which the loader does not "
		       "implement (it links functions, objects, sections and files): build it "
		       "as a plain C function or object", o->label, name, type);
}

static int parse_symtab(struct elf_obj *o, struct th_errbuf *eb)
{
	const struct elf64_shdr *s, *st;
	size_t i;
	int err;

	if (!o->symtab_idx)
		return BAD("%s: no symbol table", o->label);
	s = &o->sh[o->symtab_idx];
	if (s->entsize != sizeof(struct elf64_sym) || s->size % sizeof(struct elf64_sym) ||
	    (s->offset & 7) || s->size == 0)
		return BAD("%s: malformed symbol table", o->label);
	if (s->link == 0 || s->link >= o->shnum)
		return BAD("%s: symbol string table index %u out of range", o->label,
			   (unsigned)s->link);
	st = &o->sh[s->link];
	if (st->type != SHT_STRTAB || st->size == 0)
		return BAD("%s: bad symbol string table", o->label);
	o->sym = (const struct elf64_sym *)(o->data + s->offset);
	o->nsym = s->size / sizeof(struct elf64_sym);
	o->str = (const char *)o->data + st->offset;
	o->str_len = st->size;
	if (o->str[o->str_len - 1] != '\0')
		return BAD("%s: symbol string table not NUL-terminated", o->label);

	for (i = 1; i < o->nsym; i++) {
		const struct elf64_sym *y = &o->sym[i];

		if (y->name >= o->str_len)
			return BAD("%s: symbol %zu: name offset %u out of range", o->label, i,
				   (unsigned)y->name);
		if (y->shndx == SHN_COMMON)
			return th_errf(eb, TH_ENOTSUP,
				       "%s: symbol %s is COMMON: compile with -fno-common", o->label,
				       elf_sym_name(o, i));
		if (y->shndx >= SHN_LORESERVE && y->shndx != SHN_ABS)
			return BAD("%s: symbol %s: unsupported section index 0x%x", o->label,
				   elf_sym_name(o, i), (unsigned)y->shndx);
		if (y->shndx != SHN_ABS && y->shndx >= o->shnum)
			return BAD("%s: symbol %s: section index %u out of range", o->label,
				   elf_sym_name(o, i), (unsigned)y->shndx);
		if (y->shndx != SHN_ABS && y->shndx != SHN_UNDEF && o->cls[y->shndx] != SEC_NONE &&
		    y->value > o->sh[y->shndx].size)
			return BAD("%s: symbol %s: value beyond its section", o->label,
				   elf_sym_name(o, i));
		err = check_sym_type(o, i, eb);
		if (err)
			return err;
	}
	return TH_OK;
}

static int parse_relocs(struct elf_obj *o, struct th_errbuf *eb)
{
	size_t i, j;

	for (i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		const struct elf64_shdr *t;
		const struct elf64_rela *r;
		size_t n;

		if (s->type != SHT_RELA && s->type != SHT_REL)
			continue;
		if (s->info == 0 || s->info >= o->shnum)
			return BAD("%s: relocation section %s: target index %u out of range",
				   o->label, elf_sec_name(o, i), (unsigned)s->info);
		if (o->cls[s->info] == SEC_NONE)
			continue; /* debug info and the like: not loaded, not relocated */
		if (s->type == SHT_REL)
			return th_errf(eb, TH_ERELOC, "%s: section %s: REL relocations unsupported",
				       o->label, elf_sec_name(o, i));
		if (s->link != o->symtab_idx)
			return BAD("%s: relocation section %s: symbol table index %u", o->label,
				   elf_sec_name(o, i), (unsigned)s->link);
		if (s->entsize != sizeof(struct elf64_rela) || s->size % sizeof(struct elf64_rela) ||
		    (s->offset & 7))
			return BAD("%s: malformed relocation section %s", o->label, elf_sec_name(o, i));
		t = &o->sh[s->info];
		r = (const struct elf64_rela *)(o->data + s->offset);
		n = s->size / sizeof(struct elf64_rela);
		for (j = 0; j < n; j++) {
			uint32_t sym = ELF_R_SYM(r[j].info), type = ELF_R_TYPE(r[j].info);
			int err;

			if (sym >= o->nsym)
				return BAD("%s: %s[%zu]: symbol index %u out of range", o->label,
					   elf_sec_name(o, i), j, (unsigned)sym);
			err = reloc_type_check(o, i, type, eb);
			if (err)
				return err;
			if (type == R_X86_64_NONE)
				continue;
			if (r[j].offset > t->size || reloc_width(type) > t->size - r[j].offset)
				return BAD("%s: %s[%zu]: offset %llu outside section %s", o->label,
					   elf_sec_name(o, i), j, (unsigned long long)r[j].offset,
					   elf_sec_name(o, s->info));
			if (t->type == SHT_NOBITS)
				return BAD("%s: %s: relocation in a NOBITS section", o->label,
					   elf_sec_name(o, i));
			if (sym != 0) {
				uint16_t sx = o->sym[sym].shndx;
				if (sx != SHN_UNDEF && sx != SHN_ABS && o->cls[sx] == SEC_NONE)
					return BAD("%s: %s[%zu]: symbol %s is in unloaded section %s",
						   o->label, elf_sec_name(o, i), j,
						   elf_sym_name(o, sym), elf_sec_name(o, sx));
				if (sx == SHN_UNDEF && o->str[o->sym[sym].name] == '\0')
					return BAD("%s: %s[%zu]: undefined symbol without a name",
						   o->label, elf_sec_name(o, i), j);
			}
			o->n_relocs++;
			/* Undefined and weak symbols may resolve into another module. */
			if (sym != 0 && (o->sym[sym].shndx == SHN_UNDEF ||
					 ELF_ST_BIND(o->sym[sym].info) == STB_WEAK))
				o->n_undef_relocs++;
		}
	}
	return TH_OK;
}

/* Every file of the object was compiled with the kit's flags: the local
 * symbols of each STT_FILE group include the kit's marker. */
static int parse_kit_marks(struct elf_obj *o, struct th_errbuf *eb)
{
	const char *file = NULL;
	bool marked = false, any = false;
	size_t i;

	for (i = 1; i <= o->nsym; i++) {
		const struct elf64_sym *y = i < o->nsym ? &o->sym[i] : NULL;
		bool file_sym = y && ELF_ST_BIND(y->info) == STB_LOCAL &&
				ELF_ST_TYPE(y->info) == STT_FILE;

		if ((!y || file_sym) && file && !marked)
			return th_errf(eb, TH_ENOTSUP, "%s: %s was compiled without the module kit's "
				       "flags (red zone, PIC, SSE): build with `make -C <tree> M=<dir>` "
				       "or `pkg-config --cflags theseus-module`", o->label, file);
		if (!y)
			break;
		if (file_sym) {
			file = y->name && elf_sym_name(o, i)[0] ? elf_sym_name(o, i) : "a file";
			marked = false;
		} else if (ELF_ST_BIND(y->info) == STB_LOCAL && y->shndx == SHN_ABS &&
			   strcmp(elf_sym_name(o, i), TH_KIT_MARK) == 0) {
			marked = any = true;
		}
	}
	if (!any)
		return th_errf(eb, TH_ENOTSUP, "%s: compiled without the module kit's flags (no %s "
			       "symbol): build with `make -C <tree> M=<dir>` or `pkg-config --cflags "
			       "theseus-module`", o->label, TH_KIT_MARK);
	return TH_OK;
}

const char *loader_undef_hint(const char *name)
{
	if (strcmp(name, "__stack_chk_fail") == 0 || strcmp(name, "__stack_chk_guard") == 0)
		return ": compile with -fno-stack-protector (the module kit's flags)";
	if (strncmp(name, "__tls_get_addr", 14) == 0)
		return ": thread-local variables are not supported (drop _Thread_local)";
	if (strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0)
		return ": compile with -fno-pic (the module kit's flags)";
	/* C++ runtime pieces the kernel does not have. */
	if (strcmp(name, "__cxa_atexit") == 0 || strcmp(name, "__dso_handle") == 0)
		return ": a global object's destructor (no __cxa_atexit here): make it trivial, or "
		       "placement-new the object in init and destroy it in fini";
	if (strncmp(name, "__cxa_guard_", 12) == 0)
		return ": compile with -fno-threadsafe-statics (the kit's C++ flags)";
	if (strcmp(name, "__gxx_personality_v0") == 0 || strcmp(name, "_Unwind_Resume") == 0)
		return ": compile with -fno-exceptions (the kit's C++ flags)";
	if (strncmp(name, "_Zdl", 4) == 0 || strncmp(name, "_Zda", 4) == 0)
		return ": define operator delete(void *, size_t) and (void *): a virtual destructor "
		       "uses it even if nothing calls delete";
	if (strncmp(name, "_Znw", 4) == 0 || strncmp(name, "_Zna", 4) == 0)
		return ": operator new: kmalloc, then placement new (<new>, in the kit)";
	if (strcmp(name, "__cxa_pure_virtual") == 0)
		return ": define extern \"C\" void __cxa_pure_virtual() in the module";
	return ": not exported by the kernel or any loaded module (TH_EXPORT)";
}

/* One TH_EXPORT / TH_INVOKE record: mark the symbol its relocation names. */
static int mark_export(struct elf_obj *o, size_t relsec, size_t j, bool invoke,
		       struct th_errbuf *eb)
{
	const struct elf64_rela *r = (const struct elf64_rela *)(o->data + o->sh[relsec].offset);
	uint32_t si = ELF_R_SYM(r[j].info);
	const struct elf64_sym *y = &o->sym[si];
	const char *what = invoke ? "TH_INVOKE" : "TH_EXPORT";
	unsigned bind = ELF_ST_BIND(y->info), type = ELF_ST_TYPE(y->info);

	if (ELF_R_TYPE(r[j].info) != R_X86_64_64)
		return BAD("%s: %s record %zu malformed (write it with %s())", o->label, what, j,
			   what);
	/* Exports and invocable functions are found by name (invoke looks the
	 * function up among the module's exports): a static one has none. */
	if (si == 0 || bind == STB_LOCAL)
		return BAD("%s: %s record %zu names a static symbol (%s): only a global symbol "
			   "can be %s (drop `static`)", o->label, what, j,
			   si == 0 ? "none"
			   : elf_sym_name(o, si)[0] ? elf_sym_name(o, si)
			   : y->shndx && y->shndx < o->shnum ? elf_sec_name(o, y->shndx) : "?",
			   invoke ? "invoked by name" : "exported");
	if (elf_sym_name(o, si)[0] == '\0')
		return BAD("%s: %s record %zu names a symbol without a name: write it with %s() "
			   "after a named global definition", o->label, what, j, what);
	if (r[j].addend != 0)
		return BAD("%s: %s record %zu malformed (write it with %s())", o->label, what, j,
			   what);
	if (y->shndx == SHN_UNDEF)
		return BAD("%s: %s(%s): not defined in this module", o->label, what,
			   elf_sym_name(o, si));
	if ((type != STT_NOTYPE && type != STT_OBJECT && type != STT_FUNC) ||
	    (y->shndx != SHN_ABS && o->cls[y->shndx] == SEC_NONE))
		return BAD("%s: %s(%s): not a function or object of a loaded section", o->label,
			   what, elf_sym_name(o, si));
	if (!o->exp[si]) {
		o->exp[si] = 1;
		o->n_exports++;
		o->export_name_bytes += strlen(elf_sym_name(o, si)) + 1;
	}
	return TH_OK;
}

/* Exports are the symbols named by TH_EXPORT and TH_INVOKE records (after
 * parse_relocs validated their relocation sections). */
static int parse_exports(struct elf_obj *o, struct th_errbuf *eb)
{
	size_t i, j;
	int err;

	o->exp = kcalloc(o->nsym, 1);
	if (!o->exp)
		return th_errf(eb, TH_ENOMEM, "%s: no memory for %zu symbols", o->label, o->nsym);
	for (i = 1; i < o->shnum; i++) {
		const struct elf64_shdr *s = &o->sh[i];
		bool inv = o->invoke_idx && s->info == o->invoke_idx;

		if (s->type != SHT_RELA || !(inv || (o->export_idx && s->info == o->export_idx)))
			continue;
		for (j = 0; j < s->size / sizeof(struct elf64_rela); j++) {
			err = mark_export(o, i, j, inv, eb);
			if (err)
				return err;
		}
	}
	return TH_OK;
}

static bool valid_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool valid_version_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int parse_info(struct elf_obj *o, struct th_errbuf *eb)
{
	const struct elf64_shdr *s;
	struct th_module_info *in = &o->info;
	size_t k;

	if (!o->info_idx)
		return BAD("%s: no %s section (declare the module with TH_MODULE())", o->label,
			   TH_MODULE_SECTION);
	s = &o->sh[o->info_idx];
	if (s->type != SHT_PROGBITS || o->cls[o->info_idx] == SEC_NONE ||
	    s->size < sizeof(struct th_module_info))
		return BAD("%s: %s section malformed (size %llu)", o->label, TH_MODULE_SECTION,
			   (unsigned long long)s->size);
	/* The loader reads the record in place once loaded: it must be aligned. */
	if (s->addralign < _Alignof(struct th_module_info))
		return BAD("%s: %s section aligned to %llu bytes, needs %zu (declare the module "
			   "with TH_MODULE())", o->label, TH_MODULE_SECTION,
			   (unsigned long long)s->addralign, _Alignof(struct th_module_info));
	memcpy(in, o->data + s->offset, sizeof *in);
	if (in->abi != TH_MODULE_API)
		return th_errf(eb, TH_EBADELF, "%s: built for module API %u, kernel has %u "
			       "(rebuild it with this kernel's module kit)", o->label,
			       (unsigned)in->abi, (unsigned)TH_MODULE_API);
	if (strnlen(in->name, sizeof in->name) == sizeof in->name || in->name[0] == '\0' ||
	    strnlen(in->version, sizeof in->version) == sizeof in->version ||
	    strnlen(in->description, sizeof in->description) == sizeof in->description)
		return BAD("%s: module record: name/version/description not terminated", o->label);
	for (k = 0; in->name[k]; k++)
		if (!valid_name_char(in->name[k]))
			return BAD("%s: module name \"%s\": only [a-z0-9_]", o->label, in->name);
	/* The version is what a swap names as the expected one (compare-and-
	 * swap): the protocol's rule for names (proto_name_ok), else no client
	 * could ever swap the module out. */
	if (!in->version[0])
		return BAD("%s: module version is empty (TH_MODULE(\"%s\", \"1.0\", ...))",
			   in->name, in->name);
	for (k = 0; in->version[k]; k++)
		if (!valid_version_char(in->version[k]))
			return BAD("%s: module version: only [A-Za-z0-9_.-], byte %zu is 0x%02x",
				   in->name, k + 1, (unsigned)(unsigned char)in->version[k]);
	o->label = in->name;
	return TH_OK;
}

int elf_parse(const void *data, size_t len, const char *label, struct elf_obj *o,
	      struct th_errbuf *eb)
{
	int err;

	memset(o, 0, sizeof *o);
	o->data = data;
	o->len = len;
	o->label = label ? label : "(object)";
	err = parse_headers(o, eb);
	if (!err)
		err = parse_sections(o, eb);
	if (!err)
		err = parse_info(o, eb);
	if (!err)
		err = parse_symtab(o, eb);
	if (!err)
		err = parse_kit_marks(o, eb);
	if (!err)
		err = parse_relocs(o, eb);
	if (!err)
		err = parse_exports(o, eb);
	if (err)
		elf_release(o);
	return err;
}

void elf_release(struct elf_obj *o)
{
	kfree(o->cls);
	kfree(o->exp);
	o->cls = NULL;
	o->exp = NULL;
}
