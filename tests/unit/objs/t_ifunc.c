/*
 * t_ifunc.c - test module "t_ifunc": an IFUNC (__attribute__((ifunc))),
 * whose resolver the loader never runs (callers would call the resolver);
 * refused naming the symbol and what to change.
 */
#include "theseus.h"

int ifunc_value(void);

static int impl_a(void)
{
	return 1111;
}

static int (*resolve_value(void))(void)
{
	return impl_a;
}

int ifunc_value(void) __attribute__((ifunc("resolve_value")));
TH_EXPORT(ifunc_value);

TH_MODULE("t_ifunc", "1.0", "refusal test: an IFUNC symbol");
