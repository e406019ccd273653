/*
 * t_weak2.c - test module "t_weak2": a second weak wk_value (returns 3);
 * two weak definitions do not collide and the older one wins.
 */
#include "theseus.h"

int wk_value(void);

__attribute__((weak)) int wk_value(void)
{
	return 3;
}
TH_EXPORT(wk_value);

TH_MODULE("t_weak2", "1.0", "exports test: another weak definition");
