/*
 * t_stackprot.c - test module "t_stackprot": imports __stack_chk_fail as
 * code built with -fstack-protector does; the kernel exports no such
 * thing, and the refusal says which flag to use.
 */
#include "theseus.h"

void __stack_chk_fail(void);

int sp_call(int x)
{
	if (x < 0)
		__stack_chk_fail();
	return x;
}
TH_EXPORT(sp_call);

TH_MODULE("t_stackprot", "1.0", "exports test: imports __stack_chk_fail");
