/*
 * kit_mark.h - force-included by the module kit's flags (-include) into
 * every file they compile, C or C++, with gcc or clang: defines the local
 * absolute symbol __theseus_kit_flags (= the module API) that the loader
 * wants in every file of a module (module_abi.h: TH_KIT_MARK), so a file
 * compiled without the kit's flags (red zone, PIC, SSE) is refused by name.
 * An assembler directive: each compiler's assembler takes it.
 */
#ifndef THESEUS_KIT_MARK_H
#define THESEUS_KIT_MARK_H

#include "module_abi.h"

#define TH_KIT_MARK_STR_(x) #x
#define TH_KIT_MARK_STR(x) TH_KIT_MARK_STR_(x)
__asm__(".set " TH_KIT_MARK ", " TH_KIT_MARK_STR(TH_MODULE_API));

#endif
