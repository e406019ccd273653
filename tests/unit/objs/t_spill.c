/*
 * t_spill.c - test module "t_spill": holds state of its own (.data and
 * .bss), which the spill check must report.
 */
#include "theseus.h"

int ts_counter = 5;
TH_EXPORT(ts_counter);
static int ts_hidden;

int ts_bump(void)
{
	ts_hidden++;
	return ++ts_counter + ts_hidden;
}
TH_EXPORT(ts_bump);

TH_MODULE("t_spill", "1.0", "test: state spill");
