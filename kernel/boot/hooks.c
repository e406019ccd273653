/*
 * hooks.c - the production kernel's boot hooks (boot_hooks.h): none, but a
 * selftest= on the command line is answered with where the self-tests are.
 */
#include "boot_hooks.h"

#include "cmdline.h"
#include "log.h"

void boot_hook_before_swaps(const struct boot_info *boot) { (void)boot; }

void boot_hook_before_ready(const struct boot_info *boot)
{
	char test[32];
	if (!cmdline_get(boot->cmdline, "selftest", test, sizeof test))
		log_warn("boot", "selftest=%s ignored: the self-tests are in the test image "
			 "build/theseus-test.elf, not in this kernel", test);
}
