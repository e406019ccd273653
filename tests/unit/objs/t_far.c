/*
 * t_far.c - test module "t_far": reads a kernel (host) variable with a
 * 32-bit PC-relative access; on the host that variable is far away, so the
 * relocation overflows.
 */
#include "theseus.h"

extern int host_far_var;

int tf_get(void)
{
	return host_far_var;
}
TH_EXPORT(tf_get);

TH_MODULE("t_far", "1.0", "test: relocation overflow");
