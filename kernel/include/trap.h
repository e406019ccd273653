/*
 * trap.h - interrupts and exceptions: the saved register frame, the IDT,
 * the GDT/TSS they need, and the fault report.
 *
 * Every vector enters through kernel/arch/isr.S, which saves a trap_frame
 * and calls trap_dispatch(); the frame pointer it returns is the one resumed
 * (so the scheduler can switch tasks on a timer interrupt).
 */
#ifndef THESEUS_TRAP_H
#define THESEUS_TRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

#define IRQ_BASE 32        /* PIC lines 0-15 arrive as vectors 32-47 */
#define VEC_LAPIC_TIMER 49 /* the local APIC timer of a CPU other than the boot CPU */
#define VEC_STOP 50        /* IPI: stop at a safe point (kernel/smp/) */
#define VEC_WAKE 51        /* IPI: a task was queued for this idle CPU */
#define VEC_MSI_BASE 52    /* message-signalled interrupts: 52..59 (irq.h) */
#define VEC_SPURIOUS 255   /* the local APIC's spurious vector: ignored */

void gdt_init(void);       /* GDT with a TSS whose IST stacks serve #DF, NMI, #MC */
void gdt_init_cpu(unsigned cpu); /* the same for CPU cpu (< CPUS_MAX), on that CPU */
void idt_init(void);
void idt_load(void);       /* load the IDT built by idt_init (another CPU) */
struct trap_frame *trap_dispatch(struct trap_frame *f);

/* Called for an interrupt on vector IRQ_BASE + line (pic.c installs it). */
typedef struct trap_frame *(*irq_dispatch_fn)(unsigned line, struct trap_frame *f);
void trap_set_irq_dispatch(irq_dispatch_fn fn);

/* A hook that may turn a fault into an error for a caller (fault isolation);
 * returns the frame to resume, or NULL to report the fault and stop. */
typedef struct trap_frame *(*fault_hook_fn)(struct trap_frame *f);
void trap_set_fault_hook(fault_hook_fn fn);

/* Names the stack whose guard page holds addr ("task 'x'"), for reports of
 * kernel stack overflows; the task code installs it. */
typedef bool (*stack_guard_fn)(uint64_t addr, char *who, size_t cap);
void fault_set_stack_guard_lookup(stack_guard_fn fn);

/* Print the fault report (vector, error, RIP, CR2, registers, backtrace). */
void fault_report(const struct trap_frame *f, const char *why);
/* "page fault", "divide error", ... for vector v (< 32). */
const char *fault_vector_name(unsigned v);
/* Whether the fault hit a stack's guard page (CR2 or the stack pointer). */
bool fault_hit_stack_guard(const struct trap_frame *f);
/* Up to max return addresses of the frame-pointer chain at rbp (only
 * through mapped, aligned memory); returns how many. */
size_t backtrace_collect(uint64_t rbp, uint64_t *out, size_t max);
/* Print a frame-pointer backtrace starting at rbp. */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
