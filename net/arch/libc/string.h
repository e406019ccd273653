/*
 * arch/libc/string.h - <string.h> for the freestanding lwIP build: lwIP's
 * sources include it; the functions come from the kernel (klibc.h).
 * Only on lwIP's include path, never on the kernel's.
 */
#ifndef THESEUS_LWIP_LIBC_STRING_H
#define THESEUS_LWIP_LIBC_STRING_H
#include "klibc.h"
#endif
