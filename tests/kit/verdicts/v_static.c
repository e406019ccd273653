/* v_static.c - TH_EXPORT of a static function (tests/kit/verdicts/README). */
#include "theseus.h"

static int v_static_fn(void)
{
	return 1;
}
TH_EXPORT(v_static_fn);

TH_MODULE("v_static", "1.0", "verdict test: a static export");
