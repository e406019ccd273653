/*
 * t_alt.c - test module "t_alt": an alternative tm_add (multiplies), the
 * target the relink test points t_user's call sites at.
 */
#include "theseus.h"

int tm_add_alt(int a, int b)
{
	return a * b;
}
TH_EXPORT(tm_add_alt);

TH_MODULE("t_alt", "1.0", "test: relink target");
