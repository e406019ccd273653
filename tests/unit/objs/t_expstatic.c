/*
 * t_expstatic.c - test module "t_expstatic": TH_EXPORT of a static
 * function, which has no name to export: refused (TH_EBADELF, "drop
 * `static`").
 */
#include "theseus.h"

static int hidden_fn(void)
{
	return 7;
}
TH_EXPORT(hidden_fn);

TH_MODULE("t_expstatic", "1.0", "exports test: TH_EXPORT of a static symbol");
