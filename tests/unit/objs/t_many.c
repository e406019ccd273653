/*
 * t_many.c - test module "t_many", compiled with -ffunction-sections
 * (modules.mk): 4200 functions in as many sections, more than the loader
 * takes; refused naming the limit and the flag.
 */
#include "theseus.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define F int CAT(many_, __COUNTER__)(void) { return __LINE__; }
#define F10 F F F F F F F F F F
#define F100 F10 F10 F10 F10 F10 F10 F10 F10 F10 F10
#define F1000 F100 F100 F100 F100 F100 F100 F100 F100 F100 F100
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
F1000 F1000 F1000 F1000 F100 F100

TH_MODULE("t_many", "1.0", "refusal test: too many sections");
