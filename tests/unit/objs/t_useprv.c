/*
 * t_useprv.c - test module "t_useprv": imports lib_shared, which t_priv1
 * defines but does not export, so the load fails with TH_ENOSYM.
 */
#include "theseus.h"

int lib_shared(int x);

int useprv_call(int x)
{
	return lib_shared(x);
}
TH_EXPORT(useprv_call);

TH_MODULE("t_useprv", "1.0", "exports test: imports a private symbol");
