/*
 * idt.c - the interrupt descriptor table and trap_dispatch(), the one C entry
 * for every vector: exceptions go to the fault hook (fault isolation) or the
 * fault report; hardware interrupts go to the IRQ dispatcher (pic.c).
 * Guarded calls (guard.h) come first: a fault inside one unwinds to its
 * guard, and the timer tick checks its watchdog; trap nesting is counted
 * so that an interrupt handler's own fault is never taken for the call's.
 */
#include "cpu.h"
#include "guard.h"
#include "irq.h"
#include "klibc.h"
#include "shutdown.h"
#include "smp.h"
#include "trap.h"

struct __attribute__((packed)) idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

#define NVEC 60   /* 0..51, and the MSI vectors 52..59 */
extern const uint64_t isr_table[NVEC];
extern char isr_spurious[];
static struct idt_entry idt[256];
static irq_dispatch_fn irq_dispatch;
static fault_hook_fn fault_hook;

void trap_set_irq_dispatch(irq_dispatch_fn fn) { irq_dispatch = fn; }
void trap_set_fault_hook(fault_hook_fn fn) { fault_hook = fn; }

void idt_init(void)
{
	for (unsigned v = 0; v < NVEC; v++) {
		uint64_t a = isr_table[v];
		uint8_t ist = v == 8 ? 1 : (v == 2 || v == 18) ? 2 : 0;
		idt[v] = (struct idt_entry){ (uint16_t)a, 0x08, ist, 0x8E, (uint16_t)(a >> 16),
					     (uint32_t)(a >> 32), 0 };
	}
	uint64_t a = (uint64_t)isr_spurious;
	idt[VEC_SPURIOUS] = (struct idt_entry){ (uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16),
						(uint32_t)(a >> 32), 0 };
	idt_load();
}

void idt_load(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} ptr = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(ptr));
}

struct trap_frame *trap_dispatch(struct trap_frame *f)
{
	if (f->vector == VEC_LAPIC_TIMER || f->vector == VEC_STOP || f->vector == VEC_WAKE)
		return smp_on_vector(f); /* other CPUs' tick, stop-machine, wake-up */
	if (f->vector >= IRQ_BASE && f->vector < IRQ_BASE + 17) {
		if (f->vector == IRQ_BASE)
			guard_on_tick(f); /* the watchdog may unwind the interrupted call */
		struct trap_frame *r = f;
		(void)guard_irq_enter();
		if (irq_dispatch)
			r = irq_dispatch((unsigned)(f->vector - IRQ_BASE), f);
		guard_irq_exit();
		return r;
	}
	if (f->vector >= VEC_MSI_BASE && f->vector < VEC_MSI_BASE + IRQ_MSI_VECTORS) {
		(void)guard_irq_enter();
		irq_msi_dispatch((unsigned)f->vector);   /* a device's message (irq_msi.c) */
		guard_irq_exit();
		return f;
	}
	if (f->vector == 2) { /* NMI: the watchdog's tick (nmi_watchdog.c) */
		smp_nmi_forward(); /* the boot CPU's tick reaches the other CPUs too */
		guard_on_nmi(f);
		return f;
	}
	/* Guarded calls first (a #DF only when a stack overflow caused it). */
	if (f->vector != 2 && f->vector != 18) {
		struct trap_frame *r = guard_on_fault(f);
		if (r)
			return r;
	}
	if (fault_hook && f->vector != 8 && f->vector != 18) {
		struct trap_frame *r = fault_hook(f);
		if (r)
			return r;
	}
	static volatile int reporting;
	if (!reporting++) /* a fault inside the report must not loop */
		fault_report(f, NULL);
	shutdown(SHUTDOWN_FAULT);
}
