/*
 * t_invoke.c - test module "t_invoke": one global invocable function,
 * t_invoke_fn.  loader_exports_test loads it as built, and with the
 * function's name emptied in the string table (a hand-made object whose
 * TH_INVOKE record names a symbol without a name: refused).
 */
#include "theseus.h"

int t_invoke_fn(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

int t_invoke_fn(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	*out_len = 0;
	return TH_OK;
}
TH_INVOKE(t_invoke_fn);

TH_MODULE("t_invoke", "1.0", "exports test: an invocable function");
