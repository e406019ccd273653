/*
 * t_largepic.c - test module "t_largepic", compiled with -mcmodel=large
 * -fpic (modules.mk), so without theseus.h (which refuses PIC): its calls
 * go through the large model's GOT, refused with what flags to use.
 */
#include "module_abi.h"

int lp_call(int x);
int lp_helper(int x);

int lp_call(int x)
{
	return lp_helper(x) + 1;
}

TH_MODULE("t_largepic", "1.0", "refusal test: large-model PIC");
