/* v_plain.c - the module half of v_plain.o; v_plain_lib.c, the library it
 * bundles, is compiled by a plain gcc -c (tests/kit/verdicts/README). */
#include "theseus.h"

int v_plain_lib(int x);

static int v_plain_init(void)
{
	return v_plain_lib(1) == 2 ? TH_OK : TH_EINVAL;
}

TH_MODULE("v_plain", "1.0", "verdict test: a file without the kit's flags",
	  .init = v_plain_init);
