/*
 * hooks.c - the test image's boot hooks (kernel/include/boot_hooks.h): shows
 * hello's greeting around the swap= swaps (the QEMU swap tests read it),
 * stretches the boot by bootdelay_ms=N before the TSC refinement (a boot
 * too long for the rough rate to count, test_boot.py), and runs
 * selftest=NAME before the ready line.
 */
#include "boot_hooks.h"

#include "cmdline.h"
#include "klibc.h"
#include "ktime.h"
#include "loader.h"
#include "log.h"
#include "selftest.h"
#include "swap.h"

const struct boot_info *selftest_boot;

/* Call hello_greet (if loaded) so the log shows the behaviour around a swap. */
static void show_greeting(const char *when)
{
	int (*greet)(char *, size_t);
	uintptr_t a;
	char buf[96];

	if (loader_lookup_symbol("hello_greet", &a, NULL))
		return;
	greet = (int (*)(char *, size_t))a;
	if (greet(buf, sizeof buf) == TH_OK)
		log_info("swap", "%s: hello_greet: %s", when, buf);
}

void boot_hook_before_swaps(const struct boot_info *boot)
{
	uint64_t delay_ms;
	selftest_boot = boot;
	swap_boot_set_observer(show_greeting);
	if (cmdline_has(boot->cmdline, "bootdelay_ms") &&
	    !cmdline_get_uint(boot->cmdline, "bootdelay_ms", 0, 0, 60000, &delay_ms)) {
		log_info("boot", "bootdelay_ms=%llu: waiting before the TSC refinement",
			 (unsigned long long)delay_ms);
		time_delay_us(delay_ms * 1000);
	}
}

void boot_hook_before_ready(const struct boot_info *boot)
{
	char test[32];
	if (!cmdline_get(boot->cmdline, "selftest", test, sizeof test))
		selftest_run(test);
}
