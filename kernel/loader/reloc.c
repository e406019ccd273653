/*
 * reloc.c - the x86_64 relocation types the loader honours, with overflow
 * checks (S = symbol address, A = addend, P = address of the site).
 *
 *   R_X86_64_64     S + A        64 bits
 *   R_X86_64_PC32   S + A - P    signed 32 (PLT32 the same: no PLT, direct)
 *   R_X86_64_32     S + A        zero-extended 32
 *   R_X86_64_32S    S + A        sign-extended 32
 *   R_X86_64_PC64   S + A - P    64 bits
 *
 * Everything else is refused with what to change: GOT/PLT types (PIC and
 * the large code model's PIC: -fno-pic -mcmodel=small), thread-local
 * storage, dynamic relocations (a shared object, not ld -r), 8/16-bit and
 * size relocations.
 */
#include "loader_impl.h"

const char *reloc_type_name(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_GOT32: return "R_X86_64_GOT32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	case R_X86_64_GOTOFF64: return "R_X86_64_GOTOFF64";
	case R_X86_64_GOTPC32: return "R_X86_64_GOTPC32";
	case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
	case R_X86_64_COPY: return "R_X86_64_COPY";
	case R_X86_64_GLOB_DAT: return "R_X86_64_GLOB_DAT";
	case R_X86_64_JUMP_SLOT: return "R_X86_64_JUMP_SLOT";
	case R_X86_64_RELATIVE: return "R_X86_64_RELATIVE";
	case R_X86_64_16: return "R_X86_64_16";
	case R_X86_64_PC16: return "R_X86_64_PC16";
	case R_X86_64_8: return "R_X86_64_8";
	case R_X86_64_PC8: return "R_X86_64_PC8";
	case R_X86_64_DTPMOD64: return "R_X86_64_DTPMOD64";
	case R_X86_64_DTPOFF64: return "R_X86_64_DTPOFF64";
	case R_X86_64_TPOFF64: return "R_X86_64_TPOFF64";
	case R_X86_64_TLSGD: return "R_X86_64_TLSGD";
	case R_X86_64_TLSLD: return "R_X86_64_TLSLD";
	case R_X86_64_DTPOFF32: return "R_X86_64_DTPOFF32";
	case R_X86_64_GOTTPOFF: return "R_X86_64_GOTTPOFF";
	case R_X86_64_TPOFF32: return "R_X86_64_TPOFF32";
	case R_X86_64_GOT64: return "R_X86_64_GOT64";
	case R_X86_64_GOTPCREL64: return "R_X86_64_GOTPCREL64";
	case R_X86_64_GOTPC64: return "R_X86_64_GOTPC64";
	case R_X86_64_GOTPLT64: return "R_X86_64_GOTPLT64";
	case R_X86_64_PLTOFF64: return "R_X86_64_PLTOFF64";
	case R_X86_64_SIZE32: return "R_X86_64_SIZE32";
	case R_X86_64_SIZE64: return "R_X86_64_SIZE64";
	case R_X86_64_GOTPC32_TLSDESC: return "R_X86_64_GOTPC32_TLSDESC";
	case R_X86_64_TLS_DESC_CALL: return "R_X86_64_TLS_DESC_CALL";
	case R_X86_64_TLSDESC: return "R_X86_64_TLSDESC";
	case R_X86_64_IRELATIVE: return "R_X86_64_IRELATIVE";
	}
	return "unknown";
}

size_t reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
		return 4;
	}
	return 0;
}

int reloc_type_check(const struct elf_obj *o, size_t relsec, uint32_t type,
		     struct th_errbuf *eb)
{
	switch (type) {
	case R_X86_64_NONE:
	case R_X86_64_64:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_PC64:
		return TH_OK;
	case R_X86_64_GOT32:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPC32:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return th_errf(eb, TH_ERELOC,
			       "%s: section %s: %s needs a GOT: compile with -fno-pic", o->label,
			       elf_sec_name(o, relsec), reloc_type_name(type));
	case R_X86_64_GOTOFF64:
	case R_X86_64_GOT64:
	case R_X86_64_GOTPCREL64:
	case R_X86_64_GOTPC64:
	case R_X86_64_GOTPLT64:
	case R_X86_64_PLTOFF64:
		return th_errf(eb, TH_ERELOC,
			       "%s: section %s: %s is large-model PIC (a GOT): compile with "
			       "-mcmodel=small -fno-pic (the kit's flags)", o->label,
			       elf_sec_name(o, relsec), reloc_type_name(type));
	case R_X86_64_DTPMOD64:
	case R_X86_64_DTPOFF64:
	case R_X86_64_TPOFF64:
	case R_X86_64_TLSGD:
	case R_X86_64_TLSLD:
	case R_X86_64_DTPOFF32:
	case R_X86_64_GOTTPOFF:
	case R_X86_64_TPOFF32:
	case R_X86_64_GOTPC32_TLSDESC:
	case R_X86_64_TLS_DESC_CALL:
	case R_X86_64_TLSDESC:
		return th_errf(eb, TH_ERELOC,
			       "%s: section %s: %s is thread-local storage, which modules cannot "
			       "have: drop _Thread_local/__thread (keep per-task state in statedb "
			       "or with the caller)", o->label, elf_sec_name(o, relsec),
			       reloc_type_name(type));
	case R_X86_64_COPY:
	case R_X86_64_GLOB_DAT:
	case R_X86_64_JUMP_SLOT:
	case R_X86_64_RELATIVE:
	case R_X86_64_IRELATIVE:
		return th_errf(eb, TH_ERELOC,
			       "%s: section %s: %s is a dynamic relocation: a module is a "
			       "relocatable object (gcc -c, ld -r), not a shared object", o->label,
			       elf_sec_name(o, relsec), reloc_type_name(type));
	}
	return th_errf(eb, TH_ERELOC, "%s: section %s: unsupported relocation type %u (%s): the "
		       "loader applies 64, PC32, PLT32, 32, 32S and PC64 (the kit's flags "
		       "produce only these)", o->label, elf_sec_name(o, relsec), (unsigned)type,
		       reloc_type_name(type));
}

int reloc_apply(uint32_t type, uint8_t *where, uintptr_t p, uintptr_t s, int64_t a)
{
	int64_t v;
	uint64_t u;
	uint32_t w32;

	switch (type) {
	case R_X86_64_NONE:
		return TH_OK;
	case R_X86_64_64:
		u = (uint64_t)s + (uint64_t)a;
		memcpy(where, &u, 8);
		return TH_OK;
	case R_X86_64_PC64:
		u = (uint64_t)s + (uint64_t)a - (uint64_t)p;
		memcpy(where, &u, 8);
		return TH_OK;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		if (s > INT64_MAX || p > INT64_MAX ||
		    __builtin_add_overflow((int64_t)s, a, &v) ||
		    __builtin_sub_overflow(v, (int64_t)p, &v))
			return TH_EOVERFLOW;
		if (v < INT32_MIN || v > INT32_MAX)
			return TH_EOVERFLOW;
		break;
	case R_X86_64_32:
		if (s > INT64_MAX || __builtin_add_overflow((int64_t)s, a, &v))
			return TH_EOVERFLOW;
		if (v < 0 || v > (int64_t)UINT32_MAX)
			return TH_EOVERFLOW;
		break;
	case R_X86_64_32S:
		if (s > INT64_MAX || __builtin_add_overflow((int64_t)s, a, &v))
			return TH_EOVERFLOW;
		if (v < INT32_MIN || v > INT32_MAX)
			return TH_EOVERFLOW;
		break;
	default:
		return TH_ERELOC;
	}
	w32 = (uint32_t)(uint64_t)v;
	memcpy(where, &w32, 4);
	return TH_OK;
}
