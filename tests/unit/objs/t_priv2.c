/*
 * t_priv2.c - test module "t_priv2": its own lib_shared (x + 2), private
 * like t_priv1's, so the two never collide.
 */
#include "theseus.h"

int lib_shared(int x);

int lib_shared(int x)
{
	return x + 2;
}

int priv2_call(int x)
{
	return lib_shared(x);
}
TH_EXPORT(priv2_call);

TH_MODULE("t_priv2", "1.0", "exports test: private library copy 2");
