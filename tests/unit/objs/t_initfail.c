/*
 * t_initfail.c - test module "t_initfail": exports a symbol, init fails.
 */
#include "theseus.h"

int tif_value(void)
{
	return 5;
}
TH_EXPORT(tif_value);

static int tif_init(void)
{
	return TH_EIO;
}

TH_MODULE("t_initfail", "1.0", "test: init returns an error", .init = tif_init);
