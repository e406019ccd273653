/*
 * t_cli2.c - swap test module "t_cli" 2.0: uses svc_new, which only t_svc
 * 2.0 exports, so it can only be swapped in together with t_svc 2.0.
 */
#include "theseus.h"

int svc_new(int x);
int svc_other(void);
extern const int svc_tag;

int cli_call(int x)
{
	return svc_new(x);
}
TH_EXPORT(cli_call);

int cli_other(void)
{
	return svc_other() * 10;
}
TH_EXPORT(cli_other);

int cli_tag(void)
{
	return svc_tag;
}
TH_EXPORT(cli_tag);

TH_MODULE("t_cli", "2.0", "swap test: client using svc_new");
