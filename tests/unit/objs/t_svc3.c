/*
 * t_svc3.c - swap test module "t_svc" 3.0, broken: no svc_other, which
 * t_cli uses, so a swap to it must be refused.
 */
#include "theseus.h"

const int svc_tag = 3;
TH_EXPORT(svc_tag);

int svc_value(int x)
{
	return x + 1000;
}
TH_EXPORT(svc_value);

TH_MODULE("t_svc", "3.0", "swap test: service missing svc_other");
