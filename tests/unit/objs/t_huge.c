/*
 * t_huge.c - test module "t_huge": a 65 MiB .bss array, above the size one
 * module may take; refused naming the section, its size and the limit.
 * (Spill, too, but the size is checked first.)
 */
#include "theseus.h"

char huge[65 << 20];  /* global: the compiler cannot drop it */

int huge_get(int i);

int huge_get(int i)
{
	return huge[i];
}
TH_EXPORT(huge_get);

TH_MODULE("t_huge", "1.0", "refusal test: an oversize section");
