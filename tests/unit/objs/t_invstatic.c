/*
 * t_invstatic.c - test module "t_invstatic": TH_INVOKE of a static
 * function, which invoke could never find by name: refused (TH_EBADELF,
 * "drop `static`"), by the loader and by lint.
 */
#include "theseus.h"

static int hidden_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
			 size_t *out_len)
{
	*out_len = 0;
	return TH_OK;
}
TH_INVOKE(hidden_invoke);

TH_MODULE("t_invstatic", "1.0", "exports test: TH_INVOKE of a static function");
