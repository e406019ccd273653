/*
 * t_strong.c - test module "t_strong": the strong wk_value (returns 2)
 * that beats t_weak's weak one.
 */
#include "theseus.h"

int wk_value(void);

int wk_value(void)
{
	return 2;
}
TH_EXPORT(wk_value);

TH_MODULE("t_strong", "1.0", "exports test: a strong definition");
