/*
 * irq.h - hardware interrupt lines (legacy lines 0-15: the 8259 PIC's, or
 * the same lines through the I/O APIC, ioapic.h).
 *
 * A driver registers a handler for its PCI interrupt line; handlers run with
 * interrupts disabled and must only acknowledge the device and queue work
 * (never call lwIP or sleep).  The end-of-interrupt is sent by the core
 * after the handlers: a level-triggered line (PCI through the I/O APIC)
 * fires again at once if no handler quieted its device.
 */
#ifndef THESEUS_IRQ_H
#define THESEUS_IRQ_H

#include "err.h"

#define IRQ_LINES 16
typedef void (*irq_handler_fn)(void *ctx);

/* Several handlers may share a line (PCI INTx); each is called in turn. */
int irq_register(unsigned line, irq_handler_fn fn, void *ctx) TH_MUST_CHECK;
void irq_unregister(unsigned line, irq_handler_fn fn, void *ctx);

/* Counters of delivered interrupts per line (observability). */
unsigned long irq_count(unsigned line);

#endif
