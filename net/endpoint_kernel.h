/*
 * endpoint_kernel.h - the swap endpoint in the kernel: the one call the boot
 * sequence (kernel/boot/main.c) makes into the control plane.  Parses key=
 * (64 hex digits) and port= (default 7700), creates the endpoint core with
 * the kernel-side adapter (net/endpoint/kernel_*.c) as its struct
 * endpoint_ops, and listens on UDP.  Errors are logged; the kernel keeps
 * running without an endpoint (or read-only without a key).  random_u64 is
 * the kernel's entropy source (kernel/include/entropy.h), handed over by the
 * boot sequence: it draws each epoch of the endpoint.
 */
#ifndef THESEUS_ENDPOINT_KERNEL_H
#define THESEUS_ENDPOINT_KERNEL_H

#include <stdint.h>

#include "bootinfo.h"

void endpoint_kernel_start(const struct boot_info *boot, uint64_t (*random_u64)(void));

#endif
