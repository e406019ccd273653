/*
 * t_lto.c - test module "t_lto", compiled with -flto (modules.mk): an
 * object of GCC's intermediate code, refused with "build without -flto".
 */
#include "theseus.h"

int lto_get(void);

int lto_get(void)
{
	return 1;
}
TH_EXPORT(lto_get);

TH_MODULE("t_lto", "1.0", "refusal test: an LTO object");
