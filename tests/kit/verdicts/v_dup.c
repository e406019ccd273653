/* v_dup.c - a strong kmalloc exported, clashing with the kernel's
 * (tests/kit/verdicts/README). */
#include "theseus.h"

void *kmalloc(size_t size)
{
	(void)size;
	return NULL;
}
TH_EXPORT(kmalloc);

TH_MODULE("v_dup", "1.0", "verdict test: a duplicate export");
