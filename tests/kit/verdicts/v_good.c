/* v_good.c - a module lint and the kernel both accept (tests/kit/verdicts/README). */
#include "theseus.h"

int v_good_twice(int x);

int v_good_twice(int x)
{
	return 2 * x;
}
TH_EXPORT(v_good_twice);

TH_MODULE("v_good", "1.0", "verdict test: fine");
