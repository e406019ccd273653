/*
 * arch/libc/stdlib.h - <stdlib.h> for the freestanding lwIP build: lwIP
 * needs only atoi (netif_find), provided by net/sys_arch.c.
 * Only on lwIP's include path, never on the kernel's.
 */
#ifndef THESEUS_LWIP_LIBC_STDLIB_H
#define THESEUS_LWIP_LIBC_STDLIB_H
#include "klibc.h"
int net_lwip_atoi(const char *s);
#define atoi net_lwip_atoi
#endif
