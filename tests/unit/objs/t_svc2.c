/*
 * t_svc2.c - swap test module "t_svc" 2.0: same symbols as 1.0 plus
 * svc_new; its transfer hook records itself and fails when the test says so.
 */
#include "theseus.h"

void host_record_init(const char *name);
int host_swap_flag(void);

const int svc_tag = 2;
TH_EXPORT(svc_tag);

int svc_value(int x)
{
	return x + 100;
}
TH_EXPORT(svc_value);

int svc_other(void)
{
	return 2;
}
TH_EXPORT(svc_other);

int svc_new(int x)
{
	return 3 * x;
}
TH_EXPORT(svc_new);

static int svc_transfer(const struct th_module_info *old)
{
	host_record_init(old->version[0] == '1' ? "t_svc2.transfer(1.0)" : "t_svc2.transfer");
	return host_swap_flag() ? TH_EIO : TH_OK;
}

TH_MODULE("t_svc", "2.0", "swap test: service v2", .transfer = svc_transfer);
