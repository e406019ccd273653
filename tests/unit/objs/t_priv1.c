/*
 * t_priv1.c - test module "t_priv1": bundles a "library" function
 * lib_shared (global, not exported), as t_priv2 does with its own copy;
 * both load side by side and each calls its own.
 */
#include "theseus.h"

int lib_shared(int x);

int lib_shared(int x)
{
	return x + 1;
}

int priv1_call(int x)
{
	return lib_shared(x);
}
TH_EXPORT(priv1_call);

TH_MODULE("t_priv1", "1.0", "exports test: private library copy 1");
