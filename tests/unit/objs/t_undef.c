/*
 * t_undef.c - test module "t_undef": calls a function nobody exports.
 */
#include "theseus.h"

int no_such_function(int);

int tu_broken(int x)
{
	return no_such_function(x);
}
TH_EXPORT(tu_broken);

TH_MODULE("t_undef", "1.0", "test: unresolvable");
