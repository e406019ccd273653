/*
 * t_svc.c - swap test module "t_svc" 1.0: a service other modules call
 * (function, data constant); t_svc2 replaces it, t_svc3 lacks a symbol.
 */
#include "theseus.h"

void host_record_init(const char *name);

const int svc_tag = 1;
TH_EXPORT(svc_tag);

int svc_value(int x)
{
	return x + 1;
}
TH_EXPORT(svc_value);

int svc_other(void)
{
	return 1;
}
TH_EXPORT(svc_other);

static void svc_fini(void)
{
	host_record_init("t_svc1.fini");
}

TH_MODULE("t_svc", "1.0", "swap test: service v1", .fini = svc_fini);
