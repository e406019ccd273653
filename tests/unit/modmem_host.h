/*
 * modmem_host.h - what the host modmem (modmem_host.c) records for tests:
 * the protection last given to each page of module memory, so a test can
 * assert W^X directly (text R-X, rodata R--, data RW-) after a load and
 * after a relink, instead of learning it from a crash.
 */
#ifndef MODMEM_HOST_H
#define MODMEM_HOST_H

#include <stdint.h>

/* Returned for an address that is not in module memory. */
#define MODMEM_HOST_NOT_MODMEM 0xffffffffu

/* VMM_R/VMM_W/VMM_X bits last set on the page holding addr (VMM_R|VMM_W
 * from allocation until the first modmem_protect), or MODMEM_HOST_NOT_MODMEM. */
unsigned modmem_host_prot(uintptr_t addr);

/* The same for every page of [addr, addr+len): the common protection, or
 * MODMEM_HOST_NOT_MODMEM if a page is outside module memory or the pages
 * differ. */
unsigned modmem_host_range_prot(uintptr_t addr, size_t len);

/* How many modmem_protect calls were made (a test can see that one happened). */
unsigned long modmem_host_protect_calls(void);

#endif
