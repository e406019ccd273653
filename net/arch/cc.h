/*
 * arch/cc.h - lwIP's compiler/platform glue for the Theseus-C kernel:
 * freestanding types and limits, printf formats, diagnostics and assertions
 * into the kernel log, random numbers from the TSC, byte order.
 */
#ifndef THESEUS_LWIP_ARCH_CC_H
#define THESEUS_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "klibc.h"

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

/* No <inttypes.h>, <limits.h>, <ctype.h>, <unistd.h> in the freestanding build. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_LIMITS_H   1
#define LWIP_NO_CTYPE_H    1
#define LWIP_NO_UNISTD_H   1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif

/* Implemented in net/sys_arch.c. */
void net_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void net_lwip_assert(const char *msg, const char *file, int line);
uint32_t net_lwip_rand(void);
int net_lwip_atoi(const char *s);

#define LWIP_PLATFORM_DIAG(x) do { net_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() net_lwip_rand()

#endif
