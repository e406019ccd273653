/* v_stackprot.c - built with -fstack-protector-all, so it imports
 * __stack_chk_fail (tests/kit/verdicts/README). */
#include "theseus.h"

static int v_stackprot_init(void)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%s", "hi");
	return buf[0] == 'h' ? TH_OK : TH_EINVAL;
}

TH_MODULE("v_stackprot", "1.0", "verdict test: stack protector", .init = v_stackprot_init);
