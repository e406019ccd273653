/*
 * boot_hooks.h - the two points of the boot sequence (kernel/boot/main.c)
 * where the test image build/theseus-test.elf plugs in its self-tests and
 * demo observers (tests/kernel/hooks.c).  The production kernel links
 * kernel/boot/hooks.c instead, which only says that self-tests are not there:
 * `nm build/theseus.elf` shows no test code.
 */
#ifndef THESEUS_BOOT_HOOKS_H
#define THESEUS_BOOT_HOOKS_H

#include "bootinfo.h"

/* After the boot modules are loaded, before the swap= swaps. */
void boot_hook_before_swaps(const struct boot_info *boot);
/* Everything is up; just before the ready line (selftest= runs here). */
void boot_hook_before_ready(const struct boot_info *boot);

#endif
