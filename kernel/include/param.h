/*
 * param.h - the kernel's tunable limits, one per line.
 */
#ifndef THESEUS_PARAM_H
#define THESEUS_PARAM_H

#define LOG_RING_BYTES (64 * 1024)      /* kernel log ring kept for `theseusctl log` */
#define LOG_LINE_MAX 256                /* longest log line; longer ones are cut */
#define FRAME_LIMIT (2ull << 30)        /* RAM managed below 2 GiB: all code within +-2 GiB */
#define IDENTITY_MAP_BYTES (4ull << 30) /* identity-mapped physical range */
#define HEAP_SLAB_MAX 2048              /* larger kmalloc requests get whole pages */
#define TIMER_HZ_DEFAULT 100            /* timer tick rate (cmdline hz=), on every CPU */
#define CPUS_MAX 16                     /* CPUs started at most (cmdline cpus= lowers it) */
#define KSYMS_MAX_NAME 64               /* longest kernel symbol name in backtraces */
#define BACKTRACE_DEPTH 16              /* frames printed in a fault report */
#define STATEDB_ENTRIES 1024            /* statedb entries (named + shared) */
#define STATEDB_DATA_BYTES (1024 * 1024) /* statedb bytes of state */

#define NET_ADDRESS_WAIT_MS 15000       /* boot waits this long for DHCP before ready */

#endif
