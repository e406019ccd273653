/*
 * t_cli.c - swap test module "t_cli" 1.0: depends on t_svc through a call
 * (PLT32), a function pointer in rodata (R_X86_64_64) and a data reference
 * (PC32), so a swap of t_svc must relink all three kinds of site.
 */
#include "theseus.h"

int svc_value(int x);
int svc_other(void);
extern const int svc_tag;

static int (*const cli_ops[1])(void) = {svc_other};

int cli_call(int x)
{
	return svc_value(x);
}
TH_EXPORT(cli_call);

int cli_other(void)
{
	return cli_ops[0]();
}
TH_EXPORT(cli_other);

int cli_tag(void)
{
	return svc_tag;
}
TH_EXPORT(cli_tag);

TH_MODULE("t_cli", "1.0", "swap test: client of t_svc");
