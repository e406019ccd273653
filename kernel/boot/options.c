/*
 * options.c - every option of the kernel command line, for cmdline_check()
 * (kernel/lib/cmdline_check.c), which main.c runs once at boot so that a
 * mistyped or misplaced word is named on the console instead of ignored.
 * The README's "Booting" lists them for users; each one's user (named on
 * its line) reads and checks it.  values: NULL when that user reports a bad
 * value itself, "*" when it needs some value, "" for a bare flag, "a|b"
 * when the value must be one of those (its user ignores any other).
 */
#include "cmdline.h"

const struct cmdline_option cmdline_options[] = {
	{ "loglevel", "debug|info|warn|error" },  /* kernel/boot/main.c */
	{ "console", NULL },                      /* kernel/boot/main.c */
	{ "exit", "ready" },                      /* kernel/boot/main.c */
	{ "hz", NULL },                           /* kernel/boot/main.c */
	{ "watchdog", NULL },                     /* kernel/core/guard.c */
	{ "nmiwatchdog", "off" },                 /* kernel/dev/nmi_watchdog.c */
	{ "fault_restarts", NULL },               /* kernel/swap/modcall_fault.c */
	{ "cpus", NULL },                         /* kernel/smp/smp.c */
	{ "acpi", "off" },                        /* kernel/smp/acpi_locate.c */
	{ "noapic", "" },                         /* kernel/smp/ioapic.c */
	{ "spill", "*" },                         /* kernel/core/boot_modules.c */
	{ "sched", NULL },                        /* kernel/task/sched.c */
	{ "tasks", NULL },                        /* kernel/task/sched.c: any word shows them */
	{ "swap", "*" },                          /* kernel/swap/swap_boot.c */
	{ "swapsrc", "*" },                       /* kernel/swap/swap_boot.c */
	{ "ip", NULL },                           /* net/net_config.c */
	{ "gw", NULL },
	{ "nic", NULL },
	{ "drvwatch", NULL },
	{ "nicirq", NULL },
	{ "key", NULL },                          /* net/endpoint/kernel_start.c */
	{ "port", NULL },
	{ "staging", NULL },
	{ "hashcpu", "off" },                     /* net/endpoint/kernel_hasher.c */
	{ "selftest", "*" },                      /* the test image's hooks (tests/kernel/) */
	{ "bootdelay_ms", NULL },                 /* the test image's hooks */
};

const size_t cmdline_option_count = sizeof cmdline_options / sizeof cmdline_options[0];
