/*
 * t_cxxdtor.c - test module "t_cxxdtor": what a global C++ object with a
 * non-trivial destructor leaves in an object, a call registering it with
 * __cxa_atexit, written in C; refused naming the cause and what to change.
 */
#include "theseus.h"

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
extern char __dso_handle;
int cxxdtor_get(void);

static void dtor(void *p)
{
	(void)p;
}

int cxxdtor_get(void)
{
	return __cxa_atexit(dtor, NULL, &__dso_handle);
}
TH_EXPORT(cxxdtor_get);

TH_MODULE("t_cxxdtor", "1.0", "refusal test: a global destructor (__cxa_atexit)");
