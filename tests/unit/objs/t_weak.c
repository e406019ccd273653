/*
 * t_weak.c - test module "t_weak": a weak, exported default of wk_value
 * (returns 1), which t_strong's strong definition (2) beats, and wk_call,
 * which calls whichever definition wins at load time; wk_missing is an
 * undefined weak reference nothing defines (resolves to 0).
 */
#include "theseus.h"

int wk_value(void);
int wk_call(void);
int wk_has_missing(void);
extern int wk_missing(void) __attribute__((weak));

__attribute__((weak)) int wk_value(void)
{
	return 1;
}
TH_EXPORT(wk_value);

int wk_call(void)
{
	return wk_value();
}
TH_EXPORT(wk_call);

int wk_has_missing(void)
{
	return wk_missing ? 1 : 0;
}
TH_EXPORT(wk_has_missing);

TH_MODULE("t_weak", "1.0", "exports test: weak definitions");
