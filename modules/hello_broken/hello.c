/*
 * hello.c (hello_broken) - a bad "hello": it lacks hello_greet, which
 * dependents of hello use, so the swap engine must refuse to swap it in
 * (TH_ENOSYM naming the symbol and the dependent) and keep the old running.
 */
#include "theseus.h"

int hello_wave(char *buf, size_t len)
{
	int k;

	if (!buf || !len)
		return TH_EINVAL;
	k = snprintf(buf, len, "wave from broken hello");
	return (k < 0 || (size_t)k >= len) ? TH_ERANGE : TH_OK;
}
TH_EXPORT(hello_wave);

TH_MODULE("hello", "9.0", "broken hello: no hello_greet (swap refusal test)");
