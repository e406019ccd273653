/*
 * t_dup.c - test module "t_dup": exports tm_add, which t_math exports too.
 */
#include "theseus.h"

int td_other(void)
{
	return 1;
}
TH_EXPORT(td_other);

int tm_add(int a, int b)
{
	return a - b;
}
TH_EXPORT(tm_add);

TH_MODULE("t_dup", "1.0", "test: duplicate export");
