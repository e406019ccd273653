/*
 * arch/sys_arch.h - lwIP's OS abstraction for Theseus-C.  With NO_SYS=1 there
 * are no threads, semaphores or mailboxes: lwIP runs only in the kernel main
 * loop, so nothing needs protecting.  sys_now() is in net/sys_arch.c.
 */
#ifndef THESEUS_LWIP_ARCH_SYS_ARCH_H
#define THESEUS_LWIP_ARCH_SYS_ARCH_H

typedef int sys_prot_t;

#endif
