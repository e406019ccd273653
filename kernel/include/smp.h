/*
 * smp.h - several CPUs: which run, and what each one knows about itself.
 *
 * smp_init() reads the ACPI MADT (acpi.h), starts every other CPU it lists
 * (INIT-SIPI-SIPI through a real-mode trampoline below 1 MiB), gives each a
 * GDT/TSS, stack and struct cpu_local of its own (reached through the GS
 * base) and a local APIC timer at the kernel's tick rate (hz=).  cpus=N on
 * the command line limits how many CPUs run (cpus=1: the boot CPU alone).
 * The boot CPU keeps the PIT tick (8259 PIC line 0) and takes every device
 * interrupt: through the I/O APIC (ioapic.h) or, without one, the 8259.
 */
#ifndef THESEUS_SMP_H
#define THESEUS_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "bootinfo.h"
#include "param.h"
#include "trap.h"

/* One CPU's own data; on that CPU the GS base points at it. */
struct cpu_local {
	struct cpu_local *self;      /* first: %gs:0 */
	/* %gs:8 (isr.S): the stack_busy flag of a task whose stack this CPU is
	 * leaving; cleared once it runs on the next task's stack. */
	volatile uint32_t *release;
	unsigned index;              /* 0 = the boot CPU, then in start order */
	uint8_t apic_id;
	volatile bool online;        /* set by the CPU itself once it runs */
	volatile uint64_t ticks;     /* its local APIC timer ticks (not the boot CPU) */
	uint64_t stack_phys;         /* its boot stack (frames), 0 for the boot CPU */
	uintptr_t stack_lo, stack_hi;/* its boot stack: later its idle task's */
	struct trap_frame *volatile stop_frame; /* where it was when parked (stop.c) */
	uint64_t tlb_seen;           /* smp_tlb_changed() count at its last flush */
};
#define CPU_LOCAL_RELEASE_OFFSET 8

/* Page-table changes and the other CPUs' TLBs: vmm calls smp_tlb_changed()
 * after changing a mapping (it flushed its own entry); a CPU calls
 * smp_tlb_sync() before it switches to another task, which drops its cached
 * translations if anything changed since its last sync (so a new task's
 * guard page faults on the CPU that runs it).  Stop-machine flushes too. */
void smp_tlb_changed(void);
void smp_tlb_sync(void);

/* Before anything else on the boot CPU: its GS base (smp_this_cpu works). */
void smp_boot_cpu_init(void);
/* The other CPUs' timer tick calls fn (the scheduler), after the EOI. */
void smp_set_tick_hook(struct trap_frame *(*fn)(struct trap_frame *f));
/* Wake CPU cpu (its halt ends; it calls the wake hook, after the EOI): a
 * task was queued for it while it idled.  Any CPU, interrupts off or on. */
void smp_wake(unsigned cpu);
void smp_set_wake_hook(struct trap_frame *(*fn)(struct trap_frame *f));

/* Find and start the other CPUs (after the timer and memory are up). */
void smp_init(const struct boot_info *boot, const char *cmdline);
/* The boot CPU's tick from its own local APIC timer at hz, for a machine
 * whose PIT did not answer (kmain, after ioapic_init): the tick arrives
 * like the other CPUs' (smp_set_tick_hook).  TH_ENODEV: no local APIC. */
int smp_boot_cpu_timer(unsigned hz) TH_MUST_CHECK;
/* The boot CPU's local APIC, mapped and enabled, as the target of
 * message-signalled interrupts (irq_msi.c): its id.  TH_ENODEV if the CPU
 * has none or it is disabled. */
int smp_msi_target(uint8_t *apic_id) TH_MUST_CHECK;
/* End of interrupt for the local APIC of this CPU (an MSI's). */
void smp_local_eoi(void);
/* The firmware's description smp_init() read (MADT or MP tables), NULL if
 * it found none (ioapic.c routes device interrupts from it). */
struct acpi_madt_info;
const struct acpi_madt_info *smp_firmware_info(void);
/* CPUs running: 1 until smp_init has started others. */
unsigned smp_cpu_count(void);
/* This CPU's index (0 = the boot CPU), and its data. */
unsigned smp_cpu_index(void);
struct cpu_local *smp_this_cpu(void);
/* CPU i's data, NULL if i does not run. */
struct cpu_local *smp_cpu(unsigned i);
/*
 * Stop-machine (stop.c): called with interrupts off, parks every other CPU
 * at a safe point (its VEC_STOP interrupt handler, interrupts off) until
 * smp_resume_others().  Nests.  With one CPU it only measures.  The caller
 * must not wait for anything another CPU would do meanwhile.
 */
void smp_stop_others(void);
void smp_resume_others(void);
/* Stop-the-world time summed over all stops (ns), and how many there were. */
uint64_t smp_stop_pause_ns(void);
uint64_t smp_stop_count(void);
/* Of that pause, the time spent waiting for the other CPUs to park (ns). */
uint64_t smp_stop_park_wait_ns(void);
/* The boot CPU's NMI (the watchdog's tick, nmi_watchdog.c) goes on to every
 * other CPU, so the watchdog cuts module code hanging with interrupts off
 * there too. */
void smp_nmi_forward(void);
/* A machine without a PIT: from now on each CPU's local APIC tick sends the
 * next CPU (the last one: the boot CPU) an NMI, the watchdog's tick there
 * (nmi_watchdog.c), and smp_nmi_forward does nothing.  A CPU hanging with
 * interrupts off is cut as long as the one before it ticks.  TH_ENODEV with
 * one CPU. */
int smp_nmi_ring_start(void) TH_MUST_CHECK;
/* trap_dispatch() hands the SMP vectors (VEC_LAPIC_TIMER, VEC_STOP) here. */
struct trap_frame *smp_on_vector(struct trap_frame *f);

#endif
