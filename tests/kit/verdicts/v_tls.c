/* v_tls.c - a thread-local variable (tests/kit/verdicts/README). */
#include "theseus.h"

int v_tls_next(void);

static _Thread_local int v_tls_counter;

int v_tls_next(void)
{
	return ++v_tls_counter;
}
TH_EXPORT(v_tls_next);

TH_MODULE("v_tls", "1.0", "verdict test: thread-local storage");
