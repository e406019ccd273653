/*
 * swap_plat_host.h - test controls of the host swap platform: pretend the
 * current context executes at / returns to an address (retirement tests).
 */
#ifndef SWAP_PLAT_HOST_H
#define SWAP_PLAT_HOST_H

#include <stdint.h>

void swap_host_pretend_running(uintptr_t addr);
void swap_host_pretend_clear(void);

#endif
