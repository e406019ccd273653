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
 * GOT-relative types are refused: modules are built with -fno-pic.
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
	case R_X86_64_GOTOFF64:
	case R_X86_64_GOTPC32:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return th_errf(eb, TH_ERELOC,
			       "%s: section %s: %s needs a GOT: compile with -fno-pic", o->label,
			       elf_sec_name(o, relsec), reloc_type_name(type));
	}
	return th_errf(eb, TH_ERELOC, "%s: section %s: unsupported relocation type %u", o->label,
		       elf_sec_name(o, relsec), (unsigned)type);
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
