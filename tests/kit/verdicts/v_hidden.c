/* v_hidden.c - imports statedb_stats, which theseus.h does not offer and
 * the kernel does not export (tests/kit/verdicts/README). */
#include "theseus.h"

int statedb_stats(void *out);

static int v_hidden_init(void)
{
	char buf[64];
	return statedb_stats(buf);
}

TH_MODULE("v_hidden", "1.0", "verdict test: a kernel-only import", .init = v_hidden_init);
