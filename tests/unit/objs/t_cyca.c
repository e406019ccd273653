/*
 * t_cyca.c - test module "t_cyca", one half of a dependency cycle (the
 * audit's alpha): a weak, exported cyc_knob (returns 100) that t_cycb's
 * strong one (200) beats when both are loaded in one batch, so that
 * cyca_knob's call links into t_cycb; t_cycb calls cyca_value.
 */
#include "theseus.h"

int cyc_knob(void);
int cyca_knob(void);
int cyca_value(int x);

__attribute__((weak)) int cyc_knob(void)
{
	return 100;
}
TH_EXPORT(cyc_knob);

int cyca_knob(void)
{
	return cyc_knob();
}
TH_EXPORT(cyca_knob);

int cyca_value(int x)
{
	return x + 1;
}
TH_EXPORT(cyca_value);

TH_MODULE("t_cyca", "1.0", "dependency cycle: weak cyc_knob, called back");
