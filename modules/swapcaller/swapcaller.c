/*
 * swapcaller.c - swapcaller 1.0: a dependent of hello for the swap tests.
 * Its call to hello_greet is a recorded dependency edge, so every swap of
 * hello must relink it; the kernel reaches swapcaller_call by name.
 */
#include "theseus.h"
#include "hello/hello.h"

int swapcaller_call(char *buf, size_t len)
{
	return hello_greet(buf, len);
}
TH_EXPORT(swapcaller_call);

TH_MODULE("swapcaller", "1.0", "calls hello_greet through a recorded edge (swap tests)");
