/*
 * pic.h - kernel-internal side of the 8259 PIC driver (drivers use irq.h).
 */
#ifndef THESEUS_PIC_H
#define THESEUS_PIC_H

#include <stdint.h>

struct trap_frame;
typedef struct trap_frame *(*irq_line_hook_fn)(struct trap_frame *f);

void pic_init(void);                         /* remap, mask all, install dispatch */
void pic_set_line0_hook(irq_line_hook_fn fn); /* timer.c: after line 0's EOI */
void pic_unmask_timer(void);
/* ioapic.c: lines (not 0) now arrive through the I/O APIC: masked on the
 * 8259 for good; one with a handler is unmasked at the I/O APIC. */
void pic_hand_over(uint16_t lines);
/* Handler of vector 48 (sched_enter, no PIC line, no EOI): task/sched.c's yield. */
void pic_set_soft_hook(irq_line_hook_fn fn);

#endif
