/*
 * t_cycb.c - test module "t_cycb", the other half of the cycle (the
 * audit's beta): the strong cyc_knob (200) that overrides t_cyca's weak
 * one, and cycb_call, which calls t_cyca.
 */
#include "theseus.h"

int cyc_knob(void);
int cyca_value(int x);
int cycb_call(int x);

int cyc_knob(void)
{
	return 200;
}
TH_EXPORT(cyc_knob);

int cycb_call(int x)
{
	return cyca_value(x) * 2;
}
TH_EXPORT(cycb_call);

TH_MODULE("t_cycb", "1.0", "dependency cycle: strong cyc_knob, calls t_cyca");
