/*
 * boot_modules.h - load the boot modules (GRUB module2, QEMU -initrd, iPXE
 * module) through the module loader at start-up.
 */
#ifndef THESEUS_BOOT_MODULES_H
#define THESEUS_BOOT_MODULES_H

#include "bootinfo.h"

/* Initialise the loader with the kernel exports and the spill policy of the
 * command line, then load every boot module: all together as one batch when
 * they are all good; otherwise each one that can load (in dependency order),
 * naming every rejected module and its cause.  Returns how many loaded. */
size_t boot_modules_load(const struct boot_info *boot);

#endif
