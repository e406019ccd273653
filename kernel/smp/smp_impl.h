/*
 * smp_impl.h - private to kernel/smp/: the local APIC (lapic.c) and the
 * trampoline's hand-over variables (trampoline.S, smp.c).
 */
#ifndef THESEUS_SMP_IMPL_H
#define THESEUS_SMP_IMPL_H

#include <stdint.h>

#include "err.h"
#include "smp.h"

#define TRAMPOLINE_PHYS 0x8000u       /* page the other CPUs start in (real mode) */
#define AP_STACK_PAGES 4              /* a started CPU's own stack (16 KiB) */
#define AP_START_WAIT_US 2000000u     /* how long a CPU may take to say it runs */

/* lapic.c: the local APIC of the CPU that calls (xAPIC, memory-mapped). */
int lapic_map(uint64_t phys) TH_MUST_CHECK;
uint8_t lapic_id(void);
void lapic_enable(void);              /* software-enable, spurious vector 255 */
/* The boot CPU's: software-enabled in virtual-wire mode (LINT0 ExtINT for
 * the 8259 PIC, LINT1 NMI), so it takes IPIs and keeps its PIC interrupts. */
void lapic_enable_boot_cpu(void);
void lapic_eoi(void);
/* Send an IPI (ICR low word `icr`) to the CPU with APIC id dest; TH_ETIMEDOUT
 * if the previous one is still being delivered. */
int lapic_ipi(uint8_t dest, uint32_t icr) TH_MUST_CHECK;
/* The same from an NMI handler: the destination an interrupted lapic_ipi()
 * wrote is put back (a CPU that was never started must not get an NMI,
 * so no "all but self" shorthand). */
int lapic_ipi_from_nmi(uint8_t dest, uint32_t icr) TH_MUST_CHECK;
/* Periodic local APIC timer at hz on vector VEC_LAPIC_TIMER (calibrated
 * against the TSC on first use). */
void lapic_timer_start(unsigned hz);

#define ICR_INIT 0x00004500u          /* INIT, level assert */
#define ICR_SIPI 0x00004600u          /* start-up; | the start page number */
#define ICR_FIXED 0x00004000u         /* fixed delivery; | vector */
#define ICR_NMI 0x00004400u           /* NMI delivery */

/* stop.c: VEC_STOP on a CPU (sends the EOI) */
void smp_stop_park(struct trap_frame *f);

/* trampoline.S */
extern const char smp_trampoline_start[], smp_trampoline_end[];
extern volatile uint32_t smp_ap_cr3;          /* page tables the CPU switches to */
extern volatile uint64_t smp_ap_stack;        /* its stack top */
extern struct cpu_local *volatile smp_ap_cpu; /* its data, passed to smp_ap_main */
void smp_ap_main(struct cpu_local *c);

#endif
